"""Mine `background` crops for the classifier (issue 15 precision; docs/MODELS.md "Background label").

The shipped detector (its ONNX weights and its metadata thresholds) runs over the already-decoded 640 letterbox caches
of the TRAIN applications (the pinned real-program caches of the retrain recipe; held-out apps are never in them,
prepare.py's require_train refused them at decode time) and, optionally, generator pages. A detection whose IoU with
every ground-truth box (ignored ones included) is below --neg-iou is a negative: the detector boxed something that is
not a control — unless it lies at least half inside one of the sample's ignore regions (prepare.py detIgnoreRegions:
a character grid, a terminal), where the truth is silent, so it is in neither set. Detections with max IoU in
[--neg-iou, --pos-iou) are ambiguous and kept out of both sets. Per image at most --cap negatives (highest detector score
first) plus --random boxes drawn off the ground truth (sizes taken from that image's ground-truth boxes, IoU < --neg-iou
with every one of them, clear of every ignore region).

Writes into --out, per cache name (real-train, real-val, synth):
  negatives-<name>.json   per image: file, family, app, width, height, negatives [{box (screen px), score}], random [{box}]
  negatives-<name>.npz    crops (uint8 N x 64 x 64 x 3, the classifier's crop rule, full-resolution PNG), kind (0 mined,
                          1 random), score (detector score, 0 for random), image (index into the JSON list); real-val
                          also pos_crops / pos_labels: the crops of its matched detections (IoU >= --pos-iou) and the
                          classifier label of the truth box each matches (every cache with --keep-positives)
  summary.json            counts per cache and family

/usr/bin/python3 scripts/train/mine_negatives.py --real-pinned $RPA_DATA_DIR/retrain4/real-pinned.json \
    --synth-cache $RPA_DATA_DIR/retrain2/synth_train/cache --out $RPA_DATA_DIR/retrain-bgcls/negatives
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import box_iou, crop_element, inside_ignore, decode_yolov8, load_rgb, pattern_tensor, read_json, seed_everything, write_json  # noqa: E402
from models import UIDetector  # noqa: E402
from prepare import sample_files  # noqa: E402
from real_apps import FAMILIES, HeldOutSampleError, load_apps_lists  # noqa: E402
from recipe import REPO, check_self_test, load_onnx_weights  # noqa: E402


def load_detector(onnx_path):
    meta = read_json(os.path.join(os.path.dirname(onnx_path), 'metadata.json'))
    post = meta['postprocess']
    size = meta['preprocess']['inputWidth']
    model = UIDetector(nc=len(meta['labels']) or 1, p2=4 in post.get('strides', []))
    load_onnx_weights(model, onnx_path, (1, 3, size, size))
    check_self_test(model, os.path.join(os.path.dirname(onnx_path), 'metadata.json'), pattern_tensor)
    model.eval()
    return model, size, post, meta['version']


def split_detections(det_boxes, gt_boxes, neg_iou, pos_iou, regions=()):
    """Per detection: 'neg' (IoU < neg_iou with every truth box), 'pos' (>= pos_iou with one) or 'ambiguous'; a would-be
    'neg' lying at least half inside one of the sample's ignore regions (a visible, clickable area its truth cannot give:
    a character grid, a terminal) is 'ignored' — in neither set, as `npm run eval` does not charge it."""
    det = np.asarray(det_boxes, dtype=np.float64).reshape(-1, 4)
    best = box_iou(det, np.asarray(gt_boxes, dtype=np.float64)).max(1) if len(gt_boxes) else np.zeros(len(det))
    ignored = inside_ignore(det, regions)
    return ['pos' if v >= pos_iou else 'ambiguous' if v >= neg_iou else 'ignored' if ign else 'neg'
            for v, ign in zip(best, ignored)]


def random_boxes(gt_boxes, width, height, n, neg_iou, rng, tries=50, regions=()):
    """Up to `n` boxes shaped like this image's truth boxes (size x 0.5-2), placed anywhere, off every truth box and
    clear of every ignore region (no overlap at all: what lies there may be a control)."""
    out = []
    gt = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    reg = np.asarray(regions, dtype=np.float64).reshape(-1, 4)
    for _ in range(tries):
        if len(out) >= n:
            break
        if len(gt):
            g = gt[rng.integers(len(gt))]
            w, h = (g[2] - g[0]) * rng.uniform(0.5, 2), (g[3] - g[1]) * rng.uniform(0.5, 2)
        else:
            w, h = rng.uniform(16, 200), rng.uniform(12, 40)
        w, h = min(max(w, 6), width - 1), min(max(h, 6), height - 1)
        x1, y1 = rng.uniform(0, width - w), rng.uniform(0, height - h)
        b = [x1, y1, x1 + w, y1 + h]
        if len(gt) and box_iou(np.asarray([b]), gt).max() >= neg_iou:
            continue
        if len(reg) and box_iou(np.asarray([b]), reg).max() > 0:
            continue
        out.append([round(v, 1) for v in b])
    return out


@torch.no_grad()
def mine_cache(model, size, post, cache, a, rng, allowed, max_images=None, keep_pos=False):
    metas = read_json(os.path.join(cache, f'det_{size}.json'))
    imgs = np.load(os.path.join(cache, f'det_{size}.npy'), mmap_mode='r')
    n = len(metas) if not max_images else min(len(metas), max_images)
    order = np.sort(rng.permutation(len(metas))[:n])
    rows, crops, kinds, scores, image, pos_crops, pos_labels = [], [], [], [], [], [], []
    if keep_pos:
        # the classifier label of truth box j of image i: crops.npz holds one label per box, images in order
        cz = np.load(os.path.join(cache, 'crops.npz'))
        el_labels, el_image = cz['labels'], cz['image']
        starts = np.searchsorted(el_image, np.arange(len(metas)), side='left')
    stats = {'images': 0, 'detections': 0, 'matched': 0, 'ambiguous': 0, 'ignored': 0, 'negatives': 0, 'negativesKept': 0, 'random': 0}
    per_family = {}
    for s in range(0, n, 4):
        ids = order[s:s + 4]
        x = torch.from_numpy(np.ascontiguousarray(imgs[ids])).permute(0, 3, 1, 2).float().div_(255.0)
        out = model(x).numpy()
        for k, i in enumerate(ids):
            m = metas[i]
            if m.get('family') and m.get('app') not in allowed.get(m['family'], ()):
                # the pinned caches hold train apps only (prepare.py refused anything else); check again before a pixel is read
                raise HeldOutSampleError(f"{cache}: {m['family']}/{m.get('app')} is not a train app of the pinned recipe")
            b, sc, _ = decode_yolov8(out[k], score_thr=post.get('scoreThreshold', 0.25), iou_thr=post.get('iouThreshold', 0.45),
                                     max_det=post.get('maxDetections', 300))
            r, left, top, W, H = m['r'], m['left'], m['top'], m['width'], m['height']
            # input px -> screen px (the agent's detections.ts: through the letterbox, clamped to the image)
            sb = np.stack([np.clip((b[:, 0] - left) / r, 0, W), np.clip((b[:, 1] - top) / r, 0, H),
                           np.clip((b[:, 2] - left) / r, 0, W), np.clip((b[:, 3] - top) / r, 0, H)], 1) if len(b) else np.zeros((0, 4))
            gt = [[(g[0] - left) / r, (g[1] - top) / r, (g[2] - left) / r, (g[3] - top) / r] for g in m['boxes']]
            regions = [[(g[0] - left) / r, (g[1] - top) / r, (g[2] - left) / r, (g[3] - top) / r] for g in m.get('detIgnoreRegions') or []]
            cls = split_detections(sb, gt, a.neg_iou, a.pos_iou, regions)
            neg = [(float(sc[j]), sb[j]) for j in range(len(sb)) if cls[j] == 'neg' and sb[j][2] - sb[j][0] >= 2 and sb[j][3] - sb[j][1] >= 2]
            neg.sort(key=lambda t: -t[0])
            kept = neg[:a.cap]
            rnd = random_boxes(gt, W, H, a.random, a.neg_iou, rng, regions=regions)
            fam = m.get('family') or 'synthetic'
            pf = per_family.setdefault(fam, {'images': 0, 'negatives': 0, 'negativesKept': 0, 'random': 0})
            pf['images'] += 1
            pf['negatives'] += len(neg)
            pf['negativesKept'] += len(kept)
            pf['random'] += len(rnd)
            stats['images'] += 1
            stats['detections'] += len(sb)
            stats['matched'] += cls.count('pos')
            stats['ambiguous'] += cls.count('ambiguous')
            stats['ignored'] += cls.count('ignored')
            stats['negatives'] += len(neg)
            stats['negativesKept'] += len(kept)
            stats['random'] += len(rnd)
            row = {'file': m['file'], 'family': m.get('family'), 'app': m.get('app'), 'page': m.get('page'), 'width': W, 'height': H,
                   'negatives': [{'box': [round(float(v), 1) for v in bb], 'score': round(sc_, 4)} for sc_, bb in kept],
                   'random': [{'box': bb} for bb in rnd]}
            pos = [sb[j] for j in range(len(sb)) if cls[j] == 'pos'] if keep_pos else []
            if pos:
                best = box_iou(np.asarray(pos, dtype=np.float64), np.asarray(gt, dtype=np.float64)).argmax(1)
                pos_labels.extend(int(el_labels[starts[i] + g]) for g in best)
            if kept or rnd or pos:
                png = sample_files(cache, m)[1]
                img = load_rgb(png)
                if img.size != (W, H):
                    raise SystemExit(f'error: {png} is {img.size}, its label says {W}x{H}')
                for sc_, bb in kept:
                    crops.append(crop_element(img, list(map(float, bb))))
                    kinds.append(0)
                    scores.append(sc_)
                    image.append(len(rows))
                # matched detections (IoU >= pos_iou): the crops the agent really classifies for a found control
                pos_crops.extend(crop_element(img, list(map(float, bb))) for bb in pos)
                for bb in rnd:
                    crops.append(crop_element(img, bb))
                    kinds.append(1)
                    scores.append(0.0)
                    image.append(len(rows))
            rows.append(row)
        if s % 100 == 0:
            print(f'{os.path.basename(cache)}: {s}/{n} images, {stats}', flush=True)
    stats['perFamily'] = per_family
    return rows, {'crops': np.stack(crops) if crops else np.zeros((0, 64, 64, 3), np.uint8), 'kind': np.array(kinds, np.int8),
                  'score': np.array(scores, np.float32), 'image': np.array(image, np.int64),
                  **({'pos_crops': np.stack(pos_crops) if pos_crops else np.zeros((0, 64, 64, 3), np.uint8),
                      'pos_labels': np.array(pos_labels, np.int64)} if keep_pos else {})}, stats


def main():
    ap = argparse.ArgumentParser(description='mine background crops: detections of the shipped detector that match no truth box')
    ap.add_argument('--detector', default=os.path.join(REPO, 'assets', 'models', 'detector', 'model.onnx'))
    ap.add_argument('--real-pinned', required=True, help='the retrain recipe\'s pinned real-program caches (train apps only)')
    ap.add_argument('--synth-cache', default=None, help='a generator pages cache (<data>/cache) to mine as well')
    ap.add_argument('--synth-images', type=int, default=300, help='at most this many generator pages (0 = all)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--cap', type=int, default=25, help='negatives kept per image (highest detector score first)')
    ap.add_argument('--random', type=int, default=4, help='random boxes off the ground truth per image')
    ap.add_argument('--neg-iou', type=float, default=0.3)
    ap.add_argument('--pos-iou', type=float, default=0.5)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--apps-lists', default=os.path.join(REPO, 'scripts', 'dataset', 'apps'), help='comma list of folders with <family>.json')
    ap.add_argument('--max-images', type=int, default=0, help='at most this many images per cache (0 = all; for a quick try)')
    ap.add_argument('--caches', default='real-train,real-val,synth', help='which caches to mine (comma list)')
    ap.add_argument('--keep-positives', action='store_true',
                    help='every cache also keeps its matched detections\' crops + their truth label (pos_crops, pos_labels): '
                         'detector-shaped positive crops for train_classifier.py --det-positives')
    a = ap.parse_args()
    if not 0 < a.neg_iou <= a.pos_iou <= 1:
        raise SystemExit('error[bad_argument]: need 0 < --neg-iou <= --pos-iou <= 1')
    seed_everything(a.seed)
    rng = np.random.default_rng(a.seed)
    model, size, post, version = load_detector(a.detector)
    pinned = read_json(a.real_pinned)
    lim = a.max_images or None
    caches = [('real-train', pinned['train'], lim), ('real-val', pinned['val'], lim)]
    if a.synth_cache:
        caches.append(('synth', a.synth_cache, min(x for x in (a.synth_images, a.max_images) if x) if (a.synth_images or a.max_images) else None))
    info = pinned['info']
    # an app must be a train app of the pinned recipe AND of the committed apps lists (the split is decided there)
    lists = load_apps_lists([d for d in a.apps_lists.split(',') if d])
    allowed = {f: {x for x in set(info.get('trainApps', {}).get(f, [])) | set(info.get('valApps', {}).get(f, []))
                   if lists.get(f, {}).get('apps', {}).get(x) == 'train'} for f in FAMILIES}
    os.makedirs(a.out, exist_ok=True)
    summary = {'detector': {'path': a.detector, 'version': version, 'scoreThreshold': post.get('scoreThreshold', 0.25)},
               'rule': {'negIou': a.neg_iou, 'posIou': a.pos_iou, 'capPerImage': a.cap, 'randomPerImage': a.random},
               'trainApps': pinned['info'].get('trainApps'), 'valApps': pinned['info'].get('valApps'), 'caches': {}}
    for name, cache, limit in caches:
        if not cache or name not in a.caches.split(','):
            continue
        t0 = time.time()
        # the validation apps also keep their matched detections' crops: the threshold rule's positives (background.py)
        rows, arrs, stats = mine_cache(model, size, post, cache, a, rng, allowed, limit, keep_pos=name == 'real-val' or a.keep_positives)
        write_json(os.path.join(a.out, f'negatives-{name}.json'), rows)
        np.savez(os.path.join(a.out, f'negatives-{name}.npz'), **arrs)
        stats['seconds'] = round(time.time() - t0, 1)
        stats['cache'] = cache
        summary['caches'][name] = stats
        print(name, json.dumps(stats), flush=True)
    write_json(os.path.join(a.out, 'summary.json'), summary)


if __name__ == '__main__':
    main()
