"""Experiment (stop 12, not shipped; docs/MODELS.md "What falls short and why"): the crop classifier plus the
element box's geometry — log aspect ratio, log width and height in CSS px — as a second input, because the
stretch to 64x64 discards both. Fine-tunes from a classifier state_dict; --nfeat 0 is the control (same schedule,
same sampler, no geometry). Reports synthetic held-out and real-page top-1.

  python3 scripts/train/experiments/geometry_classifier.py --nfeat 3 --minutes 22 --threads 1 --save /tmp/g3.pt &
  python3 scripts/train/experiments/geometry_classifier.py --nfeat 0 --minutes 22 --threads 1 --save /tmp/g0.pt
"""
import argparse, json, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from common import CLASSIFIER_LABELS, seed_everything, to_tensor
from models import CropNet
from prepare import prepare
import train_classifier as tc

def geom_for(data_dir):
    cache = prepare(data_dir)
    metas = json.load(open(os.path.join(cache, 'det_640.json')))
    c = np.load(os.path.join(cache, 'crops.npz'))
    img = c['image']
    out = np.zeros((len(img), 3), np.float32)
    pos = {}
    for i, ii in enumerate(img):
        k = pos.get(ii, 0); pos[ii] = k + 1
        m = metas[ii]
        x1, y1, x2, y2 = m['boxes'][k]
        w = (x2 - x1) / m['r']; h = (y2 - y1) / m['r']; s = m['scale']
        out[i] = [np.log(w / h), np.log(w / s / 64), np.log(h / s / 24)]
    return out

class GeoNet(nn.Module):
    def __init__(self, nfeat):
        super().__init__()
        self.net = CropNet(len(CLASSIFIER_LABELS), mode='logits')
        self.nfeat = nfeat
        self.g = nn.Sequential(nn.Linear(nfeat, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.fc2 = nn.Linear(384 + 32, len(CLASSIFIER_LABELS))
    def forward(self, x, g):
        f = self.net.embed_features(x)
        return self.fc2(torch.cat([f, self.g(g[:, :self.nfeat].clamp(-4, 4))], 1))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nfeat', type=int, default=3)
    ap.add_argument('--minutes', type=float, default=20)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--save', required=True)
    ap.add_argument('--threads', type=int, default=1)
    # datasets live outside git (issue 22): $RPA_DATA_DIR, else .data/datasets in the checkout
    data_root = os.environ.get('RPA_DATA_DIR') or os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '.data', 'datasets')
    ap.add_argument('--data', default=os.path.join(data_root, 'v2', 'train'))
    ap.add_argument('--val', default=os.path.join(data_root, 'v2', 'heldout'))
    ap.add_argument('--real', default=os.path.join(data_root, 'real'))
    ap.add_argument('--init', default=os.path.join(data_root, 'classifier_weights_r3.pt'))
    a = ap.parse_args()
    seed_everything(0); rng = np.random.default_rng(0)
    torch.set_num_threads(a.threads)  # after seed_everything, which applies TRAIN_THREADS
    D, V, R = a.data, a.val, a.real
    tr = tc.load_crops(D); va = tc.load_crops(V); re_ = tc.load_crops(R)
    gtr, gva, gre = geom_for(D), geom_for(V), geom_for(R)
    X = np.concatenate([tr['exact'], tr['jitter']]); Y = np.concatenate([tr['labels'], tr['labels']])
    G = np.concatenate([gtr, gtr])
    w = 1.0 / np.sqrt(np.bincount(Y, minlength=13)[Y]); w /= w.sum()
    model = GeoNet(a.nfeat)
    sd = torch.load(a.init); model.net.load_state_dict(sd)
    with torch.no_grad():
        model.fc2.weight.zero_(); model.fc2.weight[:, :384] = sd['fc.weight']; model.fc2.bias.copy_(sd['fc.bias'])
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=5e-4)
    t0 = time.time(); step = 0; budget = a.minutes * 60
    model.train()
    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        lr = a.lr * 0.5 * (1 + np.cos(np.pi * frac))
        for pg in opt.param_groups: pg['lr'] = lr
        bi = rng.choice(len(X), 96, p=w)
        x = tc.augment(X[bi], rng)
        g = torch.from_numpy(G[bi] + rng.normal(0, 0.06, (96, 3)).astype(np.float32))
        loss = F.cross_entropy(model(x, g), torch.from_numpy(Y[bi]), label_smoothing=0.05)
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if step % 200 == 0: print(step, round(time.time() - t0), loss.item(), flush=True)
    model.eval()
    def ev(c, g):
        out = []
        with torch.no_grad():
            for s in range(0, len(c['exact']), 512):
                out.append(torch.softmax(model(to_tensor(c['exact'][s:s+512]), torch.from_numpy(g[s:s+512])), 1))
        return tc.metrics(torch.cat(out).numpy(), c['labels'])
    h, _ = ev(va, gva); r, conf = ev(re_, gre)
    print('steps', step, 'heldout', json.dumps(h)); print('real', json.dumps(r)); print(conf)
    torch.save(model.state_dict(), a.save)
if __name__ == '__main__':
    main()
