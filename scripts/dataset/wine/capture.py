"""Captures every program of scenarios.json in every (theme, scale) variant: launch, drive each state, enumerate
with the injected wineenum.dll, screenshot, write <out>/<app>/<state>_<theme>_<scale>.{png,json}.
  /usr/bin/python3 capture.py --work DIR --out DIR --display :N [--only app,app] [--variants N] [--resume] [--fresh]
--fresh: only the apps of the fresh held-out set (split "fresh" in apps/wine.json); without it they are left out."""
import argparse
import json
import os
import sys
import time

from PIL import Image

from sample import drop_flat, make_sample, strip_mnemonic
from schemes import VARIANTS, scheme_reg
from winectl import Wine

HERE = os.path.dirname(os.path.abspath(__file__))
SCREEN = (1920, 1080)


def scale_name(s):
    return f'{s:g}'


def find_element(records, spec):
    for e in records:
        if e['kind'] != 'element' or ('type' in spec and e['type'] != spec['type']):
            continue
        if 'text' in spec and strip_mnemonic(e.get('text')) != spec['text']:
            continue
        if 'role' in spec and e['role'] != spec['role']:
            continue
        return e
    raise LookupError(f'no element {spec}')


def act(wine, action, records):
    kind, arg = next(iter(action.items()))
    if kind == 'key':
        wine.key(arg)
    elif kind == 'type':
        wine.type(arg)
    elif kind == 'sleep':
        time.sleep(arg)
    elif kind in ('click', 'dclick'):
        b = find_element(records, arg)['box']
        # edge=right: the drop-down button at the right end (a date picker's centre is its day field)
        x = b[2] - (b[3] - b[1]) / 2 if arg.get('edge') == 'right' else (b[0] + b[2]) / 2
        wine.click(x, (b[1] + b[3]) / 2, double=kind == 'dclick')
    else:
        raise ValueError(f'unknown action {kind}')


class Capture:
    def __init__(self, wine, out, raw, splits, resume=False):
        self.wine, self.out, self.raw, self.splits, self.resume = wine, out, raw, splits, resume
        os.makedirs(raw, exist_ok=True)  # the enumerator cannot create the folder of its output file
        self.written = 0
        self.failed = []

    def app(self, sc, theme, scale):
        app = sc['app']
        pid = None
        launched = None
        records = []
        for st in sc['states']:
            name = f"{st['name']}_{theme}_{scale_name(scale)}"
            try:
                if self.resume and os.path.exists(os.path.join(self.out, app, name + '.json')):
                    continue
                launch = sc['launch'] + st.get('args', [])
                if launch != launched or st.get('relaunch'):
                    if pid:
                        self.wine.kill(pid)
                        time.sleep(0.5)
                    for attempt in range(2):  # a program's very first start in a fresh prefix can fail to show
                        self.wine.launch(launch)
                        time.sleep(sc.get('startup', 2))
                        pid, records = self.wine.enumerate(sc['target'], os.path.join(self.raw, 'probe.jsonl'))
                        if pid is not None:
                            break
                    if pid is None:
                        raise RuntimeError(f"no window {sc['target']}")
                    launched = launch
                stale = False
                for a in st.get('actions', []):
                    if stale and ('click' in a or 'dclick' in a):  # a click needs the element boxes of the screen as it is now
                        time.sleep(0.4)
                        _, records = self.wine.enumerate(f'pid:{pid}', os.path.join(self.raw, 'probe.jsonl'), timeout=10)
                        records = records or []
                    act(self.wine, a, records)
                    stale = stale or 'sleep' not in a
                time.sleep(st.get('settle', 0.8))
                raw_path = os.path.join(self.raw, app, name + '.jsonl')
                os.makedirs(os.path.dirname(raw_path), exist_ok=True)
                _, records = self.wine.enumerate(f'pid:{pid}', raw_path, timeout=10)
                if records is None:
                    raise RuntimeError('enumeration failed')
                shot = os.path.join(self.raw, 'shot.png')
                self.wine.screenshot(shot)
                meta = dict(app=app, state=st['name'], theme=theme, scale=scale, split=self.splits[app])
                crop, sample = make_sample(records, *SCREEN, meta)
                if sample is None or not sample['elements']:
                    raise RuntimeError('no visible window or no element')
                os.makedirs(os.path.join(self.out, app), exist_ok=True)
                image = Image.open(shot).convert('RGB').crop(crop)
                drop_flat(image, sample)
                image.save(os.path.join(self.out, app, name + '.png'))
                with open(os.path.join(self.out, app, name + '.json'), 'w', encoding='utf-8') as f:
                    json.dump(sample, f, ensure_ascii=False)
                self.written += 1
                print(f'  {app}/{name}: {len(sample["elements"])} elements', flush=True)
            except Exception as err:  # one broken state must not stop the build; it is listed at the end
                self.failed.append(f'{app}/{name}: {err}')
                print(f'  {app}/{name}: FAILED {err}', flush=True)
                if pid:
                    self.wine.kill(pid)
                pid, launched = None, None  # the next state starts from a fresh program
        if pid:
            self.wine.kill(pid)
            time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--display', required=True)
    ap.add_argument('--only', default='')
    ap.add_argument('--variants', type=int, default=len(VARIANTS))
    ap.add_argument('--resume', action='store_true', help='keep samples already written; capture only the missing ones')
    ap.add_argument('--fresh', action='store_true', help='only the fresh held-out set (never written with the others)')
    a = ap.parse_args()
    with open(os.path.join(HERE, 'scenarios.json'), encoding='utf-8') as f:
        scenarios = json.load(f)['apps']
    with open(os.path.join(HERE, '..', 'apps', 'wine.json'), encoding='utf-8') as f:
        splits = {x['app']: x['split'] for x in json.load(f)}
    missing = [s['app'] for s in scenarios if s['app'] not in splits]
    if missing:
        sys.exit(f'apps without a split in scripts/dataset/apps/wine.json: {missing} (run apps.mjs first)')
    # the fresh held-out set is captured only by its own run, into its own folder (build.sh --fresh)
    scenarios = [sc for sc in scenarios if (splits[sc['app']] == 'fresh') == a.fresh]
    only = set(filter(None, a.only.split(',')))
    wine = Wine(a.work, a.display)
    cap = Capture(wine, a.out, os.path.join(a.work, 'raw'), splits, a.resume)
    t0 = time.time()
    try:
        for theme, scale in VARIANTS[:a.variants]:
            todo = [sc for sc in scenarios if not only or sc['app'] in only]
            if a.resume and all(os.path.exists(os.path.join(a.out, sc['app'], f"{st['name']}_{theme}_{scale_name(scale)}.json"))
                                for sc in todo for st in sc['states']):
                continue  # nothing missing in this variant: no Wine restart
            print(f'== variant {theme} x{scale_name(scale)}', flush=True)
            wine.restart(scheme_reg(theme, scale))
            for sc in scenarios:
                if not only or sc['app'] in only:
                    cap.app(sc, theme, scale)
    finally:
        wine.stop()
    print(f'== {cap.written} screens in {time.time() - t0:.0f} s; {len(cap.failed)} failed')
    for f in cap.failed:
        print('   ' + f)


if __name__ == '__main__':
    main()
