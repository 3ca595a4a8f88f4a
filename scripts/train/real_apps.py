"""Training samples from the real-program families (issue 15 §1): $RPA_DATA_DIR/real-apps/<family>/<app>/*.{png,json}.

The split is by application and decided before any model result (BRIEF: sha256 rule, written into
scripts/dataset/apps/<family>.json). Training and model selection may only see TRAIN applications:
  * only apps the committed apps list marks "train" are listed; a held-out app's folder is never opened, nor is a
    folder of the FRESH held-out set (split "fresh", docs/DATASET.md: never used for training, validation or decisions);
  * every sample read is checked again (`require_train`): a JSON whose `split` is not "train", or whose
    family/app disagree with its folder, stops the run (HeldOutSampleError) — never silently skipped;
  * validation (checkpoint choice, the Python-side figures) is a slice of the TRAIN apps, chosen by app:
    per family the ceil(val_frac * n) train apps with the smallest sha256("val:" + app), when n >= 3.
"""
import glob
import hashlib
import json
import math
import os

FAMILIES = ('atspi', 'wine', 'webwin')


class HeldOutSampleError(RuntimeError):
    """A sample that is not from a training application reached the training data."""


def require_train(lab, where, family=None, app=None):
    """Refuse anything but a training-split sample of the expected family/app."""
    if lab.get('split') != 'train':
        raise HeldOutSampleError(f'{where}: split is {lab.get("split")!r}, not "train": held-out samples are never used for training or model selection')
    if family is not None and lab.get('family') != family:
        raise HeldOutSampleError(f'{where}: family {lab.get("family")!r} but found under {family!r}')
    if app is not None and lab.get('app') != app:
        raise HeldOutSampleError(f'{where}: app {lab.get("app")!r} but found under {app!r}')
    return lab


def load_apps_lists(dirs):
    """{family: {app: split}} from the first <dir>/<family>.json found for each family (dirs in order)."""
    out = {}
    for fam in FAMILIES:
        for d in dirs:
            p = os.path.join(d, f'{fam}.json')
            if os.path.isfile(p):
                with open(p) as f:
                    rows = json.load(f)
                apps = {}
                for r in rows:
                    if r.get('split') not in ('train', 'heldout', 'fresh') or not r.get('app'):
                        raise SystemExit(f'error: {p}: bad row {r!r}')
                    apps[r['app']] = r['split']
                out[fam] = {'file': p, 'apps': apps}
                break
    return out


def val_apps(train_apps, frac):
    """The validation slice of one family's train apps (by app, deterministic)."""
    n = len(train_apps)
    if n < 3 or frac <= 0:
        return []
    k = math.ceil(frac * n)
    return sorted(sorted(train_apps, key=lambda a: hashlib.sha256(('val:' + a).encode()).hexdigest())[:k])


def collect(real_root, apps_dirs, val_frac=0.2):
    """Returns (train_samples, val_samples, info). Samples are (json_path, png_path). info records which apps went
    where (held-out apps by name only) for metadata.json."""
    lists = load_apps_lists(apps_dirs)
    train, val = [], []
    info = {'realApps': real_root, 'appsLists': {}, 'trainApps': {}, 'valApps': {}, 'heldOutAppsNeverRead': {},
            'freshAppsNeverRead': {}, 'appsWithoutSplitDecision': {}}
    for fam in FAMILIES:
        fam_dir = os.path.join(real_root, fam)
        if fam not in lists:
            if os.path.isdir(fam_dir):
                print(f'real-apps: no apps list for family {fam}: none of its samples is used', flush=True)
            continue
        apps = lists[fam]['apps']
        info['appsLists'][fam] = lists[fam]['file']
        on_disk = sorted(n for n in os.listdir(fam_dir) if os.path.isdir(os.path.join(fam_dir, n))) if os.path.isdir(fam_dir) else []
        tr_apps = [a for a in on_disk if apps.get(a) == 'train']
        info['heldOutAppsNeverRead'][fam] = sorted(a for a, s in apps.items() if s == 'heldout')
        info['freshAppsNeverRead'][fam] = sorted(a for a, s in apps.items() if s == 'fresh')
        info['appsWithoutSplitDecision'][fam] = [a for a in on_disk if a not in apps]
        va = val_apps(tr_apps, val_frac)
        info['trainApps'][fam] = [a for a in tr_apps if a not in va]
        info['valApps'][fam] = va
        for app in tr_apps:
            for j in sorted(glob.glob(os.path.join(fam_dir, app, '*.json'))):
                png = j[:-5] + '.png'
                if not os.path.exists(png):
                    continue
                with open(j) as f:
                    require_train(json.load(f), j, fam, app)
                (val if app in va else train).append((j, png))
    return train, val, info
