"""The classifier's `background` label (issue 15 precision; docs/MODELS.md "Background label").

The detector boxes things that are not controls (text, headings, pictures, parts of a control). The classifier sees
every detection at full resolution, so it learns one more label, `background`, appended LAST to the type table's labels
(a shipped head row keeps its index). Its crops come from mine_negatives.py: detections of the shipped detector that
match no truth box on the TRAIN applications (and generator pages), plus random boxes off the truth.

The agent drops an element whose p(background) is above the model's postprocess.backgroundThreshold and scales the
others' score by (1 - p(background)). The threshold is chosen here on the validation slice of the TRAIN apps (the
positives' crops and the mined negatives of those apps): the lowest threshold that drops at most --bg-max-false-drop
of the real controls. Held-out apps are never read.

/usr/bin/python3 scripts/train/background.py --model CANDIDATE/classifier/model.onnx --negatives DIR
    prints the threshold table of a trained classifier on the validation apps' matched DETECTIONS (negatives-real-val.npz
    pos_crops: what the agent really classifies for a found control) beside its mined negatives.
"""
import os

import numpy as np

BACKGROUND = 'background'
THRESHOLDS = [round(0.3 + 0.05 * i, 2) for i in range(14)]   # 0.30 .. 0.95


def add_background_args(ap):
    ap.add_argument('--negatives', default=None,
                    help='mine_negatives.py output folder: adds the label `background` (last) trained from its crops')
    ap.add_argument('--bg-frac', type=float, default=0.2, help='share of the sampling mass given to background crops')
    ap.add_argument('--bg-random-frac', type=float, default=0.25, help='share of the background mass drawn from random boxes')
    ap.add_argument('--bg-threshold', default='auto',
                    help='postprocess.backgroundThreshold written to metadata.json: a number, or "auto" (chosen on the '
                         'train apps\' validation slice, see --bg-max-false-drop)')
    ap.add_argument('--det-positives', action='store_true',
                    help='also train on the train apps\' matched detections (negatives-real-train.npz pos_crops, mined with '
                         '--keep-positives) under their truth label, so a detector-shaped box is no cue for background')
    ap.add_argument('--bg-max-false-drop', type=float, default=0.02,
                    help='"auto": the lowest threshold that drops at most this share of the real controls')


def _load(path):
    if not os.path.isfile(path):
        return None
    z = np.load(path)
    return {k: z[k] for k in z.files}


def background_pool(a, bg_index):
    """Training and validation background crops from a.negatives: {'crops', 'real', 'random', 'val_crops', 'info'}."""
    if not os.path.isdir(a.negatives):
        raise SystemExit(f'error: --negatives {a.negatives}: no such folder (run scripts/train/mine_negatives.py)')
    if not 0 < a.bg_frac < 1 or not 0 <= a.bg_random_frac <= 1:
        raise SystemExit('error: --bg-frac must be in (0, 1) and --bg-random-frac in [0, 1]')
    parts, real, rnd, info = [], [], [], {'folder': a.negatives, 'bgIndex': bg_index}
    for name, is_real in (('real-train', True), ('synth', False)):
        z = _load(os.path.join(a.negatives, f'negatives-{name}.npz'))
        if z is None or not len(z['crops']):
            continue
        parts.append(z['crops'])
        real.append(np.full(len(z['crops']), is_real))
        rnd.append(z['kind'] == 1)
        info[name] = {'mined': int((z['kind'] == 0).sum()), 'random': int((z['kind'] == 1).sum())}
    if not parts:
        raise SystemExit(f'error: --negatives {a.negatives}: no negatives-real-train.npz / negatives-synth.npz with crops')
    det_pos = None
    if getattr(a, 'det_positives', False):
        z = _load(os.path.join(a.negatives, 'negatives-real-train.npz'))
        if z is None or 'pos_labels' not in z:
            raise SystemExit('error: --det-positives: negatives-real-train.npz has no pos_crops/pos_labels (mine with --keep-positives)')
        det_pos = {'crops': z['pos_crops'], 'labels': z['pos_labels']}
        info['detPositives'] = int(len(z['pos_labels']))
    v = _load(os.path.join(a.negatives, 'negatives-real-val.npz'))
    val = v['crops'][v['kind'] == 0] if v is not None else np.zeros((0, 64, 64, 3), np.uint8)
    info['realVal'] = {'mined': int(len(val))}
    print('background crops', info, flush=True)
    return {'crops': np.concatenate(parts), 'real': np.concatenate(real), 'random': np.concatenate(rnd), 'val_crops': val,
            'val_pos': v['pos_crops'] if v is not None and 'pos_crops' in v else None, 'det_pos': det_pos, 'info': info}


def choose_threshold(p_bg_pos, max_false_drop):
    """The lowest threshold of THRESHOLDS whose false-drop rate (share of real controls with p(background) above it)
    is at most `max_false_drop`; the highest one if none is."""
    for t in THRESHOLDS:
        if (p_bg_pos > t).mean() <= max_false_drop:
            return t
    return THRESHOLDS[-1]


def background_report(a, pos_probs, neg_probs, bg, det_pos_probs=None):
    """Figures on the train apps' validation slice: per threshold the share of real controls dropped (falseDrop) and
    of mined negatives dropped (drop); the chosen threshold. pos_probs: [N, labels] of truth crops; neg_probs of the
    mined negatives (or None); det_pos_probs of the matched detections' crops (or None): when given, "auto" chooses on
    them — what the agent really classifies for a found control — rather than on truth crops."""
    p_pos = pos_probs[:, -1]
    p_neg = neg_probs[:, -1] if neg_probs is not None else np.zeros(0)
    table = [{'threshold': t, 'falseDrop': round(float((p_pos > t).mean()), 4),
              'drop': round(float((p_neg > t).mean()), 4) if len(p_neg) else None} for t in THRESHOLDS]
    p_det = det_pos_probs[:, -1] if det_pos_probs is not None and len(det_pos_probs) else None
    if a.bg_threshold == 'auto':
        thr = choose_threshold(p_det if p_det is not None else p_pos, a.bg_max_false_drop)
    else:
        thr = float(a.bg_threshold)
        if not 0 < thr < 1:
            raise SystemExit('error: --bg-threshold must be in (0, 1) or "auto"')
    labels = a.rv['labels']
    per = {}
    for k, name in enumerate(a.labels[:-1]):
        m = labels == k
        if m.any():
            per[name] = round(float((p_pos[m] > thr).mean()), 4)
    for row in table:
        row['falseDropDetections'] = round(float((p_det > row['threshold']).mean()), 4) if p_det is not None else None
    return {'threshold': thr, 'rule': 'auto: lowest threshold dropping at most %.3g of real controls (%s)' % (
                a.bg_max_false_drop, 'matched detections' if p_det is not None else 'truth crops')
            if a.bg_threshold == 'auto' else 'fixed (--bg-threshold)',
            'falseDropDetections': round(float((p_det > thr).mean()), 4) if p_det is not None else None,
            'positives': int(len(p_pos)), 'negatives': int(len(p_neg)),
            'falseDrop': round(float((p_pos > thr).mean()), 4), 'drop': round(float((p_neg > thr).mean()), 4) if len(p_neg) else None,
            'negTop1': round(float((neg_probs.argmax(1) == len(a.labels) - 1).mean()), 4) if len(p_neg) else None,
            'falseDropPerLabel': per, 'table': table, 'crops': bg['info']}


def _main():
    import argparse
    import json
    import sys
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import CROP_SIZE, to_tensor
    from models import CropNet
    from recipe import load_onnx_weights
    ap = argparse.ArgumentParser(description='threshold table of a classifier with a background label on the validation apps')
    ap.add_argument('--model', required=True)
    ap.add_argument('--negatives', required=True)
    ap.add_argument('--max-false-drop', type=float, default=0.02)
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))
    with open(os.path.join(os.path.dirname(a.model), 'metadata.json')) as f:
        md = json.load(f)
    labels = md['labels']
    if ((md.get('preprocess') or {}).get('crop') or {}).get('views'):
        raise SystemExit(f'error: {a.model}: a multi-view classifier; background thresholds are for single-view ones (no --negatives with --views)')
    if labels[-1] != BACKGROUND:
        raise SystemExit(f'error: {a.model}: its last label is {labels[-1]!r}, not {BACKGROUND!r}')
    model = CropNet(len(labels), mode='classifier')
    load_onnx_weights(model, a.model, (1, 3, CROP_SIZE, CROP_SIZE)).eval()
    z = _load(os.path.join(a.negatives, 'negatives-real-val.npz'))
    if z is None or 'pos_crops' not in z:
        raise SystemExit('error: negatives-real-val.npz has no pos_crops: mine it again (mine_negatives.py --caches real-val)')

    @torch.no_grad()
    def p_bg(u8):
        return np.concatenate([model(to_tensor(u8[s:s + 512])).numpy()[:, -1] for s in range(0, len(u8), 512)]) if len(u8) else np.zeros(0)
    pos, neg = p_bg(z['pos_crops']), p_bg(z['crops'][z['kind'] == 0])
    table = [{'threshold': t, 'falseDrop': round(float((pos > t).mean()), 4), 'drop': round(float((neg > t).mean()), 4)} for t in THRESHOLDS]
    print(json.dumps({'matchedDetections': int(len(pos)), 'negatives': int(len(neg)),
                      'threshold': choose_threshold(pos, a.max_false_drop), 'maxFalseDrop': a.max_false_drop, 'table': table}, indent=1))


if __name__ == '__main__':
    _main()
