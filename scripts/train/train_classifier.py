"""Train the 64x64 element-crop classifier and export ONNX. Labels: the type table src/common/element-types.ts with the
checked state folded into checkbox/radio/toggle labels (element_types.py). Issue 15: --real-apps adds the crops of the
real-program TRAIN applications (share --real-frac of the sampling mass); validation adds a slice of the train apps
(held-out apps are never read); --init-onnx starts from the shipped model.onnx (a label it had keeps its head row, a
new label gets a new one); --resume continues from a checkpoint; --minutes bounds the total wall-clock.
--negatives DIR (mine_negatives.py's output) adds the label `background`, LAST so every other head row keeps its index:
crops of detections that match no truth box on the train apps (plus random boxes off the truth), --bg-frac of the
sampling mass; metadata.json gets postprocess.backgroundThreshold, chosen on the validation slice of the TRAIN apps
(docs/MODELS.md "Background label").
--views "0.10:4,0.25:8" (2..4 expand:minPad pairs) trains a multi-view classifier (models.MultiViewCropNet): each element
is cut once per view (prepare.crops_for_rule), the views stacked along channels in view order ([N, 3·V, 64, 64], view k in
channels 3k..3k+2), one shared trunk; --init-onnx starts it as the shipped model on view 0. metadata.json preprocess.crop
gets `views` (docs/MODELS.md "Crop rule"). Not with --crop-expand/--crop-min-pad (view 0 is the single rule) nor --negatives.

python3 scripts/train/train_classifier.py --data $RPA_DATA_DIR/synth_train --val $RPA_DATA_DIR/synth_heldout \
    --real $RPA_DATA_DIR/real --out assets/models/classifier --epochs 4
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from background import BACKGROUND, add_background_args, background_pool, background_report  # noqa: E402
from common import (portable_paths, CLASSIFIER_LABELS, CROP_EXPAND, CROP_MIN_PAD, CROP_SIZE, histogram10, pattern_tensor,  # noqa: E402
                    SEEDS_NOTE, add_common_args, seed_everything, train_schedule, self_test_block, to_tensor, write_json)
from models import CropNet, MultiViewCropNet  # noqa: E402
from prepare import crops_for_rule, prepare  # noqa: E402
from recipe import Checkpointer, add_recipe_args, check_self_test, freeze_bn, load_onnx_weights, real_caches  # noqa: E402

def crop_contract(expand=CROP_EXPAND, min_pad=CROP_MIN_PAD, views=None):
    """metadata.json preprocess.crop: the crop rule the model was trained under (the agent's spec.ts reads expandRatio,
    minPadPx and size from it, so a model trained under another rule is served under its own). With `views` (a list of
    (expand, min pad), 2..4) the block also lists them, and its single rule is view 0's."""
    if views:
        expand, min_pad = views[0]
    extra = {'views': [{'expandRatio': e, 'minPadPx': p} for e, p in views]} if views else {}
    return {**_single_crop(expand, min_pad), **extra}


def _single_crop(expand, min_pad):
    return {'expandRatio': expand, 'minPadPx': min_pad, 'size': [CROP_SIZE, CROP_SIZE], 'resize': 'stretch-bilinear',
            'clampToImage': True,
            'rule': 'pad = max(expandRatio * side, minPadPx) per axis in screenshot pixels; x1 = floor(max(0, bx1 - padX)), '
                    'y1 = floor(max(0, by1 - padY)), x2 = ceil(min(W, bx2 + padX)), y2 = ceil(min(H, by2 + padY)); '
                    'crop [x1,x2) x [y1,y2) from the full-resolution RGB screenshot, stretch to 64x64 (bilinear), /255'}


CROP_CONTRACT = crop_contract()


def load_crops(data_dir, cache=None, rule=(CROP_EXPAND, CROP_MIN_PAD)):
    """A cache's crops under a crop rule (expand, min pad): the contract's by default, the run's --crop-expand/--crop-min-pad.
    `rule` may also be a list of 2..4 rules (--views): the views' crops stacked along channels (stack_views)."""
    if isinstance(rule, list):
        cache = cache or prepare(data_dir)
        return stack_views([load_crops(None, cache, r) for r in rule])
    c = np.load(crops_for_rule(cache or prepare(data_dir), *rule))
    return {k: c[k] for k in c.files}


def parse_views(spec):
    """--views "0.10:4,0.25:8" -> [(0.1, 4.0), (0.25, 8.0)]: 2..4 distinct expand:minPad pairs, each under the same bounds
    as --crop-expand/--crop-min-pad. Raises ValueError with the reason."""
    parts = [p.strip() for p in spec.split(',')]
    if not 2 <= len(parts) <= 4:
        raise ValueError(f'{len(parts)} views; need 2..4 expand:minPad pairs')
    views = []
    for p in parts:
        bits = p.split(':')
        try:
            if len(bits) != 2:
                raise ValueError
            e, m = float(bits[0]), float(bits[1])
        except ValueError:
            raise ValueError(f'"{p}" is not expand:minPad') from None
        if not (np.isfinite(e) and np.isfinite(m) and 0 <= e <= 2 and 0 <= m <= 64):
            raise ValueError(f'"{p}": need 0 <= expand <= 2 and 0 <= minPad <= 64')
        views.append((e, m))
    if len(set(views)) != len(views):
        raise ValueError('two views have the same rule')
    return views


def views_arg(spec):
    """--views of a command line: parse_views, or error[bad_argument] and exit 2 (train_classifier, score_classifier)."""
    try:
        return parse_views(spec)
    except ValueError as e:
        print(f'error[bad_argument]: --views {spec!r}: {e}', file=sys.stderr)
        sys.exit(2)


def stack_views(per_view):
    """The crops of one cache under each view's rule -> one set, exact/jitter uint8 [N, S, S, 3·V] with view k in
    channels 3k..3k+2 (NCHW after to_tensor). Every view must hold the same elements in the same order."""
    first = per_view[0]
    for k, c in enumerate(per_view[1:], 1):
        for key in ('labels', 'image', 'ids'):
            if key in first and (key not in c or not np.array_equal(c[key], first[key])):
                raise SystemExit(f'error: crop view {k} does not hold view 0\'s elements in the same order ({key} differ): prepare again')
        for key in ('exact', 'jitter'):
            if c[key].shape != first[key].shape:
                raise SystemExit(f'error: crop view {k} {key} is {c[key].shape}, view 0\'s {first[key].shape}')
    out = {k: v for k, v in first.items() if k not in ('exact', 'jitter')}
    for key in ('exact', 'jitter'):
        out[key] = np.concatenate([c[key] for c in per_view], axis=3)
    return out


def augment(u8, rng):
    x = to_tensor(u8)
    b = x.shape[0]
    a = torch.from_numpy(rng.uniform(0.75, 1.25, (b, 1, 1, 1)).astype(np.float32))
    c = torch.from_numpy(rng.uniform(-0.1, 0.1, (b, 1, 1, 1)).astype(np.float32))
    x = ((x - 0.5) * a + 0.5 + c)
    # channel shuffle / hue-ish jitter keeps the model from keying on the accent colour (the same RGB permutation in
    # every view of a multi-view crop)
    perm = torch.from_numpy(rng.random(b) < 0.3)
    if perm.any():
        p = rng.permutation(3)
        x[perm] = x[perm][:, torch.from_numpy(np.concatenate([3 * k + p for k in range(x.shape[1] // 3)]))]
    return x.clamp_(0, 1)


@torch.no_grad()
def predict(model, u8, batch=512):
    model.eval()
    out = []
    for s in range(0, len(u8), batch):
        out.append(model(to_tensor(u8[s:s + batch])))
    model.train()
    return torch.cat(out).numpy()


def metrics(probs, labels, names=CLASSIFIER_LABELS):
    pred = probs.argmax(1)
    top1 = float((pred == labels).mean())
    per = {}
    for k, name in enumerate(names):
        m = labels == k
        if m.any():
            per[name] = round(float((pred[m] == k).mean()), 4)
    conf = np.zeros((len(names), len(names)), dtype=int)
    for p, l in zip(pred, labels):
        conf[l, p] += 1
    return {'top1': round(top1, 4), 'n': int(len(labels)), 'perLabel': per}, conf


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap, lr=3e-3)
    ap.add_argument('--epochs', type=int, default=4)
    ap.add_argument('--max-train', type=int, default=60000,
                    help='cap the pool at this many crops, split evenly over the labels; 0 = every crop (the sampler balances labels)')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--save-weights', default=None, help='also save the state_dict here (similarity init)')
    ap.add_argument('--init', default=None, help='start from this state_dict (fine-tune on new data)')
    ap.add_argument('--crop-expand', type=float, default=None,
                    help='crop rule: share of the box side added on each side (the model records its rule in metadata.json)')
    ap.add_argument('--crop-min-pad', type=float, default=None, help='crop rule: at least this many screenshot px added on each side')
    ap.add_argument('--views', default=None, help='multi-view classifier: 2..4 crop rules "expand:minPad,expand:minPad" '
                    '(view 0 first, e.g. "0.10:4,0.25:8"); the views are stacked along channels')
    add_recipe_args(ap)
    add_background_args(ap)
    a = ap.parse_args()
    a.view_rules = None
    if a.views is not None:
        a.view_rules = views_arg(a.views)
        if a.crop_expand is not None or a.crop_min_pad is not None:
            print('error[bad_argument]: --views sets every crop rule (view 0 is the single one); not with --crop-expand/--crop-min-pad',
                  file=sys.stderr)
            sys.exit(2)
        if a.negatives:
            print('error[bad_argument]: --negatives holds crops cut under one rule; it cannot train a multi-view (--views) model',
                  file=sys.stderr)
            sys.exit(2)
    a.crop_expand = CROP_EXPAND if a.crop_expand is None else a.crop_expand
    a.crop_min_pad = CROP_MIN_PAD if a.crop_min_pad is None else a.crop_min_pad
    if not (0 <= a.crop_expand <= 2 and 0 <= a.crop_min_pad <= 64):
        raise SystemExit('error[bad_argument]: need 0 <= --crop-expand <= 2 and 0 <= --crop-min-pad <= 64')
    if a.negatives and (a.crop_expand, a.crop_min_pad) != (CROP_EXPAND, CROP_MIN_PAD):
        raise SystemExit('error[bad_argument]: --negatives holds crops cut under the contract\'s rule; it cannot train a model '
                         'under another --crop-expand/--crop-min-pad')
    rule = a.view_rules or (a.crop_expand, a.crop_min_pad)
    seed_everything(a.seed)
    rng = np.random.default_rng(a.seed)
    tr = load_crops(a.data, rule=rule)
    va = load_crops(a.val, rule=rule)
    rtrain, rval, a.real_info = real_caches(a)
    rt = load_crops(None, rtrain, rule) if rtrain else None
    a.rv = load_crops(None, rval, rule) if rval else None
    # training pool: exact crops + jittered crops (robustness to detector box error), class-balanced cap
    X = np.concatenate([tr['exact'], tr['jitter']] + ([rt['exact'], rt['jitter']] if rt else []))
    Y = np.concatenate([tr['labels'], tr['labels']] + ([rt['labels'], rt['labels']] if rt else []))
    is_real = np.arange(len(Y)) >= 2 * len(tr['labels'])
    # the label list of this model: the type table's labels, and `background` LAST when negatives are given
    a.labels = list(CLASSIFIER_LABELS)
    bg = background_pool(a, len(CLASSIFIER_LABELS)) if a.negatives else None
    if bg is not None and bg['det_pos'] is not None:
        # detector-shaped crops of real controls under their truth label (before the background crops, which stay last)
        X = np.concatenate([X, bg['det_pos']['crops']])
        Y = np.concatenate([Y, bg['det_pos']['labels'].astype(Y.dtype)])
        is_real = np.concatenate([is_real, np.ones(len(bg['det_pos']['labels']), dtype=bool)])
    if bg is not None:
        a.labels.append(BACKGROUND)
        X = np.concatenate([X, bg['crops']])
        Y = np.concatenate([Y, np.full(len(bg['crops']), len(CLASSIFIER_LABELS), dtype=Y.dtype)])
        is_real = np.concatenate([is_real, bg['real']])
    labels = a.labels
    counts = np.bincount(Y, minlength=len(labels))
    if a.max_train > 0:
        cap = max(a.max_train // len(labels), 1)
        idx = []
        for k in range(len(labels)):
            ids = np.nonzero(Y == k)[0]
            idx.append(rng.permutation(ids)[:cap] if len(ids) > cap else ids)
        idx = np.concatenate(idx)
    else:
        idx = np.arange(len(Y))
    print('train crops per label', dict(zip(labels, counts.tolist())), 'using', len(idx), flush=True)
    # sampling weights: sqrt-balanced so rare labels (radio_checked, toggle_*) are seen often enough
    w = 1.0 / np.sqrt(np.bincount(Y[idx], minlength=len(labels))[Y[idx]])
    is_bg = Y[idx] == len(CLASSIFIER_LABELS) if bg is not None else np.zeros(len(idx), dtype=bool)
    if rt is not None and is_real[idx][~is_bg].any() and (~is_real[idx][~is_bg]).any():
        # the real-program crops get --real-frac of the sampling mass, the generator crops the rest
        r = is_real[idx] & ~is_bg
        g = ~is_real[idx] & ~is_bg
        w[r] *= a.real_frac / w[r].sum()
        w[g] *= (1 - a.real_frac) / w[g].sum()
    if is_bg.any():
        # background gets --bg-frac of the mass; within it, random boxes --bg-random-frac, mined detections the rest
        rnd = np.zeros(len(idx), dtype=bool)
        rnd[is_bg] = bg['random'][idx[is_bg] - (len(Y) - len(bg['crops']))]
        w[~is_bg] *= (1 - a.bg_frac) / w[~is_bg].sum()
        mined = is_bg & ~rnd
        share = a.bg_random_frac if rnd.any() and mined.any() else (1.0 if rnd.any() else 0.0)
        if mined.any():
            w[mined] = a.bg_frac * (1 - share) / mined.sum()
        if rnd.any():
            w[rnd] = a.bg_frac * share / rnd.sum()
    w /= w.sum()
    model = MultiViewCropNet(len(labels), len(a.view_rules), mode='logits') if a.view_rules else CropNet(len(labels), mode='logits')
    if a.init_onnx:
        init_from_shipped(model, a.init_onnx, labels)
    elif a.init:
        model.load_state_dict(torch.load(a.init))
        print('initialised from', a.init, flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=5e-4)
    ck = Checkpointer(a, model, opt, rng)
    if a.resume:
        if not os.path.exists(a.resume):
            raise SystemExit(f'error: --resume {a.resume}: no such checkpoint')
        ck.resume(a.resume)
    a.train_pool = len(idx)
    steps_per_epoch = len(idx) // a.batch
    total = steps_per_epoch * a.epochs
    model.train()

    def one_step(step, lr):
        bi = idx[rng.choice(len(idx), a.batch, p=w)]
        x = augment(X[bi], rng)
        y = torch.from_numpy(Y[bi])
        loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return f'loss {loss.item():.4f}'

    total, train_seconds = train_schedule(opt, a.lr, total, a.minutes, 50, one_step, 50, label=f'/{total}',
                                          start_step=ck.start_step, elapsed0=ck.elapsed0, on_step=ck.save)
    ck.record(a, total, train_seconds, {'batch': a.batch, 'realFrac': a.real_frac if rt else 0, 'trainPool': len(idx)})
    ck.save(total, train_seconds, force=True)
    a.history = ck.history
    if a.save_weights:
        torch.save(model.state_dict(), a.save_weights)
    model.mode = 'classifier'
    vprobs = predict(model, va['exact'])
    held, conf = metrics(vprobs, va['labels'], labels)
    held_j, _ = metrics(predict(model, va['jitter']), va['labels'], labels)
    held['top1JitteredBoxes'] = held_j['top1']
    print('heldout', json.dumps(held), flush=True)
    print('confusion (rows=true)\n', conf, flush=True)
    real = None
    if a.real:
        rc = load_crops(a.real, rule=rule)
        real, _ = metrics(predict(model, rc['exact']), rc['labels'], labels)
        print('real', json.dumps(real), flush=True)
    a.real_val = None
    a.background = None
    if a.rv is not None:
        rv_probs = predict(model, a.rv['exact'])
        a.real_val, rconf = metrics(rv_probs, a.rv['labels'], labels)
        print('real-apps val (train apps held for validation)', json.dumps(a.real_val), flush=True)
        print('confusion (rows=true)\n', rconf, flush=True)
        if bg is not None:
            # the threshold is chosen here, on the validation slice of the TRAIN apps (never on held-out apps)
            a.background = background_report(a, rv_probs, predict(model, bg['val_crops']) if len(bg['val_crops']) else None, bg,
                                             predict(model, bg['val_pos']) if bg['val_pos'] is not None and len(bg['val_pos']) else None)
            print('background (real-apps val)', json.dumps(a.background), flush=True)
    export(model, a, held, real, vprobs.max(1), train_seconds, total)


def init_from_shipped(model, onnx_path, labels=CLASSIFIER_LABELS):
    """The shipped classifier (its own labels, in metadata.json) -> `model`: the body as shipped, the head row of every
    label both sets share; a new label's row starts small, with the lowest shipped bias. A multi-view `model`
    (MultiViewCropNet) gets the shipped head in view 0's columns and zeros in the other views', so it starts as the
    shipped model on view 0."""
    meta = os.path.join(os.path.dirname(onnx_path), 'metadata.json')
    with open(meta) as f:
        md = json.load(f)
    old_labels = md['labels']
    if ((md.get('preprocess') or {}).get('crop') or {}).get('views'):
        raise SystemExit(f'error: {meta}: --init-onnx starts from a single-view classifier; this one has crop views')
    old = CropNet(len(old_labels), mode='classifier')
    load_onnx_weights(old, onnx_path, (1, 3, CROP_SIZE, CROP_SIZE))
    check_self_test(old, meta, pattern_tensor)
    sd = {k: v for k, v in old.state_dict().items() if not k.startswith('fc.')}
    model.load_state_dict(sd, strict=False)
    nf = old.fc.weight.shape[1]  # one view's features
    with torch.no_grad():
        model.fc.weight.mul_(0.1)
        model.fc.weight[:, nf:] = 0  # the other views' columns (multi-view): the head starts on view 0 alone
        model.fc.bias.fill_(float(old.fc.bias.min()))
        kept = []
        for i, lab in enumerate(labels):
            if lab in old_labels:
                j = old_labels.index(lab)
                model.fc.weight[i, :nf] = old.fc.weight[j]
                model.fc.bias[i] = old.fc.bias[j]
                kept.append(lab)
    freeze_bn(model)
    print(f'classifier head: {len(kept)} labels kept from the shipped model, new: {[x for x in labels if x not in kept]}', flush=True)


def export(model, a, held, real, conf, train_seconds, steps):
    model.eval()
    model.mode = 'classifier'
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, 'model.onnx')
    views = getattr(a, 'view_rules', None)
    ch = 3 * len(views) if views else 3
    torch.onnx.export(model, torch.zeros(1, ch, CROP_SIZE, CROP_SIZE), path, input_names=['images'], output_names=['probs'],
                      dynamic_axes={'images': {0: 'batch'}, 'probs': {0: 'batch'}}, opset_version=17, do_constant_folding=True)
    shape = [1, ch, CROP_SIZE, CROP_SIZE]
    with torch.no_grad():
        st = self_test_block('images', shape, 'probs', model(pattern_tensor(shape)), n=len(a.labels))
        lat = []
        xb = torch.rand(16, ch, CROP_SIZE, CROP_SIZE)
        for i in range(20):
            t = time.perf_counter()
            model(xb)
            lat.append((time.perf_counter() - t) * 1000)
    meta = {
        'role': 'classifier', 'name': 'ui-classifier', 'version': a.version,
        'contract': {'inputs': [{'name': 'images', 'dtype': 'float32', 'shape': ['batch', ch, CROP_SIZE, CROP_SIZE]}],
                     'outputs': [{'name': 'probs', 'dtype': 'float32', 'shape': ['batch', len(a.labels)]}]},
        'labels': a.labels,
        'preprocess': {'inputWidth': CROP_SIZE, 'inputHeight': CROP_SIZE, 'letterbox': False, 'mean': [0, 0, 0], 'std': [1, 1, 1],
                       'scale': 255, 'channelOrder': 'RGB', 'layout': 'NCHW', 'crop': crop_contract(a.crop_expand, a.crop_min_pad, views)},
        'postprocess': {'format': 'softmax', 'outputIsProbability': True,
                        **({'backgroundThreshold': a.background['threshold']} if a.background else {})},
        'selfTest': st,
        'baseline': {'latencyP95Ms': round(float(np.percentile(lat, 95)), 2), 'latencySource': 'torch-cpu-2-threads, batch 16',
                     'confidenceHistogram': histogram10(conf), 'confidenceHistogramSource': 'max softmax probability on held-out synthetic crops'},
        'training': {'command': 'bash scripts/train/all.sh (train_classifier.py)', 'seeds': SEEDS_NOTE + '; torch/numpy seed %d' % a.seed, 'lineage': a.lineage,
                     'epochs': round(steps * a.batch / a.train_pool, 2), 'trainPool': a.train_pool, 'steps': steps, 'batch': a.batch, 'trainSeconds': round(train_seconds, 1),
                     'data': {'synthetic': a.data, 'syntheticVal': a.val, 'realPrograms': a.real_info}, 'history': a.history,
                     'heldOut': {'synthetic': held, 'real': real, 'realAppsVal': a.real_val, 'background': a.background}, 'note': 'Python-side metrics are indicative; ground-truth boxes, exact crop rule.'},
        'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
    }
    write_json(os.path.join(a.out, 'metadata.json'), portable_paths(meta))
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
