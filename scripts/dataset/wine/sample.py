"""Turns one enumeration (JSON lines from wineenum.dll, screen coordinates) into a dataset sample: the crop of the
screen holding the program's windows, and the visible elements in image pixels (issue 15 format)."""
import re

from PIL import ImageStat

MARGIN = 0  # outside the windows the virtual desktop may still show pixels of a closed program
MIN_SIDE = 3
FLAT_STDDEV = 3  # a box with less pixel variation than this has nothing drawn in it (Wine left it blank)
MAX_COVERED = 0.1  # an element more than this share under a higher window (menu, drop-down, dialog) is not visible


def _area(b):
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def _meet(a, b):
    return [max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])]


def strip_mnemonic(text):
    return re.sub(r'&(.)', r'\1', text or '').strip()


def crop_box(records, screen_w, screen_h):
    screen = [0, 0, screen_w, screen_h]
    boxes = [_meet(r['box'], screen) for r in records if r['kind'] == 'top']
    boxes = [b for b in boxes if _area(b) > 0]
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return [max(0, x0 - MARGIN), max(0, y0 - MARGIN), min(screen_w, x1 + MARGIN), min(screen_h, y1 + MARGIN)]


def visible_elements(records, crop):
    """Elements not covered by a higher top-level window, clipped to the crop, shifted to image pixels."""
    tops = {r['top']: r['box'] for r in records if r['kind'] == 'top'}
    out = []
    for e in (r for r in records if r['kind'] == 'element'):
        box = e['box']
        a = _area(box)
        if a == 0:
            continue
        covered = sum(_area(_meet(box, tb)) for t, tb in tops.items() if t < e['top'])
        if covered > MAX_COVERED * a:
            continue
        b = _meet(box, crop)
        if b[2] - b[0] < MIN_SIDE or b[3] - b[1] < MIN_SIDE:
            continue
        el = {'id': len(out), 'box': [b[0] - crop[0], b[1] - crop[1], b[2] - crop[0], b[3] - crop[1]], 'type': e['type']}
        if 'checked' in e:
            el['checked'] = e['checked']
        text = strip_mnemonic(e.get('text'))
        if text:
            el['text'] = text
        el['role'] = e['role']
        out.append(el)
    return out


def make_sample(records, screen_w, screen_h, meta):
    crop = crop_box(records, screen_w, screen_h)
    if crop is None:
        return None, None
    sample = dict(width=crop[2] - crop[0], height=crop[3] - crop[1], scale=meta['scale'], theme=meta['theme'], kind='real-app',
                  page=f"{meta['app']}/{meta['state']}", family='wine', app=meta['app'], split=meta['split'], state=meta['state'],
                  elements=visible_elements(records, crop))
    return crop, sample


def drop_flat(image, sample):
    """Removes elements whose box shows nothing (a flat region) — e.g. Wine's selected tab in high contrast, drawn blank —
    and renumbers the rest. Returns how many were dropped."""
    grey = image.convert('L')
    keep = [e for e in sample['elements'] if max(ImageStat.Stat(grey.crop(e['box'])).stddev) >= FLAT_STDDEV]
    dropped = len(sample['elements']) - len(keep)
    for i, e in enumerate(keep):
        e['id'] = i
    sample['elements'] = keep
    return dropped
