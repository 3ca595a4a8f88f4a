"""Flags boxes with nothing drawn in them (a flat region: pixel standard deviation under 3 over the box) per source role —
the sign of an element the enumerator reports but the program does not draw (e.g. comctl32 v6-only buttons).
  /usr/bin/python3 audit.py OUT_DIR [--list N]
  /usr/bin/python3 audit.py OUT_DIR --fix      (drops them from samples written before capture.py did so itself)"""
import collections
import glob
import json
import os
import sys

from PIL import Image, ImageStat


def audit(out, show=0):
    flat, total, examples = collections.Counter(), collections.Counter(), collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(out, '*', '*.json'))):
        with open(path, encoding='utf-8') as f:
            s = json.load(f)
        im = Image.open(path[:-5] + '.png').convert('L')
        for e in s['elements']:
            total[e['role']] += 1
            if max(ImageStat.Stat(im.crop(e['box'])).stddev) < 3:
                flat[e['role']] += 1
                examples[e['role']].append(f"{os.path.relpath(path, out)} {e['type']} {e.get('text', '')!r} {e['box']}")
    for role in sorted(total, key=lambda r: -flat[r]):
        print(f'{role:28} {flat[role]:5} flat of {total[role]:5}')
        for ex in examples[role][:show]:
            print('    ' + ex)
    return flat, total


def fix(out):
    from sample import drop_flat
    n = 0
    for path in sorted(glob.glob(os.path.join(out, '*', '*.json'))):
        with open(path, encoding='utf-8') as f:
            s = json.load(f)
        d = drop_flat(Image.open(path[:-5] + '.png'), s)
        if d:
            n += d
            with open(path, 'w', encoding='utf-8') as f:
                json.dump(s, f, ensure_ascii=False)
    print(f'dropped {n} flat boxes')


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[2] == '--fix':
        fix(sys.argv[1])
        sys.exit(0)
    audit(sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == '--list' else 0)
