"""Unit tests of the held-out guard of the training recipe (real_apps.py, prepare.py). Real files in a temp folder.
/usr/bin/python3 -m unittest scripts/train/test_real_apps.py"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_apps import HeldOutSampleError, collect, require_train, val_apps  # noqa: E402


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


def sample(fam, app, split):
    return {'width': 20, 'height': 10, 'scale': 1, 'theme': 'light', 'kind': 'real-app', 'page': 'p', 'family': fam,
            'app': app, 'split': split, 'state': 's', 'elements': []}


class HeldOutGuard(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = self.tmp.name
        self.real = os.path.join(root, 'real-apps')
        self.lists = os.path.join(root, 'apps')
        write(os.path.join(self.lists, 'wine.json'), [{'app': f't{i}', 'split': 'train'} for i in range(4)] + [{'app': 'h0', 'split': 'heldout'}])
        for i in range(4):
            write(os.path.join(self.real, 'wine', f't{i}', 'a.json'), sample('wine', f't{i}', 'train'))
            write(os.path.join(self.real, 'wine', f't{i}', 'a.png'), '')
        # a held-out app whose files would fail loudly if anything opened them
        write(os.path.join(self.real, 'wine', 'h0', 'a.json'), 'not json: must never be read')
        write(os.path.join(self.real, 'wine', 'h0', 'a.png'), '')
        # an app on disk the apps list does not know: no split decision, not used
        write(os.path.join(self.real, 'wine', 'new', 'a.json'), sample('wine', 'new', 'train'))
        write(os.path.join(self.real, 'wine', 'new', 'a.png'), '')

    def tearDown(self):
        self.tmp.cleanup()

    def test_only_train_apps_listed_and_validation_is_a_train_app_slice(self):
        train, val, info = collect(self.real, [self.lists], 0.2)
        apps = sorted(os.path.basename(os.path.dirname(j)) for j, _ in train + val)
        self.assertEqual(apps, ['t0', 't1', 't2', 't3'])
        self.assertEqual(len(val), 1)
        self.assertEqual(info['heldOutAppsNeverRead']['wine'], ['h0'])
        self.assertEqual(info['appsWithoutSplitDecision']['wine'], ['new'])

    def test_a_sample_marked_heldout_inside_a_train_app_stops_the_run(self):
        write(os.path.join(self.real, 'wine', 't1', 'b.json'), sample('wine', 't1', 'heldout'))
        write(os.path.join(self.real, 'wine', 't1', 'b.png'), '')
        with self.assertRaises(HeldOutSampleError):
            collect(self.real, [self.lists], 0.2)

    def test_a_family_without_apps_list_contributes_nothing(self):
        write(os.path.join(self.real, 'atspi', 'x', 'a.json'), sample('atspi', 'x', 'train'))
        train, val, _ = collect(self.real, [self.lists], 0.2)
        self.assertFalse(any('/atspi/' in j for j, _ in train + val))

    def test_fresh_apps_are_never_read_for_training_or_validation(self):
        # the fresh held-out set (split "fresh"): listed, on disk, never opened (its file fails loudly if read)
        write(os.path.join(self.lists, 'wine.json'), [{'app': f't{i}', 'split': 'train'} for i in range(4)] +
              [{'app': 'h0', 'split': 'heldout'}, {'app': 'f0', 'split': 'fresh', 'fresh': '2026-12-06'}])
        write(os.path.join(self.real, 'wine', 'f0', 'a.json'), 'not json: a fresh app must never be read')
        write(os.path.join(self.real, 'wine', 'f0', 'a.png'), '')
        train, val, info = collect(self.real, [self.lists], 0.2)
        apps = sorted(os.path.basename(os.path.dirname(j)) for j, _ in train + val)
        self.assertEqual(apps, ['t0', 't1', 't2', 't3'])
        self.assertEqual(info['freshAppsNeverRead']['wine'], ['f0'])
        self.assertEqual(info['appsWithoutSplitDecision']['wine'], ['new'])
        # a sample marked fresh inside a train app stops the run, as a held-out one does
        write(os.path.join(self.real, 'wine', 't2', 'b.json'), sample('wine', 't2', 'fresh'))
        write(os.path.join(self.real, 'wine', 't2', 'b.png'), '')
        with self.assertRaises(HeldOutSampleError):
            collect(self.real, [self.lists], 0.2)

    def test_require_train(self):
        self.assertRaises(HeldOutSampleError, require_train, {'split': 'heldout'}, 'x')
        self.assertRaises(HeldOutSampleError, require_train, {'split': 'fresh'}, 'x')
        self.assertRaises(HeldOutSampleError, require_train, {}, 'x')
        self.assertRaises(HeldOutSampleError, require_train, {'split': 'train', 'family': 'wine', 'app': 'a'}, 'x', 'wine', 'b')
        self.assertEqual(require_train({'split': 'train'}, 'x')['split'], 'train')

    def test_decoding_refuses_a_heldout_sample(self):
        from prepare import _work  # the decoder behind every cache
        j = os.path.join(self.real, 'wine', 't0', 'c.json')
        write(j, sample('wine', 't0', 'heldout'))
        from PIL import Image
        Image.new('RGB', (20, 10)).save(j[:-5] + '.png')  # a real image: without the guard the decode succeeds
        with self.assertRaises(HeldOutSampleError):
            _work((0, j, j[:-5] + '.png', 64))

    def test_val_apps_deterministic_by_app(self):
        apps = [f'a{i}' for i in range(10)]
        self.assertEqual(val_apps(apps, 0.2), val_apps(list(reversed(apps)), 0.2))
        self.assertEqual(len(val_apps(apps, 0.2)), 2)
        self.assertEqual(val_apps(apps[:2], 0.2), [])


if __name__ == '__main__':
    unittest.main()
