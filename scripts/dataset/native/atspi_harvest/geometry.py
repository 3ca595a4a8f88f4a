"""Box geometry for the harvester. Pure. Boxes are [x1, y1, x2, y2] (x2/y2 exclusive), integers."""

MIN_SIDE = 4  # a box thinner than this is not a visible control
GRAZE = 0.05  # a cover over less than this share of a box leaves it whole (a popup's shadow or border)


def from_extents(x, y, w, h):
    return [int(x), int(y), int(x) + int(w), int(y) + int(h)]


def valid(box):
    return box is not None and box[2] - box[0] >= MIN_SIDE and box[3] - box[1] >= MIN_SIDE


def intersect(a, b):
    r = [max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])]
    return r if r[2] > r[0] and r[3] > r[1] else None


def area(b):
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def union(a, b):
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


def subtract(box, cover, keep_min=0.5):
    """The part of `box` not under `cover`, when that part is one rectangle holding at least `keep_min` of the
    box's area (a cover along one side: clip to the rest). Returns the box unchanged when not covered, None
    when covered too much or when the uncovered part is not a rectangle (a cover in the middle or a corner)."""
    i = intersect(box, cover)
    if i is None or area(i) < GRAZE * area(box):
        return box
    x1, y1, x2, y2 = box
    full_w = i[0] <= x1 and i[2] >= x2
    full_h = i[1] <= y1 and i[3] >= y2
    rest = None
    if full_w and full_h:
        return None
    if full_w:  # cover spans the whole width: keep above or below it
        if i[1] <= y1:
            rest = [x1, i[3], x2, y2]
        elif i[3] >= y2:
            rest = [x1, y1, x2, i[1]]
    elif full_h:
        if i[0] <= x1:
            rest = [i[2], y1, x2, y2]
        elif i[2] >= x2:
            rest = [x1, y1, i[0], y2]
    if rest is None or area(rest) < keep_min * area(box) or not valid(rest):
        return None
    return rest


def iou(a, b):
    i = intersect(a, b)
    return 0.0 if i is None else area(i) / float(area(a) + area(b) - area(i))


def clipped(box, clips, screen):
    """`box` clipped to the screen and to each ancestor clip (viewports, windows); None when nothing is left."""
    b = intersect(box, screen)
    for c in clips:
        if b is None:
            return None
        b = intersect(b, c)
    return b


def pieces(box, cover):
    """The part of `box` not under `cover` as up to four rectangles (the bands above, below, left and right of the
    cover): a cover over the middle of a box leaves a frame of strips, not nothing."""
    i = intersect(box, cover)
    if i is None:
        return [box]
    x1, y1, x2, y2 = box
    out = [[x1, y1, x2, i[1]], [x1, i[3], x2, y2], [x1, i[1], i[0], i[3]], [i[2], i[1], x2, i[3]]]
    return [r for r in out if r[2] > r[0] and r[3] > r[1]]


def visible_pieces(box, clips, covers, screen):
    """What of `box` shows, as rectangles: clipped to the screen and the clips like `visible_box`, then every
    cover cut out (split into strips where it lies inside). Strips thinner than MIN_SIDE are left out."""
    b = clipped(box, clips, screen)
    if b is None:
        return []
    parts = [b]
    for c in covers:
        parts = [q for r in parts for q in pieces(r, c)]
    return [r for r in parts if valid(r)]


def visible_box(box, clips, covers, screen):
    """Clip `box` to the screen and to each ancestor clip (viewports, windows), then remove what the covers
    (open menus, windows stacked above) hide. None when nothing usable stays visible."""
    b = clipped(box, clips, screen)
    if b is None or not valid(b):
        return None
    for c in covers:
        b = subtract(b, c)
        if b is None:
            return None
    return b
