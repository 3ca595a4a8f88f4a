"""Detector batch sampling on strip-shaped screenshots (a 1920x120 menu bar letterboxes to 640x40): every crop offset
must exist. /usr/bin/python3 -m unittest scripts/train/test_sample_batch.py"""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import letterbox_params  # noqa: E402
from train_detector import sample_batch  # noqa: E402


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


if __name__ == '__main__':
    unittest.main()
