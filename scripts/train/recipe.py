"""Pieces of the issue-15 retraining recipe shared by the detector and classifier scripts:
  * the real-program training data (train apps only, see real_apps.py) decoded into caches;
  * initialisation from the SHIPPED ONNX weights (no .pt of earlier rounds is kept): BatchNorm was folded into the
    convolutions at export, so each conv gets the folded weight and its BatchNorm becomes the identity with the folded
    bias; those BatchNorms stay frozen (eval mode) while fine-tuning, so the network starts exactly as shipped;
  * checkpoints: model, optimiser, step, elapsed wall-clock, RNG states and the history of runs, written every
    --checkpoint-every seconds and at the end; --resume continues the same cosine schedule where it stopped.
"""
import hashlib
import json
import os
import shutil
import time

import numpy as np
import torch
import torch.nn as nn

from prepare import PREP_VERSION, prepare_samples
from real_apps import collect

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


def add_recipe_args(ap):
    ap.add_argument('--real-apps', default=None, help='real-program samples root (<family>/<app>/*.json), e.g. $RPA_DATA_DIR/real-apps')
    ap.add_argument('--apps-lists', default=os.path.join(REPO, 'scripts', 'dataset', 'apps'),
                    help='comma list of folders holding <family>.json apps lists (the committed split); first match wins')
    ap.add_argument('--val-frac', type=float, default=0.1, help='share of each family\'s TRAIN apps held for validation (by app)')
    ap.add_argument('--real-frac', type=float, default=0.6, help='share of each batch drawn from the real-program train apps')
    ap.add_argument('--cache-root', default=None, help='where real-program caches go (default <real-apps>/../train-cache)')
    ap.add_argument('--real-pinned', default=None,
                    help='JSON naming the prepared real-program caches (written by `recipe.py --pin FILE`); the trainings '
                         'read these instead of collecting again, so both see the same samples while harvesters still write')
    ap.add_argument('--init-onnx', default=None, help='initialise from this shipped model.onnx (BatchNorm folded; frozen while training)')
    ap.add_argument('--resume', default=None, help='continue from this checkpoint (model, optimiser, step, elapsed time, RNG)')
    ap.add_argument('--checkpoint', default=None, help='write checkpoints here (default: --resume, else <--save>.ckpt)')
    ap.add_argument('--checkpoint-every', type=float, default=120, help='seconds between checkpoints')


def real_caches(a, size=640, tries=3):
    """(train cache dir, val cache dir, info) for the real-program TRAIN apps, or (None, None, None). A sample that
    vanishes while it is decoded (a harvester rewriting its app) restarts the collection, at most `tries` times."""
    if getattr(a, 'real_pinned', None):
        with open(a.real_pinned) as f:
            p = json.load(f)
        print('real-apps (pinned)', json.dumps({k: p['info'][k] for k in ('trainApps', 'valApps', 'samples')}), flush=True)
        return p['train'], p['val'], p['info']
    if not a.real_apps:
        return None, None, None
    for k in range(tries):
        try:
            return _real_caches(a, size)
        except FileNotFoundError as e:
            print(f'real-apps: {e} (a sample vanished while decoding); collecting again', flush=True)
    return _real_caches(a, size)


def _real_caches(a, size):
    dirs = [d for d in a.apps_lists.split(',') if d]
    train, val, info = collect(a.real_apps, dirs, a.val_frac)
    root = a.cache_root or os.path.join(os.path.dirname(os.path.abspath(a.real_apps)), 'train-cache')
    out = []
    for name, samples in (('train', train), ('val', val)):
        samples = snapshot(samples, os.path.join(root, 'snapshot'), a.real_apps)
        if not samples:
            out.append(None)
            continue
        # the cache is named by its samples and the decoder's version: a cache of older metas is not reused
        h = hashlib.sha256(f'prep v{PREP_VERSION}\n'.encode())
        for j, p in samples:
            h.update(f'{j}|{os.path.getsize(j)}|{os.path.getsize(p)}\n'.encode())
        out.append(prepare_samples(samples, os.path.join(root, f'real-{name}-{h.hexdigest()[:10]}'), size, 2, f'real-apps {name}'))
    info['samples'] = {'train': len(train), 'val': len(val)}
    print('real-apps', json.dumps({k: info[k] for k in ('trainApps', 'valApps', 'samples')}), flush=True)
    return out[0], out[1], info


def snapshot(samples, dest, real_root):
    """Copy the (json, png) pairs under `dest` (same relative paths) so harvesters rewriting their apps cannot pull
    files away mid-decode; a pair that vanished before its copy is left out. Returns the copied pairs."""
    out = []
    for j, p in samples:
        rel = os.path.relpath(j, real_root)
        dj, dp = os.path.join(dest, rel), os.path.join(dest, rel[:-5] + '.png')
        os.makedirs(os.path.dirname(dj), exist_ok=True)
        try:
            shutil.copyfile(j, dj + '.tmp')
            shutil.copyfile(p, dp + '.tmp')
        except FileNotFoundError:
            continue
        os.replace(dj + '.tmp', dj)
        os.replace(dp + '.tmp', dp)
        out.append((dj, dp))
    return out


def freeze_bn(model):
    """Keep every BatchNorm in eval mode (its running statistics fixed) whatever model.train() is called with."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.train = (lambda mod: (lambda mode=True: nn.Module.train(mod, False)))(m)


@torch.no_grad()
def load_onnx_weights(model, onnx_path, input_shape):
    """Copy the initialisers of an exported model.onnx into `model` (same architecture): Conv nodes in graph order
    onto nn.Conv2d modules in execution order, BatchNorm set to the identity plus the folded bias; a Gemm onto the
    Linear. Returns the model with BatchNorm frozen."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(onnx_path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    convs = [n for n in g.node if n.op_type == 'Conv']
    gemms = [n for n in g.node if n.op_type == 'Gemm']
    order, hooks = [], []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(lambda mod, i, o: order.append(mod)))
    model.eval()
    model(torch.zeros(input_shape))
    for h in hooks:
        h.remove()
    if len(order) != len(convs):
        raise SystemExit(f'error: {onnx_path} has {len(convs)} convolutions, the model {len(order)}')
    bn_of = {}
    for m in model.modules():
        if isinstance(m, nn.Sequential) and len(m) >= 2 and isinstance(m[0], nn.Conv2d) and isinstance(m[1], nn.BatchNorm2d):
            bn_of[m[0]] = m[1]
    for mod, node in zip(order, convs):
        w = torch.from_numpy(np.array(inits[node.input[1]]))
        if tuple(w.shape) != tuple(mod.weight.shape):
            raise SystemExit(f'error: {onnx_path}: conv {node.name} {tuple(w.shape)} vs model {tuple(mod.weight.shape)}')
        b = torch.from_numpy(np.array(inits[node.input[2]])) if len(node.input) > 2 else torch.zeros(w.shape[0])
        mod.weight.copy_(w)
        if mod.bias is not None:
            mod.bias.copy_(b)
        else:
            bn = bn_of[mod]
            bn.weight.fill_(1.0)
            bn.bias.copy_(b)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
    lin = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for mod, node in zip(lin, gemms):
        w = torch.from_numpy(np.array(inits[node.input[1]]))
        trans_b = any(at.name == 'transB' and at.i == 1 for at in node.attribute)
        mod.weight.copy_(w if trans_b else w.t())
        mod.bias.copy_(torch.from_numpy(np.array(inits[node.input[2]])))
    freeze_bn(model)
    return model


def check_self_test(model, meta_path, pattern_tensor):
    """The loaded weights must reproduce the shipped model's own self-test (metadata.json selfTest)."""
    with open(meta_path) as f:
        st = json.load(f)['selfTest']
    model.eval()
    with torch.no_grad():
        out = model(pattern_tensor(st['input']['shape'])).reshape(-1).numpy()
    exp = np.asarray(st['expected']['values'])
    got = out[np.asarray(st['expected']['indices'])]
    err = np.abs(got - exp) / np.maximum(1, np.abs(exp))
    if not (err <= st['tolerance']).all():
        raise SystemExit(f'error: weights from {meta_path} do not reproduce its self-test (max rel err {err.max():.3g})')
    print(f'initialised from the shipped ONNX weights: self-test reproduced (max rel err {err.max():.2e})', flush=True)


class Checkpointer:
    """Checkpoint writer/reader. State: model, opt, step, elapsed, numpy/torch RNG, history, freezeBn."""

    def __init__(self, a, model, opt, rng):
        self.path = a.checkpoint or a.resume or ((getattr(a, 'save', None) or getattr(a, 'save_weights', None) or os.path.join(a.out, 'train')) + '.ckpt')
        self.every = a.checkpoint_every
        self.model, self.opt, self.rng = model, opt, rng
        self.last = time.time()
        self.history = []
        self.start_step, self.elapsed0 = 0, 0.0

    def resume(self, path):
        ck = torch.load(path)
        if ck.get('freezeBn'):
            freeze_bn(self.model)
        self.model.load_state_dict(ck['model'])
        self.opt.load_state_dict(ck['opt'])
        self.rng.bit_generator.state = ck['rng']
        torch.set_rng_state(ck['torchRng'])
        self.start_step, self.elapsed0, self.history = ck['step'], ck['elapsed'], ck['history']
        print(f'resumed from {path}: step {self.start_step}, {self.elapsed0:.0f}s done', flush=True)

    def save(self, step, elapsed, force=False):
        if not force and time.time() - self.last < self.every:
            return
        self.last = time.time()
        frozen = any(isinstance(m, nn.BatchNorm2d) and 'train' in m.__dict__ for m in self.model.modules())
        ck = {'model': self.model.state_dict(), 'opt': self.opt.state_dict(), 'step': step, 'elapsed': elapsed,
              'rng': self.rng.bit_generator.state, 'torchRng': torch.get_rng_state(), 'history': self.history, 'freezeBn': frozen}
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        torch.save(ck, self.path + '.tmp')
        os.replace(self.path + '.tmp', self.path)

    def record(self, a, steps, seconds, extra=None):
        self.history.append({'ended': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'resumedFrom': a.resume,
                             'initOnnx': a.init_onnx, 'stepsTotal': steps, 'secondsThisRun': round(seconds - self.elapsed0, 1),
                             'lr': a.lr, 'minutesBudget': a.minutes, **(extra or {})})


if __name__ == '__main__':
    # Decode the real-program caches once before the detector and classifier start side by side (they share them).
    import argparse
    ap = argparse.ArgumentParser(description='prepare the real-program train/val caches')
    add_recipe_args(ap)
    ap.add_argument('--pin', required=True, help='write the prepared cache dirs + info here (pass it as --real-pinned)')
    a = ap.parse_args()
    tr, va, info = real_caches(a)
    with open(a.pin + '.tmp', 'w') as f:
        json.dump({'train': tr, 'val': va, 'info': info}, f, indent=1)
    os.replace(a.pin + '.tmp', a.pin)
