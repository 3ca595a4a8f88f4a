"""Driving an application over AT-SPI and xdotool: find accessibles, do actions, switch tabs, open menus, scroll."""
import subprocess
import time

import pyatspi


def find_all(root, pred, limit=4000):
    """Breadth-first search of showing accessibles matching pred(acc, role, name)."""
    found, queue, seen = [], [root], 0
    while queue and seen < limit:
        acc = queue.pop(0)
        seen += 1
        try:
            role, name = acc.getRoleName(), acc.name or ''
            if role in ('document text', 'document spreadsheet', 'document frame', 'table', 'tree table'):
                if pred(acc, role, name):
                    found.append(acc)
                continue
            if pred(acc, role, name):
                found.append(acc)
            for i in range(min(acc.childCount, 300)):
                c = acc.getChildAtIndex(i)
                if c is not None:
                    queue.append(c)
        except Exception:
            continue
    return found


def showing(acc):
    try:
        return acc.getState().contains(pyatspi.STATE_SHOWING)
    except Exception:
        return False


def do_action(acc, prefer=('click', 'press', 'activate', 'toggle', 'open')):
    try:
        a = acc.queryAction()
    except NotImplementedError:
        return False
    names = [a.getName(i) for i in range(a.nActions)]
    for p in prefer:
        if p in names:
            return bool(a.doAction(names.index(p)))
    if a.nActions:
        return bool(a.doAction(0))
    return False


def select_tab(tab):
    """Select a page tab through its page tab list's Selection interface (falls back to its action)."""
    try:
        parent = tab.parent
        sel = parent.querySelection()
        return bool(sel.selectChild(tab.getIndexInParent()))
    except Exception:
        return do_action(tab)


def set_scroll(acc, fraction):
    """Scroll a scroll bar (Value interface) to fraction of its range."""
    try:
        v = acc.queryValue()
        lo, hi = v.minimumValue, v.maximumValue
        if hi - lo <= 0:
            return False
        v.currentValue = lo + fraction * (hi - lo)
        return True
    except Exception:
        return False


def xdotool(display, *args):
    subprocess.run(['xdotool', *args], env={'DISPLAY': display}, check=False, timeout=10,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def key(display, combo, window_name=None):
    if window_name:
        xdotool(display, 'search', '--onlyvisible', '--name', window_name, 'windowfocus', '--sync', 'key',
                '--clearmodifiers', combo)
    else:
        xdotool(display, 'key', '--clearmodifiers', combo)


def settle(seconds=0.8):
    time.sleep(seconds)
