"""Multi-view classifiers (train_classifier.py --views, models.MultiViewCropNet; docs/MODELS.md "Crop rule"): the
--views argument, the views' crops stacked along channels in view order, the shipped-model start (the multi-view
model equals the shipped classifier on view 0), the export's [batch, 3·V, 64, 64] input and metadata views, and the
agent reading the exported model: its cropBatch gives the recipe's stacked crops and its onnxruntime the recipe's
probabilities (scripts/train/crop_parity.ts). /usr/bin/python3 -m unittest test_views.py"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from common import crop_element, load_rgb, to_tensor  # noqa: E402
from models import CropNet, MultiViewCropNet  # noqa: E402
from prepare import prepare_samples  # noqa: E402
from train_classifier import init_from_shipped, load_crops, parse_views, stack_views  # noqa: E402

SHIPPED = os.path.join(REPO, 'assets', 'models', 'classifier', 'model.onnx')
VIEWS = [(0.1, 4.0), (0.25, 8.0)]
TYPES = ['button', 'link', 'text_input', 'tab']


def make_pages(d, n=3, seed=7):
    """n noisy 240x120 pages, four elements each (one under 2 px, not kept). Returns the (json, png) pairs."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (120, 240, 3), dtype=np.uint8)).save(os.path.join(d, f'p{i}.png'))
        els = [{'id': f'e{i}_{k}', 'type': TYPES[(i + k) % len(TYPES)], 'box': [10 + 50 * k + i, 20 + 7 * k, 50 + 50 * k, 40 + 9 * k]}
               for k in range(4)]
        els.append({'id': f'dot{i}', 'type': 'button', 'box': [5, 5, 6, 6]})
        with open(os.path.join(d, f'p{i}.json'), 'w') as f:
            json.dump({'width': 240, 'height': 120, 'scale': 1, 'theme': 'light', 'boxRule': 'uia', 'elements': els}, f)
        pairs.append((os.path.join(d, f'p{i}.json'), os.path.join(d, f'p{i}.png')))
    return pairs


def train(args, cwd=HERE):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, os.path.join(HERE, 'train_classifier.py'), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


class ViewsArgument(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(parse_views('0.10:4,0.25:8'), VIEWS)
        self.assertEqual(len(parse_views('0:0, 0.1:4, 0.5:16, 2:64')), 4)
        for bad in ('0.1:4', '0.1:4,0.2:4,0.3:4,0.4:4,0.5:4', '0.1:4,0.25', '0.1:4,a:8', '0.1:4,3:8', '0.1:4,0.2:65',
                    '0.1:4,-0.1:8', '0.1:4,0.1:4', '0.1:4,nan:8', '0.1:4,0.2:8:1', ''):
            with self.assertRaises(ValueError, msg=bad):
                parse_views(bad)

    def test_bad_input_is_refused_with_exit_2(self):
        with tempfile.TemporaryDirectory() as d:
            common = ['--data', d, '--val', d, '--out', os.path.join(d, 'out')]
            for extra in (['--views', '0.1:4'], ['--views', '0.1:4,x:8'], ['--views', '0.1:4,0.25:8', '--crop-expand', '0.2'],
                          ['--views', '0.1:4,0.25:8', '--crop-min-pad', '4'], ['--views', '0.1:4,0.25:8', '--negatives', d]):
                r = train(common + extra)
                self.assertEqual(r.returncode, 2, f'{extra}: {r.stderr}')
                self.assertIn('error[bad_argument]', r.stderr, extra)
                self.assertFalse(os.path.exists(os.path.join(d, 'out')))


class Stacking(unittest.TestCase):
    def test_channel_block_k_is_view_k(self):
        with tempfile.TemporaryDirectory() as d:
            cache = prepare_samples(make_pages(d), os.path.join(d, 'cache'), size=128, workers=1)
            st = load_crops(None, cache, VIEWS)
            per = [load_crops(None, cache, r) for r in VIEWS]
            self.assertEqual(st['exact'].shape, per[0]['exact'].shape[:3] + (6,))
            for k, c in enumerate(per):
                for key in ('exact', 'jitter'):
                    np.testing.assert_array_equal(st[key][..., 3 * k:3 * k + 3], c[key])
                    np.testing.assert_array_equal(to_tensor(st[key])[:, 3 * k:3 * k + 3].numpy(), to_tensor(c[key]).numpy())
            self.assertEqual(st['labels'].tolist(), per[0]['labels'].tolist())
            self.assertFalse(np.array_equal(per[0]['exact'], per[1]['exact']))
            # and the crops are the rule's own: element 0 of page 0 under each view
            with open(os.path.join(d, 'p0.json')) as f:
                box = json.load(f)['elements'][0]['box']
            img = load_rgb(os.path.join(d, 'p0.png'))
            row = int(np.nonzero(st['image'] == 0)[0][0])
            np.testing.assert_array_equal(st['exact'][row], np.concatenate([crop_element(img, box, expand=e, min_pad=p) for e, p in VIEWS], 2))

    def test_views_that_disagree_are_refused(self):
        a = {'exact': np.zeros((2, 4, 4, 3), np.uint8), 'jitter': np.zeros((2, 4, 4, 3), np.uint8), 'labels': np.array([0, 1]),
             'image': np.array([0, 0]), 'ids': np.array(['a', 'b'])}
        b = {**a, 'ids': np.array(['b', 'a'])}
        with self.assertRaises(SystemExit) as cm:
            stack_views([a, b])
        self.assertIn('same order', str(cm.exception))
        with self.assertRaises(SystemExit):
            stack_views([a, {**a, 'exact': np.zeros((1, 4, 4, 3), np.uint8)}])


@unittest.skipUnless(os.path.exists(SHIPPED), 'no shipped classifier')
class ShippedStart(unittest.TestCase):
    def test_multi_view_starts_as_the_shipped_model_on_view_0(self):
        with open(os.path.join(os.path.dirname(SHIPPED), 'metadata.json')) as f:
            labels = json.load(f)['labels']
        torch.manual_seed(0)
        single = CropNet(len(labels), mode='classifier')
        init_from_shipped(single, SHIPPED, labels)
        for v in (2, 3):
            multi = MultiViewCropNet(len(labels), v, mode='classifier')
            init_from_shipped(multi, SHIPPED, labels)
            self.assertEqual(float(multi.fc.weight[:, 384:].abs().max()), 0.0)
            single.eval()
            multi.eval()
            x = torch.rand(5, 3 * v, 64, 64)
            with torch.no_grad():
                np.testing.assert_allclose(multi(x).numpy(), single(x[:, :3]).numpy(), atol=1e-5, rtol=0)
                # the other views do not matter at the start; view 0 does
                y = x.clone()
                y[:, 3:] = torch.rand(5, 3 * v - 3, 64, 64)
                np.testing.assert_allclose(multi(y).numpy(), multi(x).numpy(), atol=1e-6, rtol=0)


NODE = shutil.which('node')


@unittest.skipUnless(os.path.exists(SHIPPED) and NODE and os.path.isdir(os.path.join(REPO, 'node_modules', 'tsx')),
                     'needs the shipped classifier and node with tsx')
class SmokeRunAndAgentParity(unittest.TestCase):
    def test_export_and_the_agent_reads_it(self):
        import onnx
        with tempfile.TemporaryDirectory() as d:
            tr, va, out = os.path.join(d, 'train'), os.path.join(d, 'val'), os.path.join(d, 'out')
            os.makedirs(tr)
            os.makedirs(va)
            make_pages(tr, 3, seed=1)
            make_pages(va, 2, seed=2)
            weights = os.path.join(d, 'w.pt')
            r = train(['--data', tr, '--val', va, '--out', out, '--views', '0.10:4,0.25:8', '--init-onnx', SHIPPED,
                       '--epochs', '2', '--batch', '4', '--save-weights', weights])
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
            m = onnx.load(os.path.join(out, 'model.onnx'))
            dims = [x.dim_param or x.dim_value for x in m.graph.input[0].type.tensor_type.shape.dim]
            self.assertEqual(dims, ['batch', 6, 64, 64])
            self.assertEqual(m.graph.input[0].name, 'images')
            self.assertEqual(m.graph.output[0].name, 'probs')
            with open(os.path.join(out, 'metadata.json')) as f:
                md = json.load(f)
            crop = md['preprocess']['crop']
            self.assertEqual(crop['views'], [{'expandRatio': 0.1, 'minPadPx': 4.0}, {'expandRatio': 0.25, 'minPadPx': 8.0}])
            self.assertEqual((crop['expandRatio'], crop['minPadPx'], crop['size']), (0.1, 4.0, [64, 64]))
            self.assertEqual(md['contract']['inputs'][0]['shape'], ['batch', 6, 64, 64])
            self.assertEqual(md['selfTest']['input']['shape'], [1, 6, 64, 64])
            # the agent: metadata -> spec, cropBatch on a page's boxes, onnxruntime on that batch
            with open(os.path.join(va, 'p1.json')) as f:
                boxes = [e['box'] for e in json.load(f)['elements']]
            png = os.path.join(va, 'p1.png')
            with open(os.path.join(d, 'boxes.json'), 'w') as f:
                json.dump(boxes, f)
            r = subprocess.run([NODE, '--import', 'tsx', os.path.join(HERE, 'crop_parity.ts'), out, png, os.path.join(d, 'boxes.json'),
                                os.path.join(d, 'ts')], cwd=REPO, capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(os.path.join(d, 'ts.json')) as f:
                info = json.load(f)
            self.assertEqual(info['inputDims'], [len(boxes), 6, 64, 64])
            ts_in = np.fromfile(os.path.join(d, 'ts.input.f32'), dtype=np.float32).reshape(info['inputDims'])
            img = load_rgb(png)
            py_u8 = np.stack([np.concatenate([crop_element(img, b, expand=e, min_pad=p) for e, p in VIEWS], 2) for b in boxes])
            py_in = to_tensor(py_u8).numpy()
            self.assertLessEqual(float(np.abs(ts_in - py_in).max()), 1e-6)
            # the same stacking the trainer fed the model: this page's rows of the validation cache's stacked crops
            va_st = load_crops(va, rule=VIEWS)
            rows = np.nonzero(va_st['image'] == 1)[0]
            kept = [i for i, b in enumerate(boxes) if b[2] - b[0] >= 2 and b[3] - b[1] >= 2]
            np.testing.assert_array_equal(va_st['exact'][rows], py_u8[kept])
            # onnxruntime in the agent == the trained weights in torch
            model = MultiViewCropNet(len(md['labels']), 2, mode='logits')
            model.load_state_dict(torch.load(weights))
            model.mode = 'classifier'
            model.eval()
            with torch.no_grad():
                want = model(torch.from_numpy(py_in)).numpy()
            got = np.fromfile(os.path.join(d, 'ts.probs.f32'), dtype=np.float32).reshape(want.shape)
            np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
            # score_classifier.py scores the saved weights with the same --views (and refuses them without)
            env = {**os.environ, 'OMP_NUM_THREADS': '1'}
            r = subprocess.run([sys.executable, os.path.join(HERE, 'score_classifier.py'), '--weights', weights, '--data', va,
                                '--views', '0.10:4,0.25:8', '--json'], capture_output=True, text=True, env=env, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertEqual(json.loads(r.stdout.strip().splitlines()[-1])['n'], len(va_st['labels']))
            r = subprocess.run([sys.executable, os.path.join(HERE, 'score_classifier.py'), '--weights', weights, '--data', va, '--json'],
                               capture_output=True, text=True, env=env, timeout=300)
            self.assertNotEqual(r.returncode, 0)
            # the similarity model stays single-view: a multi-view classifier's weights give its trunk whole (train_similarity --init)
            sim = CropNet(128, mode='embedding')
            res = sim.load_state_dict({k: v for k, v in torch.load(weights).items() if not k.startswith('fc.')}, strict=False)
            self.assertEqual(sorted(res.missing_keys), ['fc.bias', 'fc.weight'])
            self.assertEqual(res.unexpected_keys, [])


if __name__ == '__main__':
    unittest.main()
