"""Detector ignore regions of prepare.py: a generator page labelled under the legacy box rule boxes a check box at its
indicator, so it is an ignore region; under the UIA box rule (the generator's default since round 2) and on
real-program samples it is an ordinary target. /usr/bin/python3 -m unittest scripts/train/test_prepare.py"""
import json
import os
import sys
import tempfile
import unittest

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prepare import _work  # noqa: E402


def sample(folder, name, extra):
    Image.new('RGB', (200, 100), 'white').save(os.path.join(folder, f'{name}.png'))
    lab = {'width': 200, 'height': 100, 'scale': 1, 'theme': 'light', 'elements': [
        {'id': 'e1', 'type': 'checkbox', 'checked': True, 'box': [10, 10, 90, 30]},
        {'id': 'e2', 'type': 'button', 'box': [10, 50, 90, 80]}], **extra}
    with open(os.path.join(folder, f'{name}.json'), 'w') as f:
        json.dump(lab, f)
    return (0, os.path.join(folder, f'{name}.json'), os.path.join(folder, f'{name}.png'), 64)


class IgnoreRegions(unittest.TestCase):
    def test_legacy_generator_checkbox_is_ignored(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(_work(sample(d, 'a', {}))[2]['detIgnore'], [0])
            self.assertEqual(_work(sample(d, 'b', {'boxRule': 'legacy'}))[2]['detIgnore'], [0])

    def test_uia_generator_and_real_program_checkbox_is_a_target(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(_work(sample(d, 'c', {'boxRule': 'uia'}))[2]['detIgnore'], [])
            self.assertEqual(_work(sample(d, 'r', {'family': 'atspi', 'app': 'x', 'split': 'train'}))[2]['detIgnore'], [])


if __name__ == '__main__':
    unittest.main()
