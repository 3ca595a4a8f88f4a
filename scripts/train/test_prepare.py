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
