"""Screenshots of the X display (ImageMagick `import`) and the crop to the program's windows."""
import subprocess

from PIL import Image

from . import geometry

PAD = 12


def screen_size(display):
    out = subprocess.run(['xdpyinfo', '-display', display], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if 'dimensions:' in line:
            w, h = line.split()[1].split('x')
            return int(w), int(h)
    raise RuntimeError('xdpyinfo: no dimensions')


def crop_rect(window_boxes, screen):
    """Union of the program's showing windows, padded, clipped to the screen."""
    r = None
    for b in window_boxes:
        r = b if r is None else geometry.union(r, b)
    r = [r[0] - PAD, r[1] - PAD, r[2] + PAD, r[3] + PAD]
    return geometry.intersect(r, screen) or screen


def grab(display, path, crop):
    raw = path + '.full.png'
    subprocess.run(['import', '-display', display, '-window', 'root', raw], check=True, timeout=30)
    im = Image.open(raw).convert('RGB').crop(tuple(crop))
    im.save(path, optimize=False)
    import os
    os.unlink(raw)
    return im.size
