"""Detector ignore regions of prepare.py: a generator page labelled under the legacy box rule boxes a check box at its
indicator, so it is an ignore region; under the UIA box rule (the generator's default since round 2) and on
real-program samples it is an ordinary target. A real-program sample's own `ignore` regions are kept exactly, letterboxed
like its boxes; invalid ones are skipped. /usr/bin/python3 -m unittest scripts/train/test_prepare.py"""
import json
import os
import sys
import tempfile
import unittest

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prepare import _work  # noqa: E402


def sample(folder, name, extra, size=64):
    Image.new('RGB', (200, 100), 'white').save(os.path.join(folder, f'{name}.png'))
    lab = {'width': 200, 'height': 100, 'scale': 1, 'theme': 'light', 'elements': [
        {'id': 'e1', 'type': 'checkbox', 'checked': True, 'box': [10, 10, 90, 30]},
        {'id': 'e2', 'type': 'button', 'box': [10, 50, 90, 80]}], **extra}
    with open(os.path.join(folder, f'{name}.json'), 'w') as f:
        json.dump(lab, f)
    return (0, os.path.join(folder, f'{name}.json'), os.path.join(folder, f'{name}.png'), size)


class IgnoreRegions(unittest.TestCase):
    def test_legacy_generator_checkbox_is_ignored(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(_work(sample(d, 'a', {}))[2]['detIgnore'], [0])
            self.assertEqual(_work(sample(d, 'b', {'boxRule': 'legacy'}))[2]['detIgnore'], [0])

    def test_uia_generator_and_real_program_checkbox_is_a_target(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(_work(sample(d, 'c', {'boxRule': 'uia'}))[2]['detIgnore'], [])
            self.assertEqual(_work(sample(d, 'r', {'family': 'atspi', 'app': 'x', 'split': 'train'}))[2]['detIgnore'], [])



class ExactIgnoreRegions(unittest.TestCase):
    REAL = {'family': 'atspi', 'app': 'x', 'split': 'train'}

    def test_regions_are_letterboxed_like_boxes(self):
        # 200x100 into 400: r = 2, left = 0, top = 100
        with tempfile.TemporaryDirectory() as d:
            meta = _work(sample(d, 'r', {**self.REAL, 'ignore': [[100, 10, 190, 40]]}, 400))[2]
            self.assertEqual((meta['r'], meta['left'], meta['top']), (2, 0, 100))
            self.assertEqual(meta['detIgnoreRegions'], [[200, 120, 380, 180]])
            self.assertEqual(meta['boxes'][1], [20, 200, 180, 260])
            # not boxes, types, ids or classifier crops
            self.assertEqual(len(meta['boxes']), 2)
            self.assertEqual(len(_work(sample(d, 'r', {**self.REAL, 'ignore': [[100, 10, 190, 40]]}, 400))[3]), 2)

    def test_regions_are_clipped_and_invalid_ones_skipped(self):
        bad = [[10, 10, 10, 40], [50, 40, 60, 30], [1, 2, 3], [1, 2, 3, 'x'], [0, 0, True, 5], [0, 0, float('inf'), 5], 'abcd', None,
               [250, 10, 300, 40], [10, -30, 50, -5]]
        with tempfile.TemporaryDirectory() as d:
            meta = _work(sample(d, 'r', {**self.REAL, 'ignore': bad + [[-20, 90, 40, 130]]}, 400))[2]
            self.assertEqual(meta['detIgnoreRegions'], [[0, 280, 80, 300]])

    def test_no_ignore_key_means_no_regions(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(_work(sample(d, 'r', self.REAL))[2]['detIgnoreRegions'], [])
            self.assertEqual(_work(sample(d, 'g', {}))[2]['detIgnoreRegions'], [])


if __name__ == '__main__':
    unittest.main()


class CropRules(unittest.TestCase):
    """crops_for_rule: a cache's crops cut again under another crop rule, element for element and jitter for jitter as
    prepare would have cut them under that rule."""

    def make(self, d, n=2):
        import numpy as np
        rng = np.random.default_rng(7)
        pairs = []
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (120, 240, 3), dtype=np.uint8)).save(os.path.join(d, f'p{i}.png'))
            lab = {'width': 240, 'height': 120, 'scale': 1, 'theme': 'light', 'boxRule': 'uia', 'elements': [
                {'id': f'a{i}', 'type': 'button', 'box': [20 + i, 20, 100, 44]},
                {'id': f'dot{i}', 'type': 'button', 'box': [5, 5, 6, 6]},          # under 2 px: not kept
                {'id': f'b{i}', 'type': 'link', 'box': [130, 60 + i, 200, 80]}]}
            with open(os.path.join(d, f'p{i}.json'), 'w') as f:
                json.dump(lab, f)
            pairs.append((os.path.join(d, f'p{i}.json'), os.path.join(d, f'p{i}.png')))
        return pairs

    def test_another_rule_cuts_the_same_elements_with_more_context(self):
        import numpy as np
        from common import load_rgb
        from prepare import crops_for_rule, element_crops, prepare_samples
        with tempfile.TemporaryDirectory() as d:
            pairs = self.make(d)
            cache = prepare_samples(pairs, os.path.join(d, 'cache'), size=128, workers=1)
            base = np.load(os.path.join(cache, 'crops.npz'))
            self.assertEqual(crops_for_rule(cache), os.path.join(cache, 'crops.npz'))
            path = crops_for_rule(cache, 0.3, 10, workers=1)
            self.assertEqual(os.path.basename(path), 'crops_e0.3_p10.npz')
            z = np.load(path)
            self.assertEqual(z['exact'].shape, base['exact'].shape)
            for k in ('labels', 'image', 'ids'):
                self.assertEqual(z[k].tolist(), base[k].tolist())
            for i, (j, p) in enumerate(pairs):
                with open(j) as f:
                    lab = json.load(f)
                ex, jt = element_crops(load_rgb(p), lab, i, 0.3, 10)
                rows = np.nonzero(z['image'] == i)[0]
                self.assertEqual(len(rows), 2)
                np.testing.assert_array_equal(z['exact'][rows], np.stack(ex))
                np.testing.assert_array_equal(z['jitter'][rows], np.stack(jt))
                # the contract's crops are the same cut under the contract's rule, and the wider rule differs from them
                ex0, jt0 = element_crops(load_rgb(p), lab, i)
                np.testing.assert_array_equal(base['exact'][rows], np.stack(ex0))
                np.testing.assert_array_equal(base['jitter'][rows], np.stack(jt0))
                self.assertFalse(np.array_equal(z['exact'][rows], base['exact'][rows]))

    def test_the_rule_is_the_agents(self):
        from common import crop_box
        # the same rectangle as the agent's cropRect under that rule (test/unit/vision-preprocess.test.ts)
        self.assertEqual(crop_box([100, 100, 200, 120], 1000, 1000, expand=0.3, min_pad=10), (70, 90, 230, 130))
        self.assertEqual(crop_box([100, 100, 200, 120], 1000, 1000), (90, 96, 210, 124))

    def test_a_sample_changed_since_its_cache_is_refused(self):
        from prepare import crops_for_rule, prepare_samples
        with tempfile.TemporaryDirectory() as d:
            pairs = self.make(d)
            cache = prepare_samples(pairs, os.path.join(d, 'cache'), size=128, workers=1)
            with open(pairs[1][0]) as f:
                lab = json.load(f)
            lab['elements'].pop()
            with open(pairs[1][0], 'w') as f:
                json.dump(lab, f)
            with self.assertRaises(SystemExit) as cm:
                crops_for_rule(cache, 0.3, 10, workers=1)
            self.assertIn('prepare it again', str(cm.exception))
            self.assertFalse(os.path.exists(os.path.join(cache, 'crops_e0.3_p10.npz')))
