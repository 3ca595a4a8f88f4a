"""The background label's pieces (docs/MODELS.md "Background label"): which detections are mined as negatives, the random
boxes off the truth, and the threshold rule. /usr/bin/python3 -m unittest scripts/train/test_background.py"""
import os
import sys
import types
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from background import THRESHOLDS, background_report, choose_threshold  # noqa: E402
from common import box_iou  # noqa: E402
from mine_negatives import random_boxes, split_detections  # noqa: E402


class MiningRule(unittest.TestCase):
    def test_negative_ambiguous_positive(self):
        gt = [[0, 0, 100, 20]]
        dets = [[0, 0, 100, 20],      # IoU 1: a control
                [0, 0, 45, 20],       # IoU 0.45: ambiguous, in neither set
                [0, 0, 25, 20],       # IoU 0.25: not a control
                [300, 300, 340, 320]]  # nowhere near: not a control
        self.assertEqual(split_detections(dets, gt, 0.3, 0.5), ['pos', 'ambiguous', 'neg', 'neg'])
        # no truth on the screen: every detection is a negative
        self.assertEqual(split_detections(dets[:2], [], 0.3, 0.5), ['neg', 'neg'])

    def test_ignore_regions_are_neither_set(self):
        gt = [[0, 0, 100, 20]]
        grid = [[200, 200, 600, 600]]            # e.g. a character grid: clickable, but the truth gives no boxes there
        dets = [[210, 210, 240, 240],            # inside the grid: no negative, the truth is silent there
                [580, 300, 640, 330],            # a third inside: still a negative
                [0, 0, 100, 20]]                 # a control inside or not: still a positive
        self.assertEqual(split_detections(dets, gt, 0.3, 0.5, grid), ['ignored', 'neg', 'pos'])
        self.assertEqual(split_detections(dets[:1], [], 0.3, 0.5, grid), ['ignored'])
        self.assertEqual(split_detections(dets[:1], [], 0.3, 0.5), ['neg'])

    def test_random_boxes_stay_off_ignore_regions(self):
        rng = np.random.default_rng(1)
        grid = [[0, 0, 700, 600]]
        out = random_boxes([[750, 10, 790, 30]], 800, 600, 10, 0.3, rng, tries=2000, regions=grid)
        self.assertGreater(len(out), 0)
        for b in out:
            self.assertGreaterEqual(b[0], 700, b)  # the only room clear of the region is the strip right of it

    def test_random_boxes_stay_off_the_truth(self):
        rng = np.random.default_rng(0)
        gt = [[0, 0, 400, 300], [500, 100, 560, 130]]
        out = random_boxes(gt, 800, 600, 20, 0.3, rng, tries=500)
        self.assertEqual(len(out), 20)
        ious = box_iou(np.asarray(out, dtype=np.float64), np.asarray(gt, dtype=np.float64))
        self.assertTrue((ious < 0.3).all())
        for b in out:
            self.assertTrue(0 <= b[0] < b[2] <= 800 and 0 <= b[1] < b[3] <= 600, b)


class ThresholdRule(unittest.TestCase):
    def test_lowest_threshold_within_the_false_drop_budget(self):
        p = np.array([0.0] * 90 + [0.32] * 5 + [0.42] * 3 + [0.62] * 2)
        # above 0.30: 10 % dropped; above 0.35: 5 %; above 0.45: 2 %; above 0.65: 0 %
        self.assertEqual(choose_threshold(p, 0.05), 0.35)
        self.assertEqual(choose_threshold(p, 0.02), 0.45)
        self.assertEqual(choose_threshold(p, 0.0), 0.65)
        self.assertEqual(choose_threshold(np.ones(10), 0.0), THRESHOLDS[-1])

    def test_report_figures(self):
        a = types.SimpleNamespace(bg_threshold='auto', bg_max_false_drop=0.0, labels=['button', 'link', 'background'],
                                  rv={'labels': np.array([0, 0, 1, 1])})
        pos = np.array([[0.9, 0.1, 0.0], [0.5, 0.1, 0.4], [0.1, 0.9, 0.0], [0.2, 0.6, 0.2]])
        neg = np.array([[0.1, 0.1, 0.8], [0.5, 0.2, 0.3], [0.05, 0.05, 0.9]])
        r = background_report(a, pos, neg, {'info': {}})
        self.assertEqual(r['threshold'], 0.4)           # 0.3 and 0.35 would drop the button at p 0.4
        self.assertEqual(r['falseDrop'], 0.0)
        self.assertAlmostEqual(r['drop'], 2 / 3, places=4)
        self.assertAlmostEqual(r['negTop1'], 2 / 3, places=4)
        a.bg_threshold = '0.25'
        r = background_report(a, pos, neg, {'info': {}})
        self.assertEqual(r['threshold'], 0.25)
        self.assertEqual(r['falseDropPerLabel'], {'button': 0.5, 'link': 0.0})
        # matched detections given: "auto" chooses on them (here one detection of a control at p 0.7 moves it to 0.7)
        a.bg_threshold = 'auto'
        det = np.array([[0.9, 0.1, 0.0], [0.2, 0.1, 0.7]])
        r = background_report(a, pos, neg, {'info': {}}, det)
        self.assertEqual(r['threshold'], 0.7)
        self.assertEqual(r['falseDropDetections'], 0.0)
        self.assertIn('matched detections', r['rule'])


if __name__ == '__main__':
    unittest.main()
