"""Harvest samples: launch each program under each theme/scale, reach its states, and write one PNG + JSON per
screen (the brief's real-program format). Needs DISPLAY (Xvfb) and a session bus with the AT-SPI registry;
build.sh provides both.

  /usr/bin/python3 -m atspi_harvest.harvest --out DIR --apps-file atspi.json [--only a,b] [--variants v,..] [--fresh]
--fresh: only the apps of the fresh held-out set (apps list split "fresh"), which a run without it leaves out"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

import pyatspi

from . import act, apps as app_specs, capture, geometry, variants, walk, walk_pure


DIALOG_ROLES = {'dialog', 'alert', 'file chooser'}


def log(*a):
    print('[atspi]', *a, file=sys.stderr, flush=True)


def find_app(names, pids, timeout):
    """The accessible application by process id (or name) once it shows a window."""
    end = time.time() + timeout
    while time.time() < end:
        desk = pyatspi.Registry.getDesktop(0)
        for i in range(desk.childCount):
            try:
                a = desk.getChildAtIndex(i)
                if a is None:
                    continue
                if a.get_process_id() in pids() or (a.name or '') in names:
                    for w in a:
                        if w is not None and act.showing(w):
                            return a
            except Exception:
                continue
        time.sleep(0.5)
    return None


def group_pids(pgid):
    out = set()
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                if os.getpgid(int(p)) == pgid:
                    out.add(int(p))
            except OSError:
                pass
    return out


class Run:
    def __init__(self, app_id, spec, split, variant, out_dir, display, run_name):
        self.app_id, self.spec, self.split, self.v = app_id, spec, split, variant
        self.out_dir, self.display, self.run_name = out_dir, display, run_name
        self.app = None
        self.sigs = set()
        self.count = 0

    def snap(self, state):
        wins, nodes = walk.walk(self.app, self.v['factor'], self.spec['toolkit'] != 'gtk4')
        if self.spec.get('only_dialogs'):  # LibreOffice: the main window's boxes do not match its pixels
            keep = {w['index'] for w in wins if w['role'] in DIALOG_ROLES}
            wins = [w for w in wins if w['index'] in keep]
            nodes = [n for n in nodes if n['window'] in keep]
        if not wins:
            log('  skip', state, '(no window)')
            return
        screen = [0, 0, *capture.screen_size(self.display)]
        if not walk_pure.match_stacking(wins, capture.stacking(self.display)):
            log('  %s: the X stacking order matched not every window; dialogs-over-frames guess used' % state)
        off = [w for w in wins if geometry.area(geometry.intersect(w['box'], screen) or [0, 0, 0, 0])
               < 0.5 * geometry.area(w['box'])]
        if off:  # a dialog placed mostly off the screen shows as a sliver (docs/AUDIT-ATSPI.md): not a screen of it
            log('  skip', state, '(a window lies mostly off the screen: %r)' % off[0]['name'])
            return
        ignore = []
        els = walk.elements(wins, nodes, screen, welded=self.spec['toolkit'] == 'libreoffice',
                            role_override=self.spec.get('type_override'),
                            row_controls=self.spec.get('row_controls', False), ignore=ignore)
        sig = json.dumps(sorted((e['type'], e['box']) for e in els))
        if sig in self.sigs or not els:
            # any earlier screen of this run, not only the last: a shortcut that did nothing (galculator's
            # scientific mode, pluma's find under a dialog that stayed open) must not copy a screen under a new name
            log('  skip', state, '(same as an earlier screen)' if els else '(no elements)')
            return
        self.sigs.add(sig)
        crop = capture.crop_rect([w['box'] for w in wins], screen)
        stem = '%s_%s_%s' % (slug(self.run_name if state == 'main' else '%s-%s' % (self.run_name, state)
                                  if self.run_name != 'main' else state), self.v['theme'], self.v['scale_id'])
        png = os.path.join(self.out_dir, stem + '.png')
        w, h = capture.grab(self.display, png, crop)
        shifted = []
        for e in els:
            nb = shift_boxes([e['box']], crop, w, h)
            if nb:
                shifted.append(dict(e, box=nb[0], id=len(shifted)))
        if self.spec.get('drop_flat'):  # checked against the pixels: a box with nothing drawn in it is no element
            flat = capture.flat_boxes(png, [e['box'] for e in shifted]) | {  # and text items without a text
                k for k, e in enumerate(shifted) if e['type'] == 'menu_bar_item' and not e.get('text')}
            flat = {k for k in flat if not shifted[k].get('keep_flat')}  # an empty editor page is still an editor
            if flat:
                log('  %s: %d boxes over flat pixels dropped' % (state, len(flat)))
            shifted = [dict(e, id=i) for i, e in enumerate(e for k, e in enumerate(shifted) if k not in flat)]
        sample = {'width': w, 'height': h, 'scale': self.v['scale'], 'theme': self.v['theme'], 'kind': 'native',
                  'page': '%s/%s' % (self.app_id, stem), 'family': 'atspi', 'app': self.app_id,
                  'split': self.split, 'state': stem.rsplit('_', 2)[0], 'toolkit': self.spec['toolkit'],
                  'elements': [{k: e[k] for k in ('id', 'box', 'type', 'checked', 'text', 'role') if k in e}
                               for e in shifted]}
        regions = shift_boxes(ignore, crop, w, h)
        if regions:  # areas a model may box that this ground truth cannot give (docs/AUDIT-ATSPI.md)
            sample['ignore'] = regions
        with open(os.path.join(self.out_dir, stem + '.json'), 'w') as f:
            json.dump(sample, f)
        self.count += 1
        log('  snap', stem, len(shifted), 'elements')

    # ---- automatic states ----
    def explore(self, cfg, prefix=''):
        self.snap(prefix + 'main' if prefix else 'main')
        if cfg.get('tabs'):
            self.explore_tabs(cfg['tabs'], prefix + 'tab')
        if cfg.get('menus'):
            self.explore_menus(cfg['menus'])
        if cfg.get('scroll'):
            self.explore_scroll(prefix + 'scrolled')

    def explore_tabs(self, limit, name):
        tabs = [t for t in act.find_all(self.app, lambda a, r, n: r == 'page tab') if act.showing(t)]
        for i, t in enumerate(tabs[:limit]):
            if act.select_tab(t):
                act.settle(0.8)
                self.snap('%s%d' % (name, i))
        if tabs:
            act.select_tab(tabs[0])
            act.settle(0.5)

    def menubar_items(self):
        return [m for m in act.find_all(self.app, lambda a, r, n: r == 'menu' and a.parent is not None
                                        and a.parent.getRoleName() == 'menu bar') if act.showing(m)]

    def explore_menus(self, limit):
        for i, m in enumerate(self.menubar_items()[:limit]):
            name = slug(m.name or str(i))
            act.do_action(m)
            act.settle(1.2)
            self.snap('menu-' + name)
            self.close_menus()

    def close_menus(self):
        act.key(self.display, 'Escape')
        act.settle(0.3)
        act.key(self.display, 'Escape')
        act.settle(0.5)

    def explore_scroll(self, name):
        bars = [b for b in act.find_all(self.app, lambda a, r, n: r == 'scroll bar') if act.showing(b)]
        moved = [b for b in bars if act.set_scroll(b, 0.6)]
        if moved:
            act.settle(0.8)
            self.snap(name)
            for b in moved:
                act.set_scroll(b, 0.0)

    # ---- scripted states ----
    def script(self, steps):
        for step in steps:
            kind = step[0]
            if kind == 'sleep':
                act.settle(step[1])
            elif kind == 'snap':
                self.snap(step[1])
            elif kind == 'escape':
                self.close_menus()
            elif kind == 'key':
                act.key(self.display, step[1])
            elif kind == 'action':
                hits = [a for a in act.find_all(self.app, lambda a, r, n: r == step[1] and n == step[2])
                        if act.showing(a)]
                if not hits:
                    log('  no', step[1], repr(step[2]))
                    return
                act.do_action(hits[0])
            elif kind == 'select_nth':  # ('select_nth', role, i): select the i-th showing accessible of a role in
                # its parent (Selection interface, else its action): unnamed rows of a sidebar list
                hits = [a for a in act.find_all(self.app, lambda a, r, n: r == step[1]) if act.showing(a)]
                if len(hits) <= step[2]:
                    log('  no', step[1], step[2])
                    return
                act.select_tab(hits[step[2]])
            elif kind == 'combo':
                hits = [a for a in act.find_all(self.app, lambda a, r, n: r == 'combo box') if act.showing(a)]
                if len(hits) > step[1]:
                    act.do_action(hits[step[1]])
            elif kind == 'explore_tabs':
                self.explore_tabs(12, step[1])
            elif kind == 'menu_path':
                if not self.menu_path(step[1]):
                    log('  menu path not found', step[1])
                    self.close_menus()
                    return

    def menu_path(self, path):
        items = self.menubar_items()
        node = next((m for m in items if label_key(m.name) == label_key(path[0])), None)
        if node is None:
            return False
        act.do_action(node)
        act.settle(1.0)
        for label in path[1:]:
            hits = [c for c in act.find_all(node, lambda a, r, n: label_key(n) == label_key(label)
                                            and r in ('menu item', 'menu', 'check menu item', 'radio menu item'))]
            if not hits:
                return False
            node = hits[0]
            act.do_action(node)
            act.settle(1.0)
        return True


def shift_boxes(boxes, crop, w, h):
    """Screen boxes -> boxes of the w x h image cropped at `crop`, clipped to it; thinner than 4 px left out."""
    out = []
    for b in boxes:
        nb = [max(0, b[0] - crop[0]), max(0, b[1] - crop[1]), min(w, b[2] - crop[0]), min(h, b[3] - crop[1])]
        if nb[2] - nb[0] >= 4 and nb[3] - nb[1] >= 4:
            out.append(nb)
    return out


def label_key(s):
    """A menu label without mnemonics and ellipses ('~Format', '_Preferences…' -> 'format', 'preferences')."""
    return re.sub(r'[~_.…\s]', '', (s or '')).lower()


def slug(s):
    return re.sub(r'[^a-z0-9]+', '-', s.lower()).strip('-')[:40] or 'x'


def launch(argv, env_extra):
    env = dict(os.environ)
    env.update({'GTK_MODULES': 'gail:atk-bridge', 'NO_AT_BRIDGE': '0', 'GTK_A11Y': 'atspi',
                'QT_ACCESSIBILITY': '1', 'QT_LINUX_ACCESSIBILITY_ALWAYS_ON': '1', 'GSETTINGS_BACKEND': 'memory'})
    env.update(env_extra)
    return subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(proc):
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 2)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            time.sleep(0.3)
            if not group_pids(proc.pid):
                return
        except subprocess.TimeoutExpired:
            pass


def harvest_app(app_id, split, vspec, root, display, main_only=False, min_startup=0):
    spec = app_specs.APPS[app_id]
    v = variants.variant(vspec)
    out_dir = os.path.join(root, app_id)
    os.makedirs(out_dir, exist_ok=True)
    ends = tuple('_%s_%s.%s' % (v['theme'], v['scale_id'], ext) for ext in ('png', 'json'))
    for f in os.listdir(out_dir):  # a rebuild replaces this variant's screens (a state may not recur)
        if f.endswith(ends):
            os.unlink(os.path.join(out_dir, f))
    total = 0
    for run_name, argv in spec.get('runs') or [('main', spec['cmd'])]:
        env = dict(spec.get('env', {}))
        env.update(v['env'])
        proc = launch(argv, env)
        try:
            wait = max(spec.get('startup', 15), min_startup)
            # with a long --min-startup (a loaded machine) the wait is split over two launches: a program that started
            # before the accessibility registry answered never registers, however long one waits for it
            app = find_app({spec['atspi']}, lambda: group_pids(proc.pid), wait / 2 if min_startup else wait)
            if app is None and min_startup:
                log('  %s %s: no accessible window in %d s, starting it again' % (app_id, run_name, wait / 2))
                stop(proc)
                proc = launch(argv, env)
                app = find_app({spec['atspi']}, lambda: group_pids(proc.pid), wait / 2)
            if app is None:
                log('  %s %s: no accessible window' % (app_id, run_name))
                continue
            act.settle(spec.get('settle', 2.0))
            run = Run(app_id, spec, split, v, out_dir, display, run_name)
            run.app = app
            if main_only:
                run.snap('main')
                total += run.count
                continue
            run.explore(spec['explore'])
            for steps in spec.get('scripts', []):
                run.script(steps)
                act.settle(0.5)
            total += run.count
        except Exception as e:  # one broken program must not stop the build
            log('  %s %s failed: %r' % (app_id, run_name, e))
        finally:
            stop(proc)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--apps-file', required=True)
    ap.add_argument('--only', default='')
    ap.add_argument('--variants', default='')
    ap.add_argument('--main-only', action='store_true', help='only the first screen of each run (quick check)')
    ap.add_argument('--fresh', action='store_true',
                    help='harvest only the apps of the fresh held-out set (split "fresh"); without it they are left out')
    ap.add_argument('--min-startup', type=float, default=0,
                    help='wait at least this many seconds for a program\'s first accessible window (a loaded machine)')
    a = ap.parse_args()
    display = os.environ['DISPLAY']
    listed = json.load(open(a.apps_file))
    only = set(x for x in a.only.split(',') if x)
    screens = 0
    for entry in listed:
        app_id = entry['app']
        if only and app_id not in only:
            continue
        if (entry['split'] == 'fresh') != a.fresh:  # the fresh set is written only by its own recipe, to its own folder
            log('%s: split %s, left out (%s)' % (app_id, entry['split'], 'not fresh' if a.fresh else 'fresh apps need --fresh'))
            continue
        vlist = [x for x in (a.variants.split(',') if a.variants else app_specs.APPS[app_id].get('variants') or
                             variants.DEFAULT_VARIANTS) if x]
        for vs in vlist:
            t0 = time.time()
            n = harvest_app(app_id, entry['split'], vs, a.out, display, a.main_only, a.min_startup)
            screens += n
            log('%s %s: %d screens in %.0f s' % (app_id, vs, n, time.time() - t0))
    if screens == 0:  # nothing harvested at all is an error, not an empty success
        log('error[no_screens]: no program produced a screen')
        sys.exit(1)


if __name__ == '__main__':
    main()
