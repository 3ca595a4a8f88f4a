"""Train the 128-d element embedding (L2-normalised in the graph) with an in-batch contrastive loss (InfoNCE):
the same element (same page seed + element id) rendered under the other theme and scale is the positive, every
other element of the batch, mostly from the same pages, is a negative. Starts from the classifier's weights.

python3 scripts/train/train_similarity.py --data $RPA_DATA_DIR/synth_train --val $RPA_DATA_DIR/synth_heldout \
    --real $RPA_DATA_DIR/real --init /tmp/classifier_weights.pt --out assets/models/similarity --steps 800
"""
import argparse
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CROP_SIZE, SEEDS_NOTE, add_common_args, histogram10, pattern_tensor, seed_everything, self_test_block,  # noqa: E402
                    to_tensor, train_schedule, write_json)
from models import CropNet  # noqa: E402
from prepare import prepare  # noqa: E402
from train_classifier import CROP_CONTRACT, augment  # noqa: E402


def load(data_dir):
    cache = prepare(data_dir)
    c = np.load(os.path.join(cache, 'crops.npz'))
    crops = {k: c[k] for k in c.files}
    with open(os.path.join(cache, 'det_640.json')) as f:
        metas = json.load(f)
    sigs = []
    for m in metas:
        sigs += m['sigs']
    crops['sigs'] = np.array(sigs)
    # page key -> variant -> {id: crop row}
    pages = defaultdict(dict)
    for row, (im, eid) in enumerate(zip(crops['image'], crops['ids'])):
        m = metas[im]
        key = (m['page'], m['seed']) if m.get('page', '').endswith('.html') else m['seed']
        pages[key].setdefault(m['variant'], {})[str(eid)] = row
    return crops, pages


def pair_list(pages, a=0, b=1):
    by_page = {}
    for key, vs in pages.items():
        if a in vs and b in vs:
            common = sorted(set(vs[a]) & set(vs[b]))
            if len(common) >= 2:
                by_page[key] = [(vs[a][i], vs[b][i]) for i in common]
    return by_page


@torch.no_grad()
def embed(model, u8, batch=512):
    model.eval()
    out = [model(to_tensor(u8[s:s + batch])) for s in range(0, len(u8), batch)]
    model.train()
    return torch.cat(out).numpy()


def refind(model, crops, pages, pairs_of=((0, 1),)):
    """Template re-find: each element of variant a queries all elements of variant b of the same page.
    strict = nearest is the same id; visual = nearest is the same id or an element with the same visual signature
    (type, state, text, CSS size), i.e. indistinguishable by appearance."""
    E = embed(model, crops['exact'])
    strict = visual = n = 0
    top_sims = []
    for key, vs in pages.items():
        for a, b in pairs_of:
            if a not in vs or b not in vs:
                continue
            qa, gb = vs[a], vs[b]
            gids = list(gb.keys())
            G = E[[gb[g] for g in gids]]
            for qid, qrow in qa.items():
                if qid not in gb:
                    continue
                sims = G @ E[qrow]
                j = int(np.argmax(sims))
                n += 1
                top_sims.append(float(sims[j]))
                if gids[j] == qid:
                    strict += 1
                    visual += 1
                elif crops['sigs'][gb[gids[j]]] == crops['sigs'][qrow]:
                    visual += 1
    return {'refindTop1': round(visual / max(n, 1), 4), 'refindTop1StrictId': round(strict / max(n, 1), 4), 'queries': n}, top_sims


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap, lr=1e-3)
    ap.add_argument('--init', default=None)
    ap.add_argument('--steps', type=int, default=800)
    ap.add_argument('--pages-per-batch', type=int, default=6)
    ap.add_argument('--per-page', type=int, default=24)
    ap.add_argument('--temperature', type=float, default=0.07)
    a = ap.parse_args()
    seed_everything(a.seed)
    rng = np.random.default_rng(a.seed)
    tr, tpages = load(a.data)
    va, vpages = load(a.val)
    pairs = pair_list(tpages)
    keys = sorted(pairs.keys(), key=str)
    print('train pages with pairs', len(keys), 'pairs', sum(len(v) for v in pairs.values()), flush=True)
    model = CropNet(128, mode='embedding')
    if a.init and os.path.exists(a.init):
        sd = torch.load(a.init)
        model.load_state_dict({k: v for k, v in sd.items() if not k.startswith('fc.')}, strict=False)
        print('initialised from', a.init, flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=5e-4)

    def one_step(step, lr):
        qa, qb, sg = [], [], []
        for k in rng.choice(len(keys), a.pages_per_batch, replace=False):
            pl = pairs[keys[k]]
            for j in rng.permutation(len(pl))[:a.per_page]:
                r0, r1 = pl[j]
                if rng.random() < 0.5:
                    r0, r1 = r1, r0
                qa.append(tr['jitter' if rng.random() < 0.5 else 'exact'][r0])
                qb.append(tr['jitter' if rng.random() < 0.5 else 'exact'][r1])
                sg.append(tr['sigs'][r0])
        xa = augment(np.stack(qa), rng)
        xb = augment(np.stack(qb), rng)
        za, zb = model(xa), model(xb)
        logits = za @ zb.t() / a.temperature
        # identical-looking elements are not negatives of each other
        sg = np.array(sg)
        same = torch.from_numpy(sg[:, None] == sg[None, :]) & ~torch.eye(len(sg), dtype=torch.bool)
        logits = logits.masked_fill(same, -1e4)
        y = torch.arange(len(sg))
        loss = (F.cross_entropy(logits, y) + F.cross_entropy(logits.t(), y)) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        return f'loss {loss.item():.4f}'

    a.steps, train_seconds = train_schedule(opt, a.lr, a.steps, a.minutes, 30, one_step, 25, label=f'/{a.steps}')
    held, sims = refind(model, va, vpages)
    print('heldout', json.dumps(held), flush=True)
    real = None
    if a.real:
        rc, rpages = load(a.real)
        real, _ = refind(model, rc, rpages, pairs_of=((0, 1), (0, 3), (2, 1), (2, 3)))
        print('real', json.dumps(real), flush=True)
    export(model, a, held, real, sims, train_seconds)


def export(model, a, held, real, sims, train_seconds):
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, 'model.onnx')
    torch.onnx.export(model, torch.zeros(1, 3, CROP_SIZE, CROP_SIZE), path, input_names=['images'], output_names=['embedding'],
                      dynamic_axes={'images': {0: 'batch'}, 'embedding': {0: 'batch'}}, opset_version=17, do_constant_folding=True)
    shape = [1, 3, CROP_SIZE, CROP_SIZE]
    with torch.no_grad():
        st = self_test_block('images', shape, 'embedding', model(pattern_tensor(shape)), n=64)
        lat = []
        xb = torch.rand(16, 3, CROP_SIZE, CROP_SIZE)
        for i in range(20):
            t = time.perf_counter()
            model(xb)
            lat.append((time.perf_counter() - t) * 1000)
    meta = {
        'role': 'similarity', 'name': 'ui-similarity', 'version': a.version,
        'contract': {'inputs': [{'name': 'images', 'dtype': 'float32', 'shape': ['batch', 3, CROP_SIZE, CROP_SIZE]}],
                     'outputs': [{'name': 'embedding', 'dtype': 'float32', 'shape': ['batch', 128]}]},
        'labels': [],
        'preprocess': {'inputWidth': CROP_SIZE, 'inputHeight': CROP_SIZE, 'letterbox': False, 'mean': [0, 0, 0], 'std': [1, 1, 1],
                       'scale': 255, 'channelOrder': 'RGB', 'layout': 'NCHW', 'crop': CROP_CONTRACT},
        'postprocess': {'format': 'l2-embedding', 'dim': 128, 'metric': 'cosine (dot product of the unit vectors)'},
        'selfTest': st,
        'baseline': {'latencyP95Ms': round(float(np.percentile(lat, 95)), 2), 'latencySource': 'torch-cpu-2-threads, batch 16',
                     'confidenceHistogram': histogram10(sims),
                     'confidenceHistogramSource': 'cosine similarity of the top-1 match in held-out re-find queries (clipped to [0,1])'},
        'training': {'command': 'bash scripts/train/all.sh (train_similarity.py)', 'seeds': SEEDS_NOTE + ' (variant 0 paired with 1); torch/numpy seed %d' % a.seed, 'lineage': a.lineage,
                     'steps': a.steps, 'batch': a.pages_per_batch * a.per_page, 'temperature': a.temperature, 'trainSeconds': round(train_seconds, 1),
                     'heldOut': {'synthetic': held, 'real': real},
                     'note': 'Python-side metrics are indicative. refindTop1 counts a hit when the nearest element is the same id or visually identical (same type, state, text and CSS size).'},
        'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
    }
    write_json(os.path.join(a.out, 'metadata.json'), meta)
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
