"""Decode a dataset once into numpy caches (in DIR/cache/, or a named cache for a list of real-program samples):
  det_<size>.npy      uint8 [N,size,size,3] letterboxed screenshots (memmap)
  det_<size>.json     per image: file, r, left, top, boxes (input px, xyxy), types, ids, detIgnore (indices of boxes
                      the detector neither learns nor is scored on: on a generator page labelled under the legacy box
                      rule a check box / radio is boxed at its indicator, not UIA-shaped with its label, so it is no
                      detector target; its crop still trains the classifier. Pages labelled with boxRule 'uia' — the
                      generator's default since round 2 — have no such indices), detIgnoreRegions (a real-program
                      sample's own `ignore` regions, xyxy in input px: visible, clickable areas its ground truth cannot
                      give, e.g. a character grid drawn as one widget; exact regions, no boxes, crops or labels; an
                      invalid one — not 4 numbers, or empty once clipped to the image — is skipped; a cache made before
                      the key existed reads as [])
  labels.json         the classifier label list the crop labels index (a cache made under another list is rebuilt)
  crops.npz           exact crops (the contract's crop rule) + one jittered training crop per element, labels,
                      and (image index, element id, seed, variant) for similarity pairing
  crops_e<E>_p<P>.npz the same crops cut under another crop rule (expand E, min pad P px), made on demand by
                      crops_for_rule for a classifier trained with train_classifier.py --crop-expand/--crop-min-pad;
                      same order, labels, image and ids as crops.npz
Usage: python3 scripts/train/prepare.py --data DIR [--det-size 640] [--workers 2]
"""
import argparse
import json
import math
import os
import sys
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CLASSIFIER_LABELS, CROP_EXPAND, CROP_MIN_PAD, classifier_label, crop_element, letterbox, list_samples, load_rgb,  # noqa: E402
                    read_json)
from real_apps import require_train  # noqa: E402


# Bumped when a cache entry gains or changes a key, so that caches named by their samples (recipe.py) are rebuilt:
# 2 = detIgnoreRegions.
PREP_VERSION = 2


def ignore_regions(lab, w, h):
    """The sample's valid `ignore` regions in image px, clipped to the w x h image; invalid ones are skipped."""
    out = []
    for reg in lab.get('ignore') or []:
        if not isinstance(reg, (list, tuple)) or len(reg) != 4:
            continue
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in reg):
            continue
        x1, y1, x2, y2 = min(max(reg[0], 0), w), min(max(reg[1], 0), h), min(max(reg[2], 0), w), min(max(reg[3], 0), h)
        if x2 > x1 and y2 > y1:
            out.append([x1, y1, x2, y2])
    return out


def kept_elements(lab):
    """The elements a cache entry keeps, in order: boxes at least 2 px on each side."""
    return [e for e in lab['elements'] if not (e['box'][2] - e['box'][0] < 2 or e['box'][3] - e['box'][1] < 2)]


def element_crops(img, lab, idx, expand=CROP_EXPAND, min_pad=CROP_MIN_PAD):
    """(exact crops, one jittered crop each) of a sample's kept elements under a crop rule; the jitter is drawn from
    the entry's own seed, so every rule sees the same jittered boxes."""
    rng = np.random.default_rng(1000003 + idx)
    exact, jit = [], []
    for e in kept_elements(lab):
        exact.append(crop_element(img, e['box'], expand=expand, min_pad=min_pad))
        jit.append(crop_element(img, e['box'], jitter=0.08, rng=rng, expand=expand, min_pad=min_pad))
    return exact, jit


def sample_files(cache, m):
    """The (label JSON, full-resolution PNG) a cache entry was decoded from: real-program caches sit beside their
    snapshot (<root>/snapshot/<family>/<app>/<file>); a generator cache is <data>/cache with the pairs in <data>."""
    if m.get('family'):
        png = os.path.join(os.path.dirname(os.path.abspath(cache)), 'snapshot', m['family'], m['app'], m['file'])
    else:
        png = os.path.join(os.path.dirname(os.path.abspath(cache)), m['file'])
    return png[:-4] + '.json', png


def crops_name(expand=CROP_EXPAND, min_pad=CROP_MIN_PAD):
    """The crops file of a crop rule: crops.npz for the contract's, crops_e<E>_p<P>.npz for another."""
    return 'crops.npz' if (expand, min_pad) == (CROP_EXPAND, CROP_MIN_PAD) else f'crops_e{expand:g}_p{min_pad:g}.npz'


def _rule_work(job):
    idx, jpath, ppath, expand, min_pad, ids = job
    lab = read_json(jpath)
    if 'split' in lab or 'family' in lab:
        require_train(lab, jpath)
    if [e['id'] for e in kept_elements(lab)] != ids:
        return idx, jpath, None  # the parent refuses it (a SystemExit raised in a pool worker would hang the pool)
    return idx, jpath, element_crops(load_rgb(ppath), lab, idx, expand, min_pad)


def crops_for_rule(cache, expand=CROP_EXPAND, min_pad=CROP_MIN_PAD, workers=2):
    """Path of `cache`'s crops under a crop rule; crops.npz's elements cut again from their PNGs when the file is missing
    (same order, labels, image indices and ids)."""
    path = os.path.join(cache, crops_name(expand, min_pad))
    if os.path.exists(path):
        return path
    with np.load(os.path.join(cache, 'crops.npz')) as z:  # the exact crops are not read: only their order
        labels, image, ids = z['labels'], z['image'], z['ids']
    det = sorted(f for f in os.listdir(cache) if f.startswith('det_') and f.endswith('.json'))
    if not det:
        raise SystemExit(f'error: {cache} has no det_<size>.json: prepare it first')
    metas = read_json(os.path.join(cache, det[0]))
    jobs = [(i, *sample_files(cache, m), expand, min_pad, list(m['ids'])) for i, m in enumerate(metas)]
    out = [None] * len(metas)
    print(f'crops {cache}: cutting {len(labels)} crops again under expand {expand:g}, min pad {min_pad:g} px', flush=True)
    with Pool(workers) as pool:
        for idx, jpath, crops in pool.imap(_rule_work, jobs, chunksize=4):
            if crops is None:
                raise SystemExit(f'error: {jpath} no longer holds the elements its cache entry was decoded from: prepare it again')
            out[idx] = crops
    exact = [c for ex, _ in out for c in ex]
    jit = [c for _, jt in out for c in jt]
    if len(exact) != len(labels):
        raise SystemExit(f'error: {cache}: {len(exact)} crops cut, crops.npz has {len(labels)}: prepare it again')
    np.savez(path + '.tmp.npz', exact=np.stack(exact), jitter=np.stack(jit), labels=labels, image=image, ids=ids)
    os.replace(path + '.tmp.npz', path)
    return path


def _work(job):
    idx, jpath, ppath, size = job
    lab = read_json(jpath)
    # real-program samples carry `split`: only training applications may ever be decoded for training/selection
    if 'split' in lab or 'family' in lab:
        require_train(lab, jpath)
    # a generator page labelled before the UIA box rule (no `boxRule`, or 'legacy') boxes a check box at its indicator
    legacy_boxes = 'family' not in lab and lab.get('boxRule', 'legacy') == 'legacy'
    img = load_rgb(ppath)
    lb, r, left, top = letterbox(img, size)
    boxes, types, ids, labels, sigs, ignore = [], [], [], [], [], []
    for e in kept_elements(lab):
        x1, y1, x2, y2 = e['box']
        if legacy_boxes and e['type'] in ('checkbox', 'radio'):
            ignore.append(len(boxes))
        boxes.append([x1 * r + left, y1 * r + top, x2 * r + left, y2 * r + top])
        types.append(e['type'])
        ids.append(e['id'])
        # visual signature: elements sharing it look identical (e.g. two unchecked checkboxes), so a
        # re-find that returns either one is correct
        sc = lab['scale']
        sigs.append(f"{e['type']}|{e.get('checked')}|{e.get('text', '')}|{round((x2 - x1) / sc)}x{round((y2 - y1) / sc)}")
        labels.append(CLASSIFIER_LABELS.index(classifier_label(e)))
    exact, jit = element_crops(img, lab, idx)
    regions = [[x1 * r + left, y1 * r + top, x2 * r + left, y2 * r + top] for x1, y1, x2, y2 in ignore_regions(lab, *img.size)]
    meta = {'file': os.path.basename(ppath), 'r': r, 'left': left, 'top': top, 'boxes': boxes, 'types': types,
            'ids': ids, 'sigs': sigs, 'seed': lab.get('seed'), 'variant': lab.get('variant'), 'theme': lab['theme'], 'scale': lab['scale'],
            'page': lab.get('page'), 'width': lab['width'], 'height': lab['height'], 'detIgnore': ignore,
            'detIgnoreRegions': regions,
            'family': lab.get('family'), 'app': lab.get('app')}
    return idx, lb, meta, exact, jit, labels


def parse_seed_ranges(spec):
    """'0-399,1000-1399' -> list of (lo, hi) inclusive; None or '' = all seeds."""
    if not spec:
        return None
    out = []
    for part in spec.split(','):
        lo, _, hi = part.partition('-')
        out.append((int(lo), int(hi or lo)))
    return out


def seed_of(json_path):
    # <kind>_<seed>_v<variant>.json
    return int(os.path.basename(json_path).rsplit('_', 2)[1])


def prepare(data_dir, size=640, workers=2, seeds=None):
    samples = list_samples(data_dir)
    ranges = parse_seed_ranges(seeds)
    if ranges:
        samples = [s for s in samples if any(lo <= seed_of(s[0]) <= hi for lo, hi in ranges)]
    return prepare_samples(samples, os.path.join(data_dir, 'cache'), size, workers, data_dir)


def cache_is_current(cache, size):
    lp = os.path.join(cache, 'labels.json')
    if not (os.path.exists(os.path.join(cache, f'det_{size}.json')) and os.path.exists(os.path.join(cache, 'crops.npz'))):
        return False
    return os.path.exists(lp) and read_json(lp) == CLASSIFIER_LABELS


def prepare_samples(samples, cache, size=640, workers=2, name=None):
    """Decode (json, png) pairs into `cache` (see the module doc). Reused when it exists under the same labels."""
    det_path = os.path.join(cache, f'det_{size}.npy')
    meta_path = os.path.join(cache, f'det_{size}.json')
    crops_path = os.path.join(cache, 'crops.npz')
    if cache_is_current(cache, size):
        return cache
    os.makedirs(cache, exist_ok=True)
    data_dir = name or cache
    print(f'prepare {data_dir}: {len(samples)} samples', flush=True)
    arr = np.lib.format.open_memmap(det_path + '.tmp', mode='w+', dtype=np.uint8, shape=(len(samples), size, size, 3))
    metas = [None] * len(samples)
    ex_all, jit_all, lab_all, img_idx, el_ids = [], [], [], [], []
    jobs = [(i, j, p, size) for i, (j, p) in enumerate(samples)]
    with Pool(workers) as pool:
        for n, (idx, lb, meta, exact, jit, labels) in enumerate(pool.imap(_work, jobs, chunksize=4)):
            arr[idx] = lb
            metas[idx] = meta
            if exact:
                ex_all.append(np.stack(exact))
                jit_all.append(np.stack(jit))
            lab_all += labels
            img_idx += [idx] * len(labels)
            el_ids += meta['ids']
            if n % 100 == 0:
                print(f'prepare {data_dir}: {n}/{len(samples)}', flush=True)
    arr.flush()
    del arr
    os.replace(det_path + '.tmp', det_path)
    with open(meta_path, 'w') as f:
        json.dump(metas, f)
    np.savez(crops_path, exact=np.concatenate(ex_all), jitter=np.concatenate(jit_all),
             labels=np.array(lab_all, dtype=np.int64), image=np.array(img_idx, dtype=np.int64),
             ids=np.array(el_ids))
    with open(os.path.join(cache, 'labels.json'), 'w') as f:
        json.dump(CLASSIFIER_LABELS, f)
    return cache


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--det-size', type=int, default=640)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--seeds', default=None, help="seed ranges to include, e.g. '0-399,1000-1399' (default: all)")
    a = ap.parse_args()
    print(prepare(a.data, a.det_size, a.workers, a.seeds))
