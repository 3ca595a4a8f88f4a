"""Screenshots of the X display (Pillow's ImageGrab over XCB) and the crop to the program's windows."""
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
