"""Counts a built wine family: screens and boxes per app and per type, by split; writes <out>/summary.json.
  /usr/bin/python3 summary.py OUT_DIR"""
import collections
import glob
import json
import os
import sys


TYPES = {'button', 'icon_button', 'checkbox', 'radio', 'toggle', 'dropdown', 'text_input', 'link', 'tab', 'menu_item',
         'menu_bar_item', 'list_item', 'tree_item', 'spin_button', 'slider', 'progress_bar', 'header_item'}
FIELDS = {'width', 'height', 'scale', 'theme', 'kind', 'page', 'family', 'app', 'split', 'state', 'elements'}


def check_sample(s, path, splits):
    """The issue 15 format: every field, integer boxes inside the image, known types, the committed split."""
    problems = []
    if set(s) != FIELDS:
        problems.append(f'fields {sorted(set(s) ^ FIELDS)}')
    if s.get('family') != 'wine' or s.get('split') != splits.get(s.get('app')):
        problems.append(f"family/split {s.get('family')}/{s.get('split')}")
    for i, e in enumerate(s.get('elements', [])):
        x1, y1, x2, y2 = e['box']
        if e['id'] != i or e['type'] not in TYPES or not all(isinstance(v, int) for v in e['box']):
            problems.append(f'element {i}: id/type/box {e}')
        elif not (0 <= x1 < x2 <= s['width'] and 0 <= y1 < y2 <= s['height']):
            problems.append(f"element {i}: box {e['box']} outside {s['width']}x{s['height']}")
    return [f'{path}: {p}' for p in problems]


def summarize(out):
    apps = collections.defaultdict(lambda: {'screens': 0, 'boxes': 0, 'split': None})
    types = collections.Counter()
    split_types = collections.defaultdict(collections.Counter)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'apps', 'wine.json'), encoding='utf-8') as f:
        splits = {a['app']: a['split'] for a in json.load(f)}
    problems = []
    for path in sorted(glob.glob(os.path.join(out, '*', '*.json'))):
        with open(path, encoding='utf-8') as f:
            s = json.load(f)
        problems += check_sample(s, path, splits)
        a = apps[s['app']]
        a['screens'] += 1
        a['boxes'] += len(s['elements'])
        a['split'] = s['split']
        for e in s['elements']:
            types[e['type']] += 1
            split_types[s['split']][e['type']] += 1
    if problems:
        raise SystemExit('\n'.join(['samples not in the issue 15 format:'] + problems[:50]))
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
