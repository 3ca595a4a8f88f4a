"""Detector batch sampling on strip-shaped screenshots (a 1920x120 menu bar letterboxes to 640x40): every crop offset
must exist. A real-program sample's exact ignore regions go through the crop like its boxes, and their cells (centre
inside, not grown, never a positive) get no background loss; a legacy check box's indicator is still grown.
/usr/bin/python3 -m unittest scripts/train/test_sample_batch.py"""
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import letterbox_params  # noqa: E402
from train_detector import assign, evaluate, ignore_masks, sample_batch, without_ignored  # noqa: E402


class StripScreens(unittest.TestCase):
    def test_strip_and_tall_screens_sample(self):
        metas = []
        for w, h in ((1920, 120), (90, 1400), (1920, 1080)):
            r, nw, nh, left, top = letterbox_params(w, h, 640)
            metas.append({'left': left, 'top': top, 'boxes': [[left + 2, top + 2, left + 30, top + 12]], 'detIgnore': []})
        imgs = np.zeros((len(metas), 640, 640, 3), dtype=np.uint8)
        rng = np.random.default_rng(0)
        for _ in range(200):
            x, targets, ignores = sample_batch(imgs, metas, rng, 4, 320, 640)
            self.assertEqual(tuple(x.shape), (4, 3, 320, 320))
            # a cache made before exact regions (no detIgnoreRegions key) has none
            self.assertTrue(all(len(ib) == 0 for ib in ignores))



def cells(s, crop, x1, y1, x2, y2):
    """Indices (row-major) of the stride-s cells of a crop x crop input whose centre lies in [x1,x2]x[y1,y2]."""
    n = crop // s
    return {j * n + i for j in range(n) for i in range(n) if x1 <= (i + 0.5) * s <= x2 and y1 <= (j + 0.5) * s <= y2}


class ExactRegions(unittest.TestCase):
    def test_regions_follow_the_crop_like_boxes(self):
        box, reg = [200, 200, 300, 260], [220, 150, 420, 250]
        metas = [{'left': 0, 'top': 0, 'boxes': [box, [20, 20, 28, 28]], 'detIgnore': [1], 'detIgnoreRegions': [reg]}]
        imgs = np.zeros((1, 640, 640, 3), dtype=np.uint8)
        rng = np.random.default_rng(1)
        checked = 0
        for _ in range(100):
            _, targets, ignores = sample_batch(imgs, metas, rng, 2, 320, 640)
            for t, ib in zip(targets, ignores):
                self.assertEqual(ib.shape[1], 5)
                exact = ib[ib[:, 4] == 0]
                self.assertTrue(bool(((exact[:, 2] > exact[:, 0]) & (exact[:, 3] > exact[:, 1])).all()))
                t = t.numpy()
                if len(t) != 1 or not (0 < t[0, 0] and t[0, 2] < 320 and 0 < t[0, 1] and t[0, 3] < 320):
                    continue
                # the unclipped target gives the crop's offset and scale
                k = (t[0, 2] - t[0, 0]) / (box[2] - box[0])
                x0, y0 = box[0] - t[0, 0] / k, box[1] - t[0, 1] / k
                want = np.clip((np.array(reg, dtype=np.float32) - [x0, y0, x0, y0]) * k, 0, 320)
                self.assertEqual(len(exact), 1)
                np.testing.assert_allclose(exact[0, :4].numpy(), want, atol=1e-3)
                checked += 1
        self.assertGreater(checked, 20)

    def test_mask_is_exactly_the_region_cells_that_are_not_positive(self):
        crop, strides = 64, (8, 16)
        target = torch.tensor([[24.0, 16.0, 48.0, 40.0]])
        region = torch.tensor([[10.0, 10.0, 40.0, 30.0, 0.0]])
        asg = assign([target], crop, strides)
        pos8 = set(torch.nonzero(asg[0][0][0]).reshape(-1).tolist())
        in_region = cells(8, crop, 10, 10, 40, 30)
        self.assertTrue(pos8 & in_region, 'the test needs positives inside the region')
        m = ignore_masks([region], asg, strides)
        self.assertEqual(set(torch.nonzero(m[0][0]).reshape(-1).tolist()), in_region - pos8)
        self.assertEqual(set(torch.nonzero(m[1][0]).reshape(-1).tolist()),
                         cells(16, crop, 10, 10, 40, 30) - set(torch.nonzero(asg[1][0][0]).reshape(-1).tolist()))

    def test_legacy_indicator_is_still_grown(self):
        crop, strides = 64, (8, 16)
        asg = assign([torch.zeros((0, 4))], crop, strides)
        want = cells(8, crop, 4, 4, 80, 20)  # indicator [8,8,16,16]: 8x its height right, half up and down
        for ib in (torch.tensor([[8.0, 8.0, 16.0, 16.0]]), torch.tensor([[8.0, 8.0, 16.0, 16.0, 1.0]])):
            m = ignore_masks([ib], asg, strides)
            self.assertEqual(set(torch.nonzero(m[0][0]).reshape(-1).tolist()), want)


class EvalDropsIgnored(unittest.TestCase):
    def test_unmatched_detection_half_inside_a_region_is_dropped(self):
        boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [6, 0, 16, 10], [0, 0, 10, 10.5], [50, 50, 60, 60]], dtype=np.float32)
        scores = np.arange(5, dtype=np.float32)
        gt = np.array([[0, 0, 10, 10.5]], dtype=np.float32)
        regions = [[-5, -5, 10, 20]]
        b, sc = without_ignored(boxes, scores, gt, regions)
        # 0: inside, matches the truth -> kept; 1: half inside -> dropped; 2: 40 % inside -> kept;
        # 3: inside, matches -> kept; 4: outside -> kept
        self.assertEqual(sc.tolist(), [0, 2, 3, 4])
        b, sc = without_ignored(boxes, scores, np.zeros((0, 4), np.float32), regions)
        self.assertEqual(sc.tolist(), [2, 4])
        self.assertEqual(without_ignored(boxes, scores, gt, [])[1].tolist(), [0, 1, 2, 3, 4])

    def test_validation_ap_drops_them(self):
        class Fixed(torch.nn.Module):
            # two detections (cx, cy, w, h, score): a false one inside the region, scored above the true one
            def forward(self, x):
                out = torch.tensor([[300.0, 100.0], [100.0, 100.0], [40.0, 40.0], [20.0, 20.0], [0.9, 0.8]])
                return out[None].expand(x.shape[0], -1, -1)
        meta = {'boxes': [[80, 90, 120, 110]], 'types': ['button'], 'detIgnore': []}
        imgs = np.zeros((1, 640, 640, 3), dtype=np.uint8)
        self.assertLess(evaluate(Fixed(), imgs, [meta])[0]['mAP50'], 0.6)
        self.assertEqual(evaluate(Fixed(), imgs, [{**meta, 'detIgnoreRegions': [[250, 50, 400, 150]]}])[0]['mAP50'], 1.0)


if __name__ == '__main__':
    unittest.main()
