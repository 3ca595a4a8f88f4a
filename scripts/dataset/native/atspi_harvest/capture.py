"""Screenshots of the X display (Pillow's ImageGrab over XCB) and the crop to the program's windows."""
import re
import subprocess

from PIL import ImageGrab, ImageStat

from . import geometry

PAD = 12
FLAT_STDDEV = 3.0  # grey-level spread under which a box shows nothing (the wine family's rule, sample.drop_flat)


def screen_size(display):
    return ImageGrab.grab(xdisplay=display).size


def crop_rect(window_boxes, screen):
    """Union of the program's showing windows, padded, clipped to the screen."""
    r = None
    for b in window_boxes:
        r = b if r is None else geometry.union(r, b)
    r = [r[0] - PAD, r[1] - PAD, r[2] + PAD, r[3] + PAD]
    return geometry.intersect(r, screen) or screen


def grab(display, path, crop):
    im = ImageGrab.grab(xdisplay=display).convert('RGB').crop(tuple(crop))
    im.save(path)
    return im.size


def flat_boxes(path, boxes):
    """Indices of the boxes (crop pixels) over which the saved screenshot is flat: nothing is drawn there."""
    grey = ImageGrab.Image.open(path).convert('L')
    return {i for i, b in enumerate(boxes) if ImageStat.Stat(grey.crop(tuple(b))).stddev[0] < FLAT_STDDEV}


CHILD = re.compile(r'^\s+(0x[0-9a-f]+) .*?\s(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+([+-]-?\d+)([+-]-?\d+)\s*$')


def stacking(display):
    """Boxes of the root window's viewable children, bottom to top (the stacking order: with no window manager
    the top-level windows are the root's children). [] when xwininfo fails."""
    try:
        out = subprocess.run(['xwininfo', '-root', '-children', '-display', display], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    kids = []
    for line in out.splitlines():
        m = CHILD.match(line)
        if m:
            wid, w, h = m.group(1), int(m.group(2)), int(m.group(3))
            x, y = int(m.group(4).replace('+', '')), int(m.group(5).replace('+', ''))
            if w > 1 and h > 1:
                kids.append((wid, [x, y, x + w, y + h]))
    # xwininfo prints the children top to bottom (checked under Xvfb: a window raised moves to the head of the
    # list); only viewable windows count (an unmapped one keeps its geometry)
    boxes = []
    for wid, box in reversed(kids):
        try:
            st = subprocess.run(['xwininfo', '-id', wid, '-display', display], capture_output=True, text=True,
                                timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        if 'IsViewable' in st:
            boxes.append(box)
    return boxes
