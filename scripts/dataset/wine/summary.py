"""Counts a built wine family: screens and boxes per app and per type, by split; writes <out>/summary.json.
  /usr/bin/python3 summary.py OUT_DIR"""
import collections
import glob
import json
import os
import sys


def summarize(out):
    apps = collections.defaultdict(lambda: {'screens': 0, 'boxes': 0, 'split': None})
    types = collections.Counter()
    split_types = collections.defaultdict(collections.Counter)
    for path in sorted(glob.glob(os.path.join(out, '*', '*.json'))):
        with open(path, encoding='utf-8') as f:
            s = json.load(f)
        a = apps[s['app']]
        a['screens'] += 1
        a['boxes'] += len(s['elements'])
        a['split'] = s['split']
        for e in s['elements']:
            types[e['type']] += 1
            split_types[s['split']][e['type']] += 1
    return {'apps': dict(sorted(apps.items())), 'screens': sum(a['screens'] for a in apps.values()),
            'boxes': sum(types.values()), 'types': dict(types.most_common()),
            'types_by_split': {k: dict(v.most_common()) for k, v in split_types.items()}}


if __name__ == '__main__':
    summary = summarize(sys.argv[1])
    with open(os.path.join(sys.argv[1], 'summary.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=2)
    for app, a in summary['apps'].items():
        print(f"{app:22} {a['split']:8} {a['screens']:4} screens {a['boxes']:6} boxes")
    print(f"total {summary['screens']} screens, {summary['boxes']} boxes")
    for t, n in summary['types'].items():
        print(f'  {t:14} {n}')
