"""Score saved classifier weights (a state_dict from train_classifier.py --save-weights) on prepared crop sets,
without training: top-1, per-label top-1 and the confusion matrix. Used to compare a shipped round with a new one
on the same labels (e.g. round 3 re-scored under the stop-13 menu_item rule).

python3 scripts/train/score_classifier.py --weights $RPA_DATA_DIR/classifier_weights_r3.pt \
    --data $RPA_DATA_DIR/v3/heldout [--data $RPA_DATA_DIR/v3/real ...] [--json]
Weights of a multi-view classifier (train_classifier.py --views) are scored with the same --views: its crops are cut under
each view's rule and stacked along channels as in training.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLASSIFIER_LABELS  # noqa: E402
from models import CropNet, MultiViewCropNet  # noqa: E402
from train_classifier import load_crops, metrics, predict, views_arg  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--weights', required=True, help='state_dict saved by train_classifier.py --save-weights')
    ap.add_argument('--data', action='append', required=True, help='a generated data directory (prepared on first use); repeatable')
    ap.add_argument('--views', default=None, help='the --views the weights were trained with (multi-view classifier)')
    ap.add_argument('--json', action='store_true', help='one JSON object per data directory, nothing else')
    a = ap.parse_args()
    if not os.path.isfile(a.weights):
        sys.exit(f'error: weights not found: {a.weights}')
    views = views_arg(a.views) if a.views is not None else None
    model = MultiViewCropNet(len(CLASSIFIER_LABELS), len(views), mode='logits') if views else CropNet(len(CLASSIFIER_LABELS), mode='logits')
    model.load_state_dict(torch.load(a.weights))
    model.mode = 'classifier'
    for d in a.data:
        c = load_crops(d, rule=views) if views else load_crops(d)
        m, conf = metrics(predict(model, c['exact']), c['labels'])
        m['data'] = d
        if a.json:
            print(json.dumps(m), flush=True)
            continue
        print(d, 'top-1', m['top1'], 'n', m['n'])
        for k, v in m['perLabel'].items():
            print(f'  {k:20s} {v:.4f}')
        print('confusion (rows = true, columns = predicted; order:', ', '.join(CLASSIFIER_LABELS) + ')')
        print(conf, flush=True)


if __name__ == '__main__':
    main()
