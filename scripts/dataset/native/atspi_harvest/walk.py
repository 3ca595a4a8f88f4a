"""Walk one application's accessible tree over AT-SPI (pyatspi) into plain nodes (walk_pure makes elements).
A node: {path, role, name, states, box, parent_role, window, clips, ancestors, ancestor_roles}; boxes in screen
pixels (AT-SPI extents times the variant's factor), clips = boxes of the scroll panes/windows above it."""
import pyatspi

from . import geometry
from .walk_pure import elements  # noqa: F401  (re-exported)

SKIP_SUBTREE = {'document text', 'document frame', 'document spreadsheet', 'document presentation',
                'document web', 'document email', 'scroll bar', 'terminal', 'canvas'}
CLIP_ROLES = {'scroll pane', 'viewport', 'frame', 'dialog', 'window', 'alert', 'file chooser', 'tree table',
              'table', 'list', 'list box', 'page tab list', 'tool bar'}  # not 'menu': a menu-bar entry's box is its title
MAX_NODES = 12000
MAX_CHILDREN = 600


def _states(acc):
    try:
        return {pyatspi.stateToString(s) for s in acc.getState().getStates()}
    except Exception:
        return set()


def _box(acc):
    try:
        e = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except Exception:
        return None
    if e.x < -10000 or e.y < -10000 or e.width <= 0 or e.height <= 0:
        return None
    return geometry.from_extents(e.x, e.y, e.width, e.height)


def walk(app, scale=1, need_showing=True):
    """Every showing accessible of `app` with its ancestry. `scale`: factor from AT-SPI coordinates to pixels.
    need_showing=False: GTK 4.8 never sets SHOWING below the window, so VISIBLE plus a non-empty box inside its
    parents' boxes has to do (see README: what the overlays showed for GTK 4)."""
    nodes = []
    wins = []
    for wi, win in enumerate(app):
        if win is None:
            continue
        st = _states(win)
        box = _box(win)
        if 'showing' not in st or box is None:
            continue
        box = [int(round(v * scale)) for v in box]
        wins.append({'index': wi, 'role': win.getRoleName(), 'box': box, 'name': win.name or ''})
        _walk(win, wi, [], [box], nodes, scale, '%d' % wi, need_showing)
    return wins, nodes


def _walk(acc, wi, ancestors, clips, out, scale, path, need_showing=True):
    if len(out) >= MAX_NODES:
        return
    try:
        role = acc.getRoleName()
        name = acc.name or ''
    except Exception:
        return
    st = _states(acc)
    if 'visible' not in st or (need_showing and 'showing' not in st):
        return
    box = _box(acc)
    if box is not None and scale != 1:
        box = [int(round(v * scale)) for v in box]
    image = None
    if role in ('push button', 'push button menu'):
        try:
            sz = acc.queryImage().getImageSize()
            image = sz[0] > 0 and sz[1] > 0
        except Exception:
            image = None
    node = {'path': path, 'image': image, 'role': role, 'name': name, 'states': st, 'box': box, 'window': wi,
            'parent_role': ancestors[-1]['role'] if ancestors else '', 'ancestors': [a['path'] for a in ancestors],
            'ancestor_roles': [a['role'] for a in ancestors], 'clips': list(clips)}
    out.append(node)
    if role in SKIP_SUBTREE:
        return
    try:
        n = min(acc.childCount, MAX_CHILDREN)
    except Exception:
        return
    sub_clips = clips + [box] if (role in CLIP_ROLES and box is not None) else clips
    for i in range(n):
        try:
            c = acc.getChildAtIndex(i)
        except Exception:
            continue
        if c is not None:
            _walk(c, wi, ancestors + [node], sub_clips, out, scale, '%s.%d' % (path, i), need_showing)


