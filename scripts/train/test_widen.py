"""Unit tests of the function-preserving detector widening (widen.py).
/usr/bin/python3 -m unittest scripts/train/test_widen.py"""
import json
import os
import sys
import unittest

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import UIDetector  # noqa: E402
from recipe import load_onnx_weights  # noqa: E402
from widen import detector_with, max_output_diff, widen_detector, width_of, wider  # noqa: E402

SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'assets', 'models', 'detector', 'model.onnx')


def randomised(model, seed=1):
    """Every weight and BatchNorm statistic random, so that a wrong channel mapping cannot cancel out."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
    return model.eval()


class Widen(unittest.TestCase):
    def setUp(self):
        torch.set_num_threads(1)
        torch.manual_seed(0)

    def test_wide_model_computes_what_the_narrow_one_did(self):
        src = randomised(UIDetector())
        dst = widen_detector(src, wider(factor=1.5))
        self.assertEqual(width_of(dst), dict(c1=24, c2=48, c3=96, c4=192, c5=240, f=96))
        self.assertGreater(sum(p.numel() for p in dst.parameters()), 2 * sum(p.numel() for p in src.parameters()))
        ref = float(src(torch.rand(1, 3, 320, 320)).abs().max())
        self.assertLess(max_output_diff(src, dst), 1e-4 * max(1.0, ref))

    def test_noise_breaks_the_copies_symmetry_and_stays_small(self):
        src = randomised(UIDetector())
        exact = widen_detector(src, wider(factor=1.5))
        noisy = widen_detector(src, wider(factor=1.5), noise=0.01)
        self.assertTrue(torch.equal(exact.s3[0].pw[0].weight[:64], noisy.s3[0].pw[0].weight[:64]), 'old channels untouched')
        self.assertFalse(torch.equal(exact.s3[0].pw[0].weight[64:], noisy.s3[0].pw[0].weight[64:]), 'new channels perturbed')
        diff = max_output_diff(src, noisy)
        self.assertGreater(diff, 0.0)
        self.assertLess(diff, 0.05 * float(src(torch.rand(1, 3, 320, 320)).abs().max()))

    def test_the_shipped_detector_widens_exactly(self):
        # the shipped detector's own widths (metadata training.architecture; round 10 ships one already 1.5x wide)
        with open(os.path.join(os.path.dirname(SHIPPED), 'metadata.json')) as f:
            arch = json.load(f).get('training', {}).get('architecture')
        src = load_onnx_weights(detector_with(arch) if arch else UIDetector(), SHIPPED, (1, 3, 640, 640))
        dst = widen_detector(src, wider(factor=1.5, base=width_of(src)))
        self.assertGreater(sum(p.numel() for p in dst.parameters()), 2 * sum(p.numel() for p in src.parameters()))
        self.assertLess(max_output_diff(src, dst), 1e-3)

    def test_a_narrower_target_is_refused(self):
        with self.assertRaises(ValueError):
            widen_detector(randomised(UIDetector()), wider(factor=0.5))


if __name__ == '__main__':
    unittest.main()
