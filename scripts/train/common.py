"""Shared pieces of the training recipes: the preprocessing contract (letterbox, crop rule), label maps,
the self-test pattern, NMS and mAP, the common command-line options and the training schedule. The TypeScript agent reproduces the preprocessing exactly as
documented in docs/MODELS.md; keep the two in step."""
import glob
import json
import math
import os
import random
import time

import numpy as np
import torch
from PIL import Image

from element_types import classifier_labels, load_types

# The type set and the classifier labels come from the one table, src/common/element-types.ts (element_types.py).
ELEMENT_TYPES = load_types()
CLASSIFIER_LABELS = classifier_labels(ELEMENT_TYPES)
DETECTOR_LABELS = ['element']

PAD_VALUE = 114
CROP_EXPAND = 0.10   # fraction of the box width/height added on each side
CROP_MIN_PAD = 4     # screenshot pixels, minimum added on each side
CROP_SIZE = 64


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # 1 thread by default: on a shared, oversubscribed 2-core machine two OpenMP threads spin at barriers and
    # run ~10x slower than one; run independent trainings as parallel processes instead.
    torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))


# The data every recipe trains on (docs/MODELS.md "Seeds"); written to metadata.json `training.seeds`.
SEEDS_NOTE = ('synthetic train seeds 0-599 and 1000-1599 of generator v2 (variants 0 and 1), held-out 100000-100199 '
              '(variants 0 and 1), real pages 0-11 x 4 variants (reported only)')


def add_common_args(ap, lr):
    """The options every recipe takes: data splits, output dir, learning rate, seed, wall-clock budget."""
    ap.add_argument('--data', required=True)
    ap.add_argument('--val', required=True)
    ap.add_argument('--real', default=None)
    ap.add_argument('--out', required=True)
    ap.add_argument('--lr', type=float, default=lr)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--minutes', type=float, default=0, help='wall-clock budget for training (0 = steps/epochs only)')
    ap.add_argument('--version', default='1.0.0', help='model version written to metadata.json (bump it for every shipped retrain)')
    ap.add_argument('--lineage', default='', help='how these weights came to be (e.g. "detector round 6: from round 5, ..."), kept in metadata.json')


def train_schedule(opt, base_lr, total_steps, minutes, warmup, step_fn, log_every, label=None, start_step=0, elapsed0=0.0,
                   on_step=None):
    """Runs `step_fn(step, lr)` under linear warm-up and a cosine decay to 2 % of `base_lr`. Progress is
    steps or the wall-clock budget, whichever runs out first (the machine is shared, so a fixed step
    count can overrun the time box). `step_fn` returns the text logged every `log_every` steps.
    A resumed run passes the step and seconds already done (`start_step`, `elapsed0`): the same schedule goes on.
    `on_step(step, elapsed)` runs after every step (checkpoints). Returns (steps done in total, seconds in total)."""
    t0 = time.time() - elapsed0
    budget = minutes * 60 if minutes else None
    step = start_step
    while True:
        prog = step / total_steps
        if budget:
            prog = max(prog, (time.time() - t0) / budget)
        if prog >= 1:
            break
        lr = base_lr * min(1.0, (step + 1) / warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g['lr'] = lr
        msg = step_fn(step, lr)
        if step % log_every == 0:
            print(f'step {step}{label or ""} {msg} lr {lr:.5f} {time.time() - t0:.0f}s', flush=True)
        step += 1
        if on_step:
            on_step(step, time.time() - t0)
    return step, time.time() - t0


def classifier_label(el):
    t = el['type']
    if t in ('checkbox', 'radio'):
        return f"{t}_{'checked' if el.get('checked') else 'unchecked'}"
    if t == 'toggle':
        return 'toggle_on' if el.get('checked') else 'toggle_off'
    if t not in ELEMENT_TYPES:
        raise ValueError(f'element type {t!r} is not in src/common/element-types.ts')
    return t


def list_samples(data_dir):
    out = []
    for j in sorted(glob.glob(os.path.join(data_dir, '*.json'))):
        png = j[:-5] + '.png'
        if os.path.exists(png):
            out.append((j, png))
    return out


def load_rgb(png_path):
    return Image.open(png_path).convert('RGB')


def letterbox_params(w, h, size):
    """Ultralytics-style letterbox: scale the long side to `size`, keep the aspect ratio, centre the image and
    pad with PAD_VALUE. new size = round(w*r), round(h*r); left = floor((size-nw)/2), top = floor((size-nh)/2)."""
    r = min(size / w, size / h)
    nw, nh = int(round(w * r)), int(round(h * r))
    left, top = (size - nw) // 2, (size - nh) // 2
    return r, nw, nh, left, top


def letterbox(img, size):
    """img: PIL RGB. Returns (uint8 HxWx3 array size x size, r, left, top). Resampling: bilinear (antialiased)."""
    w, h = img.size
    r, nw, nh, left, top = letterbox_params(w, h, size)
    canvas = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
    canvas[top:top + nh, left:left + nw] = np.asarray(img.resize((nw, nh), Image.BILINEAR))
    return canvas, r, left, top


def crop_box(box, img_w, img_h, jitter=None, rng=None, expand=CROP_EXPAND, min_pad=CROP_MIN_PAD):
    """The crop rule shared by classifier and similarity: expand the element box by
    max(expand * side, min_pad) on each side (per axis), clamp to the image, return integer pixel box
    [x1, y1, x2, y2) with x1=floor, x2=ceil. Optional jitter (training only) moves each edge by up to
    jitter * side. The shipped contract is expand CROP_EXPAND, min_pad CROP_MIN_PAD; a model trained under another
    rule records it in its metadata (preprocess.crop), which the agent reads."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    if jitter and rng is not None:
        x1 += rng.uniform(-jitter, jitter) * w
        x2 += rng.uniform(-jitter, jitter) * w
        y1 += rng.uniform(-jitter, jitter) * h
        y2 += rng.uniform(-jitter, jitter) * h
        w, h = max(x2 - x1, 2), max(y2 - y1, 2)
    px = max(expand * w, min_pad)
    py = max(expand * h, min_pad)
    cx1 = int(np.floor(max(0, x1 - px)))
    cy1 = int(np.floor(max(0, y1 - py)))
    cx2 = int(np.ceil(min(img_w, x2 + px)))
    cy2 = int(np.ceil(min(img_h, y2 + py)))
    return cx1, cy1, max(cx2, cx1 + 1), max(cy2, cy1 + 1)


def crop_element(img, box, jitter=None, rng=None, expand=CROP_EXPAND, min_pad=CROP_MIN_PAD):
    """PIL RGB image -> uint8 CROP_SIZE x CROP_SIZE x 3 (stretched, bilinear)."""
    b = crop_box(box, img.size[0], img.size[1], jitter, rng, expand, min_pad)
    return np.asarray(img.crop(b).resize((CROP_SIZE, CROP_SIZE), Image.BILINEAR))


def to_tensor(u8):
    """uint8 NHWC -> float32 NCHW in 0..1 (RGB, mean 0, std 1)."""
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float().div_(255.0)


# ---- self-test pattern -----------------------------------------------------------------------------
def pattern_tensor(shape):
    """x[i] = ((i * 7919) % 256) / 255 for the row-major (C-order) flat index i of the input tensor."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return torch.from_numpy((((i * 7919) % 256).astype(np.float32) / np.float32(255.0)).reshape(shape))


def self_test_block(input_name, input_shape, output_name, output, n=64):
    flat = output.detach().reshape(-1).numpy().astype(np.float64)
    idx = np.unique(np.round(np.linspace(0, flat.size - 1, n)).astype(np.int64))
    return {
        'input': {'name': input_name, 'shape': list(input_shape), 'pattern': 'mod7919',
                  'formula': 'x[i] = ((i * 7919) % 256) / 255, i = row-major flat index'},
        'expected': {'name': output_name, 'shape': list(output.shape), 'indices': idx.tolist(),
                     'values': [float(f'{v:.6g}') for v in flat[idx]]},
        'tolerance': 1e-3,
        'toleranceRule': '|actual - expected| <= tolerance * max(1, |expected|)',
    }


def histogram10(values):
    v = np.clip(np.asarray(values, dtype=np.float64), 0, 1)
    if v.size == 0:
        return [0.1] * 10
    h = np.bincount(np.minimum((v * 10).astype(int), 9), minlength=10).astype(np.float64)
    h /= h.sum()
    h = [round(float(x), 6) for x in h]
    h[int(np.argmax(h))] += round(1.0 - sum(h), 6)
    return h


# ---- geometry and metrics ------------------------------------------------------------------------------
def box_iou(a, b):
    """a [N,4], b [M,4] xyxy numpy -> [N,M]"""
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    bb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + bb[None, :] - inter, 1e-9)


def inside_ignore(boxes, regions, share=0.5):
    """[N] bool: box i lies at least `share` of its area inside one ignore region (scripts/eval/real-metrics.ts
    withoutIgnored's rule). boxes [N,4], regions [R,4] xyxy; an empty box is never inside."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    regions = np.asarray(regions, dtype=np.float64).reshape(-1, 4)
    if len(regions) == 0 or len(boxes) == 0:
        return np.zeros(len(boxes), dtype=bool)
    ix = np.clip(np.minimum(boxes[:, None, 2], regions[None, :, 2]) - np.maximum(boxes[:, None, 0], regions[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(boxes[:, None, 3], regions[None, :, 3]) - np.maximum(boxes[:, None, 1], regions[None, :, 1]), 0, None)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return ((ix * iy) >= share * area[:, None]).any(1) & (area > 0)


def nms(boxes, scores, iou_thr, max_det):
    order = np.argsort(-scores)
    keep = []
    while order.size and len(keep) < max_det:
        i = order[0]
        keep.append(i)
        if order.size == 1:
            break
        ious = box_iou(boxes[i:i + 1], boxes[order[1:]])[0]
        order = order[1:][ious <= iou_thr]
    return np.array(keep, dtype=np.int64)


def decode_yolov8(out, score_thr=0.25, iou_thr=0.45, max_det=300):
    """out: [4+nc, N] numpy (one image). Returns boxes xyxy (input px), scores, classes after NMS."""
    cxcywh = out[:4].T
    cls = out[4:].T
    scores = cls.max(1)
    classes = cls.argmax(1)
    m = scores >= score_thr
    b = cxcywh[m]
    boxes = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
    s, c = scores[m], classes[m]
    keep = nms(boxes, s, iou_thr, max_det)
    return boxes[keep], s[keep], c[keep]


def average_precision(dets, gts, iou_thr=0.5):
    """dets: list per image of (boxes, scores); gts: list per image of boxes. Class-agnostic COCO-style
    101-point interpolated AP at one IoU threshold. Also returns per-image match flags for per-type recall."""
    records = []
    n_gt = sum(len(g) for g in gts)
    matched_gt = []
    for (boxes, scores), g in zip(dets, gts):
        used = np.zeros(len(g), dtype=bool)
        order = np.argsort(-scores)
        ious = box_iou(boxes[order], g) if len(g) and len(boxes) else np.zeros((len(boxes), len(g)))
        for k, di in enumerate(order):
            tp = False
            if len(g):
                cand = np.where(~used & (ious[k] >= iou_thr))[0]
                if cand.size:
                    j = cand[np.argmax(ious[k][cand])]
                    used[j] = True
                    tp = True
            records.append((scores[di], tp))
        matched_gt.append(used)
    if not records or n_gt == 0:
        return 0.0, matched_gt
    records.sort(key=lambda x: -x[0])
    tps = np.cumsum([r[1] for r in records])
    fps = np.cumsum([not r[1] for r in records])
    rec = tps / n_gt
    prec = tps / np.maximum(tps + fps, 1e-9)
    prec = np.maximum.accumulate(prec[::-1])[::-1]
    ap = 0.0
    for t in np.linspace(0, 1, 101):
        i = np.searchsorted(rec, t, side='left')
        ap += prec[i] if i < len(prec) else 0.0
    return ap / 101, matched_gt


def read_json(path):
    with open(path) as f:
        return json.load(f)


def portable_paths(obj, repo=os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))):
    """Machine paths in metadata.json become `$RPA_DATA_DIR/...` or repo-relative (issue 22: no absolute machine
    paths in tracked files); any other absolute path keeps only its last two parts."""
    data = os.environ.get('RPA_DATA_DIR')
    if isinstance(obj, dict):
        return {k: portable_paths(v, repo) for k, v in obj.items()}
    if isinstance(obj, list):
        return [portable_paths(v, repo) for v in obj]
    if isinstance(obj, str) and obj.startswith('/'):
        if data and (obj == data.rstrip('/') or obj.startswith(data.rstrip('/') + '/')):
            return '$RPA_DATA_DIR' + obj[len(data.rstrip('/')):]
        if obj.startswith(repo + '/'):
            return os.path.relpath(obj, repo)
        return '…/' + '/'.join(obj.rstrip('/').split('/')[-2:])
    return obj


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')
