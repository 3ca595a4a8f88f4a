"""Draw a sample's boxes on its PNG (to check a source against its pixels by eye).
  /usr/bin/python3 -m atspi_harvest.overlay SAMPLE.json [SAMPLE.json ...] --out DIR"""
import argparse
import json
import os

from PIL import Image, ImageDraw

COLOURS = {'button': (255, 0, 0), 'icon_button': (255, 120, 0), 'checkbox': (0, 160, 0), 'radio': (0, 200, 120),
           'toggle': (160, 0, 160), 'dropdown': (0, 0, 255), 'text_input': (0, 150, 255), 'link': (120, 60, 0),
           'tab': (255, 0, 200), 'menu_item': (200, 200, 0), 'menu_bar_item': (120, 120, 0),
           'list_item': (0, 120, 120), 'tree_item': (60, 60, 160), 'spin_button': (255, 60, 120),
           'slider': (0, 255, 0), 'progress_bar': (0, 255, 255), 'header_item': (128, 128, 128)}


def draw(json_path, out_path):
    s = json.load(open(json_path))
    im = Image.open(json_path[:-5] + '.png').convert('RGB')
    d = ImageDraw.Draw(im)
    for e in s['elements']:
        c = COLOURS.get(e['type'], (255, 255, 255))
        d.rectangle([e['box'][0], e['box'][1], e['box'][2] - 1, e['box'][3] - 1], outline=c, width=1)
        d.text((e['box'][0] + 1, e['box'][1]), e['type'][:6], fill=c)
    im.save(out_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('samples', nargs='+')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for p in a.samples:
        draw(p, os.path.join(a.out, os.path.basename(p)[:-5] + '.overlay.png'))


if __name__ == '__main__':
    main()
