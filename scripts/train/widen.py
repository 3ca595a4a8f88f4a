"""A larger detector that starts where a smaller one stands (issue 15 §3, docs/MODELS.md "Round 7"): function-preserving
widening (Net2WiderNet, Chen et al. 2016) of `models.UIDetector` in its BatchNorm-folded form (recipe.load_onnx_weights).

Every channel "space" of the network (the stage widths c1..c5 and the FPN width f) grows from n to m channels; new
channel j copies old channel g(j) (g = identity on the first n, random old channels after). A convolution's new weight
W'[o, i] = W[g_out(o), g_in(i)] / count_in(g_in(i)), so the copies' contributions sum to the old one; a depthwise
convolution's channel o is old channel g(o); biases follow g_out. ReLU, residual sums, nearest upsampling and the FPN's
sums act per channel, so the wide network computes exactly what the narrow one did (checked by `max_output_diff`). The
input (RGB) and the heads' outputs (box, score) are not widened. Copies get the same gradients forever unless they
differ: `noise` adds a small perturbation to the incoming weights of the new channels only.
"""
import numpy as np
import torch
import torch.nn as nn

from models import UIDetector


def spaces(name, conv):
    """(input space, output space) of a convolution of UIDetector, by its module name."""
    p = name.split('.')
    depthwise = conv.groups > 1 and conv.groups == conv.in_channels
    if p[0] == 'stem':
        return 'rgb', 'c1'
    if p[0] in ('s2', 's3', 's4', 's5'):
        k, j = int(p[0][1]), int(p[1])
        inp = f'c{k - 1}' if j == 0 else f'c{k}'
        return (inp, inp) if depthwise else (inp, f'c{k}')
    if p[0] in ('l2', 'l3', 'l4', 'l5'):
        return f'c{p[0][1]}', 'f'
    if p[0] in ('down2', 'f4', 'f3'):
        return 'f', 'f'
    if p[0] == 'heads':
        return ('f', 'out') if p[2] in ('box', 'cls') else ('f', 'f')
    raise ValueError(f'widen: no channel space for {name} (p2 models are not supported)')


def width_of(model):
    """The (c1..c5, fpn) widths of a UIDetector."""
    return dict(c1=model.stem[0].out_channels, c2=model.s2[0].pw[0].out_channels, c3=model.s3[0].pw[0].out_channels,
                c4=model.s4[0].pw[0].out_channels, c5=model.s5[0].pw[0].out_channels, f=model.l3[0].out_channels)


def channel_maps(old, new, rng):
    """Per space: g (new channel -> old channel) and the number of copies of each old channel."""
    maps = {}
    for k, n in old.items():
        m = new[k]
        if m < n:
            raise ValueError(f'widen: {k} would shrink from {n} to {m}')
        g = np.concatenate([np.arange(n), rng.integers(0, n, m - n)])
        maps[k] = (torch.from_numpy(g), torch.from_numpy(np.bincount(g, minlength=n)).float())
    return maps


@torch.no_grad()
def widen_detector(src, dst, seed=0, noise=0.0):
    """Copy src (a UIDetector with folded, frozen BatchNorm) into the wider dst (same nc, no p2), function-preserving
    when noise is 0. Returns dst with BatchNorm frozen like src."""
    from recipe import freeze_bn
    if src.p2 or dst.p2 or src.nc != dst.nc:
        raise ValueError('widen: both models need the same nc and no p2 level')
    maps = channel_maps(width_of(src), width_of(dst), np.random.default_rng(seed))
    ident = lambda n: (torch.arange(n), torch.ones(n))  # noqa: E731
    gen = torch.Generator().manual_seed(seed)
    dst_mods = dict(dst.named_modules())
    for name, c in src.named_modules():
        if not isinstance(c, nn.Conv2d):
            continue
        d = dst_mods[name]
        si, so = spaces(name, c)
        g_in, cnt_in = maps[si] if si in maps else ident(c.in_channels)
        g_out, _ = maps[so] if so in maps else ident(c.out_channels)
        w = c.weight[g_out]
        if d.groups == 1:
            w = w[:, g_in] / cnt_in[g_in].view(1, -1, 1, 1)
        if noise > 0 and len(g_out) > c.out_channels:
            extra = w[c.out_channels:]
            w[c.out_channels:] = extra + noise * extra.std() * torch.randn(extra.shape, generator=gen)
        d.weight.copy_(w)
        # the bias: the conv's own (heads), else the folded BatchNorm that follows it
        if c.bias is not None:
            d.bias.copy_(c.bias[g_out])
        else:
            bs, bd = src.get_submodule(name.rsplit('.', 1)[0])[1], dst.get_submodule(name.rsplit('.', 1)[0])[1]
            for attr in ('weight', 'bias', 'running_mean', 'running_var'):
                getattr(bd, attr).copy_(getattr(bs, attr)[g_out])
    freeze_bn(dst)
    return dst


def detector_with(widths, nc=1, p2=False):
    """A UIDetector of the given widths (the dict width_of returns and metadata training.architecture records)."""
    return UIDetector(nc=nc, p2=p2, width=tuple(widths[k] for k in ('c1', 'c2', 'c3', 'c4', 'c5')), fpn=widths['f'])


def wider(nc=1, factor=1.5, base=None):
    """A UIDetector `factor` times as wide as `base` (default UIDetector's own widths), channel counts rounded to 8."""
    base = base or width_of(UIDetector(nc=nc))
    return detector_with({k: int(8 * round(v * factor / 8)) for k, v in base.items()}, nc=nc)


@torch.no_grad()
def max_output_diff(a, b, shape=(1, 3, 320, 320), seed=0):
    """Largest absolute difference of the two models' outputs on one random input (both in eval mode)."""
    a.eval()
    b.eval()
    x = torch.rand(shape, generator=torch.Generator().manual_seed(seed))
    return float((a(x) - b(x)).abs().max())
