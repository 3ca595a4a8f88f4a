#!/usr/bin/python3
"""Draw a sample's labelled boxes over its screenshot, to check labels against pixels by eye; its ignore regions (areas
a model may box that the ground truth cannot give) as grey hatched rectangles.

  /usr/bin/python3 scripts/dataset/overlay.py SAMPLE.json [OUT.png]   (default OUT: SAMPLE.overlay.png beside it)
"""
import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = {
    'button': '#e6194b', 'icon_button': '#f58231', 'checkbox': '#3cb44b', 'radio': '#008080', 'toggle': '#911eb4',
    'dropdown': '#4363d8', 'text_input': '#f032e6', 'link': '#9a6324', 'tab': '#800000', 'menu_item': '#000075',
    'menu_bar_item': '#469990', 'list_item': '#bfef45', 'tree_item': '#42d4f4', 'spin_button': '#ffe119',
    'slider': '#dcbeff', 'progress_bar': '#aaffc3', 'header_item': '#fabed4',
}


def main():
    src = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix('.overlay.png')
    label = json.loads(src.read_text())
    img = Image.open(src.with_suffix('.png')).convert('RGB')
    draw = ImageDraw.Draw(img)
    for e in label['elements']:
        c = COLOURS.get(e['type'], '#ff0000')
        draw.rectangle(e['box'], outline=c, width=2)
        draw.text((e['box'][0] + 2, e['box'][1] + 1), e['type'][:6], fill=c)
    for b in label.get('ignore', []):
        draw.rectangle(b, outline='#808080', width=1)
        for c in range(b[0] + b[1], b[2] + b[3], 12):  # hatch: the lines x + y = c inside the box
            xa, xb = max(b[0], c - b[3]), min(b[2], c - b[1])
            if xb > xa:
                draw.line([(xa, c - xa), (xb, c - xb)], fill='#808080', width=1)
    img.save(out)
    print(out, len(label['elements']), 'elements', len(label.get('ignore', [])), 'ignore regions')


if __name__ == '__main__':
    main()
