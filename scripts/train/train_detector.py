"""Train the class-agnostic UI element detector and export it as ONNX in the YOLOv8 layout.

python3 scripts/train/train_detector.py --data $RPA_DATA_DIR/synth_train --val $RPA_DATA_DIR/synth_heldout \
    --real $RPA_DATA_DIR/real --out assets/models/detector --steps 1500

Issue 15: with --real-apps the batches mix the real-program TRAIN applications (share --real-frac) with the generator
pages; validation and the saved metrics use a slice of the train apps (real_apps.py: held-out apps are never read).
Targets are UIA-shaped boxes (a check box with its label); a generator page's check box / radio is boxed at its
indicator only, so it is an ignore region (no target, no background loss there) rather than a conflicting target.
A real-program sample's own ignore regions (prepare.py detIgnoreRegions: visible, clickable areas its ground truth
cannot give) are exact regions: cells whose centre lies in one get no background loss, positives stay positives; the
validation AP drops a detection lying at least half inside one that matches no truth box (as scripts/eval does).
--init-onnx starts from the shipped model.onnx, --resume from a checkpoint, --minutes bounds the total wall-clock.

Training runs on random crops (default 320x320) of the letterboxed 640x640 screenshots, with scale jitter; the
network is fully convolutional, so the exported 640x640 graph sees elements at the same scale as in training.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (portable_paths, DETECTOR_LABELS, PAD_VALUE, average_precision, box_iou, decode_yolov8, inside_ignore, histogram10, pattern_tensor,  # noqa: E402
                    SEEDS_NOTE, add_common_args, seed_everything, train_schedule, self_test_block, write_json)
from models import UIDetector  # noqa: E402
from widen import detector_with, max_output_diff, widen_detector, width_of, wider  # noqa: E402
from prepare import prepare  # noqa: E402
from recipe import Checkpointer, add_recipe_args, check_self_test, load_onnx_weights, real_caches  # noqa: E402


def load_split(data_dir, size, cache=None):
    cache = cache or prepare(data_dir, size)
    imgs = np.load(os.path.join(cache, f'det_{size}.npy'), mmap_mode='r')
    with open(os.path.join(cache, f'det_{size}.json')) as f:
        metas = json.load(f)
    if any(m.get('family') and 'detIgnoreRegions' not in m for m in metas):
        # decoded before prepare.py kept them (PREP_VERSION < 2; e.g. a cache pinned earlier): read as none
        print(f'warning: {cache}: real-program samples without detIgnoreRegions (cache older than exact ignore '
              'regions); their ignore regions are not honoured', flush=True)
    return imgs, metas


def sample_batch(imgs, metas, rng, batch, crop, size):
    xs = np.empty((batch, crop, crop, 3), dtype=np.uint8)
    targets, ignores = [], []
    for b in range(batch):
        i = int(rng.integers(len(metas)))
        m = metas[i]
        nw, nh = size - 2 * m['left'], size - 2 * m['top']
        src = int(round(crop * float(np.exp(rng.uniform(math.log(0.8), math.log(1.25))))))
        src = min(src, size)
        # keep most of the crop over the screenshot content, not the padding
        # (a strip-shaped screenshot — a menu bar, a toolbar — can leave no such range: then any offset)
        lo, hi = max(0, m['left'] - src // 4), max(1, min(size - src, m['left'] + nw - 3 * src // 4)) + 1
        x0 = int(rng.integers(lo, hi)) if lo < hi else int(rng.integers(0, size - src + 1))
        lo, hi = max(0, m['top'] - src // 4), max(1, min(size - src, m['top'] + nh - 3 * src // 4)) + 1
        y0 = int(rng.integers(lo, hi)) if lo < hi else int(rng.integers(0, size - src + 1))
        x0 = min(max(0, x0), size - src)
        y0 = min(max(0, y0), size - src)
        patch = np.asarray(imgs[i, y0:y0 + src, x0:x0 + src])
        if src != crop:
            t = torch.from_numpy(np.ascontiguousarray(patch)).permute(2, 0, 1)[None].float()
            t = F.interpolate(t, size=(crop, crop), mode='bilinear', align_corners=False, antialias=src > crop)
            patch = t[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()
        xs[b] = patch
        k = crop / src
        allb = np.asarray(m['boxes'], dtype=np.float32).reshape(-1, 4)
        ign = np.zeros(len(allb), dtype=bool)
        ign[m.get('detIgnore', [])] = True
        off = np.array([x0, y0, x0, y0], dtype=np.float32)
        ib = np.clip((allb[ign] - off) * k, 0, crop)
        # exact regions through the same crop/scale; the ones the crop misses are dropped
        er = np.clip((np.asarray(m.get('detIgnoreRegions', []), dtype=np.float32).reshape(-1, 4) - off) * k, 0, crop)
        er = er[(er[:, 2] > er[:, 0]) & (er[:, 3] > er[:, 1])]
        # per image [K,5]: x1 y1 x2 y2 grow (1 = a legacy check box's indicator, grown in ignore_masks; 0 = exact)
        ignores.append(torch.from_numpy(np.concatenate([
            np.concatenate([ib, np.ones((len(ib), 1), np.float32)], 1),
            np.concatenate([er, np.zeros((len(er), 1), np.float32)], 1)])))
        bx = allb[~ign]
        if len(bx):
            area0 = (bx[:, 2] - bx[:, 0]) * (bx[:, 3] - bx[:, 1])
            cb = (bx - np.array([x0, y0, x0, y0], dtype=np.float32)) * k
            cc = np.clip(cb, 0, crop)
            area1 = (cc[:, 2] - cc[:, 0]) * (cc[:, 3] - cc[:, 1])
            keep = area1 >= 0.5 * area0 * k * k
            bx = cc[keep]
        targets.append(torch.from_numpy(bx))
    x = torch.from_numpy(xs).permute(0, 3, 1, 2).float().div_(255.0)
    # photometric jitter: contrast/brightness, sometimes grayscale
    a = torch.from_numpy(rng.uniform(0.8, 1.2, (batch, 1, 1, 1)).astype(np.float32))
    c = torch.from_numpy(rng.uniform(-0.08, 0.08, (batch, 1, 1, 1)).astype(np.float32))
    x = ((x - 0.5) * a + 0.5 + c).clamp_(0, 1)
    g = torch.from_numpy(rng.random(batch) < 0.1)
    if g.any():
        x[g] = x[g].mean(1, keepdim=True).expand(-1, 3, -1, -1)
    return x, targets, ignores


def ignore_masks(ignores, asg, strides):
    """Per level [B,HW]: cells whose centre lies in an ignore region and that are not positive. ignores: per image
    [K,4] or [K,5] (x1 y1 x2 y2 grow). A row with grow 1 (every row of a [K,4]) is a generator check box's indicator
    box, grown to the right by 8x its height (where its label would be, since the UIA box holds it) and by half its
    height up and down; a row with grow 0 is an exact region (a real-program sample's ignore region), not grown."""
    out = []
    for (pos, _, cx, cy), s in zip(asg, strides):
        m = torch.zeros_like(pos)
        for b, ib in enumerate(ignores):
            if len(ib) == 0:
                continue
            g = ib[:, 4] if ib.shape[1] > 4 else torch.ones(len(ib))
            h = (ib[:, 3] - ib[:, 1]) * g
            x1, x2 = ib[:, 0] - 0.5 * h, ib[:, 2] + 8 * h
            y1, y2 = ib[:, 1] - 0.5 * h, ib[:, 3] + 0.5 * h
            inside = (cx[:, None] >= x1) & (cx[:, None] <= x2) & (cy[:, None] >= y1) & (cy[:, None] <= y2)
            m[b] = inside.any(1) & ~pos[b]
        out.append(m)
    return out


def giou_and_iou(p, g):
    ix1 = torch.max(p[:, 0], g[:, 0]); iy1 = torch.max(p[:, 1], g[:, 1])
    ix2 = torch.min(p[:, 2], g[:, 2]); iy2 = torch.min(p[:, 3], g[:, 3])
    inter = (ix2 - ix1).clamp(min=0) * (iy2 - iy1).clamp(min=0)
    ap = (p[:, 2] - p[:, 0]).clamp(min=0) * (p[:, 3] - p[:, 1]).clamp(min=0)
    ag = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    union = ap + ag - inter + 1e-7
    iou = inter / union
    cx1 = torch.min(p[:, 0], g[:, 0]); cy1 = torch.min(p[:, 1], g[:, 1])
    cx2 = torch.max(p[:, 2], g[:, 2]); cy2 = torch.max(p[:, 3], g[:, 3])
    carea = (cx2 - cx1) * (cy2 - cy1) + 1e-7
    return iou - (carea - union) / carea, iou


# sqrt(area) in input px handled per stride (ranges overlap on purpose)
LEVEL_RANGES = {(8, 16): {8: (0, 64), 16: (32, 1e9)}, (4, 8, 16): {4: (0, 16), 8: (8, 64), 16: (32, 1e9)}}


def assign(targets, crop, strides, radius=2.5):
    """FCOS-style centre sampling. Returns per level: (pos mask [B,HW], gt boxes [B,HW,4])."""
    out = []
    for li, s in enumerate(strides):
        n = crop // s
        cs = (torch.arange(n, dtype=torch.float32) + 0.5) * s
        cy, cx = torch.meshgrid(cs, cs, indexing='ij')
        cx, cy = cx.reshape(-1), cy.reshape(-1)
        pos = torch.zeros(len(targets), n * n, dtype=torch.bool)
        gtb = torch.zeros(len(targets), n * n, 4)
        lo, hi = LEVEL_RANGES[tuple(strides)][s]
        for b, g in enumerate(targets):
            if len(g) == 0:
                continue
            w, h = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
            sz = (w * h).sqrt()
            ok = (sz >= lo) & (sz <= hi)
            gcx, gcy = (g[:, 0] + g[:, 2]) / 2, (g[:, 1] + g[:, 3]) / 2
            inside = (cx[:, None] >= g[None, :, 0]) & (cx[:, None] <= g[None, :, 2]) & (cy[:, None] >= g[None, :, 1]) & (cy[:, None] <= g[None, :, 3])
            near = ((cx[:, None] - gcx[None]).abs() <= radius * s) & ((cy[:, None] - gcy[None]).abs() <= radius * s)
            m = inside & near & ok[None]
            # the cell holding the box centre is always positive (tiny boxes may contain no cell centre)
            ci = (gcy / s).floor().clamp(0, n - 1).long() * n + (gcx / s).floor().clamp(0, n - 1).long()
            m[ci[ok], torch.nonzero(ok).reshape(-1)] = True
            area = (w * h)[None].expand_as(m).clone()
            area[~m] = float('inf')
            best = area.argmin(1)
            p = m.any(1)
            pos[b] = p
            gtb[b] = g[best]
        out.append((pos, gtb, cx, cy))
    return out


def loss_fn(model, x, targets, crop, ignores=None):
    raw = model.raw(x)
    asg = assign(targets, crop, model.strides)
    ign = ignore_masks(ignores, asg, model.strides) if ignores is not None else [None] * len(asg)
    cls_loss = torch.zeros(())
    box_loss = torch.zeros(())
    npos = 0
    for (box, cls), (pos, gtb, cx, cy), s, im in zip(raw, asg, model.strides, ign):
        B = box.shape[0]
        box = box.flatten(2).transpose(1, 2)          # B,HW,4
        logit = cls.flatten(2).transpose(1, 2)[..., 0]  # B,HW
        target = torch.zeros_like(logit)
        if pos.any():
            d = F.softplus(box[pos]) * s
            pcx = cx[None].expand(B, -1)[pos]
            pcy = cy[None].expand(B, -1)[pos]
            pb = torch.stack([pcx - d[:, 0], pcy - d[:, 1], pcx + d[:, 2], pcy + d[:, 3]], 1)
            g = gtb[pos]
            giou, iou = giou_and_iou(pb, g)
            box_loss = box_loss + (1 - giou).sum()
            target[pos] = iou.detach().clamp(min=0.05)
            npos += int(pos.sum())
        p = torch.sigmoid(logit)
        l_ = F.binary_cross_entropy_with_logits(logit, target, reduction='none') * (p - target).abs().pow(2)
        if im is not None:
            l_ = l_ * (~im).float()
        cls_loss = cls_loss + l_.sum()
    npos = max(npos, 1)
    return cls_loss / npos, box_loss / npos


def without_ignored(boxes, scores, gt, regions):
    """(boxes, scores) without the detections lying at least half inside an exact ignore region that match no truth
    box at IoU >= 0.5 (scripts/eval/real-metrics.ts withoutIgnored). boxes [N,4], gt [M,4], regions [R,4] xyxy."""
    if len(regions) == 0 or len(boxes) == 0:
        return boxes, scores
    inside = inside_ignore(boxes, regions)
    matched = (box_iou(boxes, gt) >= 0.5).any(1) if len(gt) else np.zeros(len(boxes), dtype=bool)
    keep = ~inside | matched
    return boxes[keep], scores[keep]


@torch.no_grad()
def evaluate(model, imgs, metas, score_thr=0.001, batch=4, max_images=None):
    model.eval()
    n = len(metas) if max_images is None else min(len(metas), max_images)
    dets, gts, types, conf = [], [], [], []
    for s in range(0, n, batch):
        x = torch.from_numpy(np.ascontiguousarray(imgs[s:min(n, s + batch)])).permute(0, 3, 1, 2).float().div_(255.0)
        out = model(x).numpy()
        for k in range(out.shape[0]):
            b, sc, _ = decode_yolov8(out[k], score_thr=score_thr, iou_thr=0.45, max_det=300)
            m = metas[s + k]
            keep = [i for i in range(len(m['boxes'])) if i not in set(m.get('detIgnore', []))]
            gts.append(np.asarray([m['boxes'][i] for i in keep], dtype=np.float32).reshape(-1, 4))
            b, sc = without_ignored(b, sc, gts[-1], m.get('detIgnoreRegions', []))
            dets.append((b, sc))
            types.append([m['types'][i] for i in keep])
            conf += sc[sc >= 0.25].tolist()
    ap50, matched = average_precision(dets, gts, 0.5)
    # per-type recall at the operating threshold 0.25
    dets25 = [(b[sc >= 0.25], sc[sc >= 0.25]) for b, sc in dets]
    _, matched25 = average_precision(dets25, gts, 0.5)
    per_type = {}
    for mt, ty in zip(matched25, types):
        for ok, t in zip(mt, ty):
            a = per_type.setdefault(t, [0, 0])
            a[0] += int(ok)
            a[1] += 1
    n_det25 = sum(len(b) for b, _ in dets25)
    n_tp25 = sum(int(m.sum()) for m in matched25)
    res = {'mAP50': round(float(ap50), 4), 'images': n, 'gtBoxes': int(sum(len(g) for g in gts)),
           'precisionAt0.25': round(n_tp25 / max(n_det25, 1), 4), 'recallAt0.25': round(n_tp25 / max(sum(len(g) for g in gts), 1), 4),
           'recallByTypeAt0.25': {t: round(a[0] / a[1], 3) for t, a in sorted(per_type.items())}}
    model.train()
    return res, conf


def detector_for(init_onnx, p2):
    """A UIDetector shaped like the model it starts from: the widths its metadata.json records (training.architecture,
    written since round 8), else the shipped widths."""
    arch = None
    if init_onnx:
        meta_path = os.path.join(os.path.dirname(init_onnx), 'metadata.json')
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                arch = json.load(f).get('training', {}).get('architecture')
    if not arch:
        return UIDetector(nc=1, p2=p2)
    return detector_with(arch, p2=p2)


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap, lr=3e-3)
    ap.add_argument('--size', type=int, default=640)
    ap.add_argument('--crop', type=int, default=320)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--steps', type=int, default=1500)
    ap.add_argument('--eval-every', type=int, default=0)
    ap.add_argument('--eval-images', type=int, default=200, help='held-out images used for mAP (file order)')
    ap.add_argument('--ckpt', default=None, help='skip training: load this state_dict, evaluate and export')
    ap.add_argument('--p2', action='store_true', help='add the stride-4 level')
    ap.add_argument('--init', default=None, help='start training from this state_dict')
    ap.add_argument('--save', default='/tmp/detector_last.pt', help='where to save the trained state_dict')
    ap.add_argument('--widen', type=float, default=0, help='with --init-onnx: a detector this many times wider, started '
                    'function-preserving from the init weights (widen.py); pass it again with --resume')
    ap.add_argument('--widen-noise', type=float, default=0.001, help='relative noise on the new channels (breaks the copies\' symmetry)')
    add_recipe_args(ap)
    a = ap.parse_args()
    seed_everything(a.seed)
    rng = np.random.default_rng(a.seed)
    imgs, metas = load_split(a.data, a.size)
    vimgs, vmetas = load_split(a.val, a.size)
    rtrain, rval, a.real_info = real_caches(a, a.size)
    rimgs_t, rmetas_t = load_split(None, a.size, rtrain) if rtrain else (None, None)
    rvimgs, rvmetas = load_split(None, a.size, rval) if rval else (None, None)
    model = detector_for(a.init_onnx, a.p2)
    if a.widen and not a.init_onnx:
        raise SystemExit('error: --widen needs --init-onnx (the weights it starts from)')
    t0 = time.time()
    ck = None
    if a.ckpt and os.path.exists(a.ckpt):
        if a.widen:
            model = wider(factor=a.widen, base=width_of(model))
        model.load_state_dict(torch.load(a.ckpt))
        steps_done = 0
    else:
        if a.init_onnx:
            load_onnx_weights(model, a.init_onnx, (1, 3, a.size, a.size))
            check_self_test(model, os.path.join(os.path.dirname(a.init_onnx), 'metadata.json'), pattern_tensor)
            if a.widen:
                narrow = model
                model = widen_detector(narrow, wider(factor=a.widen, base=width_of(narrow)), seed=a.seed, noise=a.widen_noise)
                print(f'widened x{a.widen}: {width_of(narrow)} -> {width_of(model)}, '
                      f'{sum(p.numel() for p in narrow.parameters())} -> {sum(p.numel() for p in model.parameters())} parameters, '
                      f'max output change {max_output_diff(narrow, model):.3g} (noise {a.widen_noise})', flush=True)
        elif a.init and os.path.exists(a.init):
            # continue from earlier weights with a fresh schedule (used for the second training round)
            model.load_state_dict(torch.load(a.init))
            print('initialised from', a.init, flush=True)
        decay, no_decay = [], []
        for n_, p in model.named_parameters():
            (no_decay if p.ndim <= 1 else decay).append(p)
        opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 5e-4}, {'params': no_decay, 'weight_decay': 0}], lr=a.lr)
        ck = Checkpointer(a, model, opt, rng)
        if a.resume:
            if not os.path.exists(a.resume):
                raise SystemExit(f'error: --resume {a.resume}: no such checkpoint')
            ck.resume(a.resume)
        model.train()
        n_real = int(round(a.batch * a.real_frac)) if rtrain else 0

        def one_step(step, lr):
            x, targets, ignores = sample_batch(imgs, metas, rng, a.batch - n_real, a.crop, a.size)
            if n_real:
                xr, tr_, ir = sample_batch(rimgs_t, rmetas_t, rng, n_real, a.crop, a.size)
                x, targets, ignores = torch.cat([x, xr]), targets + tr_, ignores + ir
            lc, lb = loss_fn(model, x, targets, a.crop, ignores)
            loss = lc + 2.0 * lb
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            if a.eval_every and step and step % a.eval_every == 0:
                r, _ = evaluate(model, *(rval and (rvimgs, rvmetas) or (vimgs, vmetas)), max_images=40)
                print('eval', json.dumps(r), flush=True)
            return f'cls {lc.item():.4f} box {lb.item():.4f}'

        steps_done, seconds = train_schedule(opt, a.lr, a.steps, a.minutes, max(1, min(100, a.steps // 10)), one_step, 25,
                                             start_step=ck.start_step, elapsed0=ck.elapsed0, on_step=ck.save)
        ck.record(a, steps_done, seconds, {'batch': a.batch, 'crop': a.crop, 'realFrac': a.real_frac if rtrain else 0})
        ck.save(steps_done, seconds, force=True)
        os.makedirs(a.out, exist_ok=True)
        torch.save(model.state_dict(), a.save)
        t0 = time.time() - seconds
    train_seconds = time.time() - t0
    model.eval()
    held, conf = evaluate(model, vimgs, vmetas, max_images=a.eval_images)
    print('heldout', json.dumps(held), flush=True)
    real = None
    if a.real:
        rimgs, rmetas = load_split(a.real, a.size)
        real, _ = evaluate(model, rimgs, rmetas)
        print('real', json.dumps(real), flush=True)
    a.real_val = None
    if rval:
        a.real_val, _ = evaluate(model, rvimgs, rvmetas)
        print('real-apps val (train apps held for validation)', json.dumps(a.real_val), flush=True)
    a.history = ck.history if ck else []
    export(model, a, held, real, conf, train_seconds, steps_done)


def export(model, a, held, real, conf, train_seconds, steps):
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, 'model.onnx')
    shape = [1, 3, a.size, a.size]
    x = torch.zeros(shape)
    torch.onnx.export(model, x, path, input_names=['images'], output_names=['output0'], opset_version=17,
                      do_constant_folding=True)
    with torch.no_grad():
        n_out = model(x).shape[2]
        st = self_test_block('images', shape, 'output0', model(pattern_tensor(shape)))
        lat = []
        xr = torch.rand(shape)
        for i in range(25):
            t = time.perf_counter()
            model(xr)
            lat.append((time.perf_counter() - t) * 1000)
    meta = {
        'role': 'detector', 'name': 'ui-detector', 'version': a.version,
        'contract': {'inputs': [{'name': 'images', 'dtype': 'float32', 'shape': shape}],
                     'outputs': [{'name': 'output0', 'dtype': 'float32', 'shape': [1, 4 + len(DETECTOR_LABELS), int(n_out)]}]},
        'labels': DETECTOR_LABELS,
        'preprocess': {'inputWidth': a.size, 'inputHeight': a.size, 'letterbox': True, 'letterboxAlign': 'center',
                       'padValue': PAD_VALUE, 'resize': 'bilinear', 'mean': [0, 0, 0], 'std': [1, 1, 1], 'scale': 255,
                       'channelOrder': 'RGB', 'layout': 'NCHW'},
        'postprocess': {'format': 'yolov8', 'boxFormat': 'cxcywh', 'coordinates': 'input-pixels', 'scoreThreshold': 0.25,
                        'iouThreshold': 0.45, 'maxDetections': 300, 'classAgnostic': True,
                        'strides': list(model.strides), 'anchorOrder': 'for each stride in order: grid cells row-major (index = y * (640/stride) + x)'},
        'selfTest': st,
        'baseline': {'latencyP95Ms': round(float(np.percentile(lat, 95)), 2), 'latencySource': 'torch-cpu-2-threads',
                     'confidenceHistogram': histogram10(conf),
                     'confidenceHistogramSource': 'scores of detections >= 0.25 after NMS on the held-out synthetic set'},
        'training': {'command': 'bash scripts/train/all.sh (train_detector.py)', 'seeds': SEEDS_NOTE + '; torch/numpy seed %d' % a.seed, 'lineage': a.lineage,
                     'steps': steps, 'batch': a.batch, 'crop': a.crop, 'trainSeconds': round(train_seconds, 1),
                     'architecture': width_of(model),
                     'data': {'synthetic': a.data, 'syntheticVal': a.val, 'realPrograms': a.real_info}, 'history': a.history,
                     'heldOut': {'synthetic': held, 'real': real, 'realAppsVal': a.real_val}, 'note': 'Python-side metrics are indicative; the official evaluation is the TypeScript pipeline.'},
        'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
    }
    write_json(os.path.join(a.out, 'metadata.json'), portable_paths(meta))
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
