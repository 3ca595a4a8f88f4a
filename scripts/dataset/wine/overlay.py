"""Draws a sample's boxes on its PNG (one colour per type, type initials beside each box) for checking against pixels.
  /usr/bin/python3 overlay.py SAMPLE.png [...] --out DIR [--zoom 1.5]"""
import argparse
import json
import os

from PIL import Image, ImageDraw

COLOURS = {
    'button': (255, 0, 0), 'icon_button': (200, 0, 120), 'checkbox': (0, 170, 0), 'radio': (0, 0, 255), 'toggle': (255, 0, 255),
    'dropdown': (0, 190, 190), 'text_input': (255, 140, 0), 'link': (120, 60, 0), 'tab': (255, 0, 128), 'menu_item': (140, 140, 0),
    'menu_bar_item': (0, 128, 128), 'list_item': (128, 0, 255), 'tree_item': (0, 90, 255), 'spin_button': (90, 90, 90),
    'slider': (0, 100, 0), 'progress_bar': (160, 0, 0), 'header_item': (90, 200, 0),
}


def draw(png, out_dir, zoom):
    with open(png[:-4] + '.json', encoding='utf-8') as f:
        sample = json.load(f)
    im = Image.open(png).convert('RGB')
    if zoom != 1:
        im = im.resize((round(im.width * zoom), round(im.height * zoom)), Image.NEAREST)
    d = ImageDraw.Draw(im)
    for e in sample['elements']:
        x1, y1, x2, y2 = (round(v * zoom) for v in e['box'])
        c = COLOURS.get(e['type'], (255, 255, 0))
        d.rectangle([x1, y1, x2 - 1, y2 - 1], outline=c)
        d.text((x1 + 1, y1), ''.join(w[0] for w in e['type'].split('_')), fill=c)
    name = f"{sample['app']}__{os.path.basename(png)}"
    im.save(os.path.join(out_dir, name))
    return name


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('pngs', nargs='+')
    ap.add_argument('--out', required=True)
    ap.add_argument('--zoom', type=float, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for p in a.pngs:
        print(draw(p, a.out, a.zoom))
