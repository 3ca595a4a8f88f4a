"""Accessible nodes -> elements (pure; no pyatspi): the brief's box rule, visibility and covers.

A node: {path, role, name, states, box, parent_role, window, clips, ancestors}. Elements follow the brief's
box rule: the control's own AT-SPI extents (check box/radio WITH label, the tab item, the menu-bar item), rows of
tree tables and lists as the union of their cells, clipped to the viewports and windows above them, and dropped
or clipped where an open menu, a popover or a window stacked above covers them."""
from . import geometry, roles

TOP_ORDER = {'frame': 0, 'dialog': 1, 'file chooser': 1, 'alert': 1, 'window': 2}
# A table whose rows hold more than this many cells of about one width is a grid (character map, calendar),
# not a list of rows; a wide process list has many columns of differing widths.
MAX_ROW_CELLS = 8
# Controls inside a list row (a settings row's switch, spin button or drop-down) that an app's row_controls option
# keeps as elements of their own beside the row (UI Automation exposes both the list item and the control in it).
ROW_CONTROL_ROLES = {'switch', 'toggle button', 'check box', 'radio button', 'spin button', 'slider', 'combo box',
                     'push button'}


# Ignore regions (docs/AUDIT-ATSPI.md): visible, clickable areas the accessibility tree does not give as elements.
# A showing object of these roles with no showing children is a custom-drawn widget (gucharmap's character grid,
# gpick's swatches, a terminal); below MIN_IGNORE_AREA px² it is a closed expander's 1x1 leftover, not a widget.
UNEXPOSED_ROLES = {'drawing area', 'terminal', 'canvas'}
MIN_IGNORE_AREA = 400


def _add_ignore(ignore, box, clips, covers, screen, min_area=0):
    """The visible strips of `box` (covers cut out of the middle too) as ignore regions, if they hold min_area."""
    parts = geometry.visible_pieces(box, clips, covers, screen)
    if parts and sum(geometry.area(p) for p in parts) >= min_area:
        ignore.extend(parts)


def is_grid_row(widths):
    return len(widths) > MAX_ROW_CELLS and max(widths) <= 1.25 * max(1, min(widths))


def open_menu_covers(nodes):
    """Cover rectangles of open popups: a showing 'menu' (not a menu bar) whose items are showing covers the
    union of its items (its 1-4 px border is left out: a neighbour it grazes stays); (owner path, rect). Items of that menu and of its submenus are exempt."""
    items_by_menu = {}
    for n in nodes:
        if n['box'] is None or not n['ancestors']:
            continue
        parent = n['ancestors'][-1]
        if n['parent_role'] in ('menu', 'popup menu') and (n['role'] in roles.MENU_ITEM_ROLES or n['role'] in (
                'menu', 'separator')):
            r = items_by_menu.get(parent)
            items_by_menu[parent] = n['box'] if r is None else geometry.union(r, n['box'])
    return list(items_by_menu.items())


def floating_covers(nodes):
    """GTK 3 popovers are children of the top-level window drawn over its content: a direct child of a window
    that overlaps an earlier sibling floats above it; (owner path, rect)."""
    kids = {}
    for n in nodes:
        if len(n['ancestors']) == 1 and n['box'] is not None:
            kids.setdefault(n['ancestors'][0], []).append(n)
    out = []
    for siblings in kids.values():
        for i, n in enumerate(siblings):
            if any(geometry.intersect(n['box'], s['box']) for s in siblings[:i]):
                out.append((n['path'], n['box']))
    return out


def match_stacking(wins, xwins, min_iou=0.8):
    """Give each AT-SPI window the X server's stacking rank of the viewable top-level X window whose geometry
    matches its box best (`xwins`: boxes bottom to top, as XQueryTree lists the root's children). Sets w['stack']
    on the windows matched at IoU >= min_iou; returns True when every window got one."""
    for w in wins:
        best = max(range(len(xwins)), key=lambda k: (geometry.iou(w['box'], xwins[k]), k), default=None)
        if best is not None and geometry.iou(w['box'], xwins[best]) >= min_iou:
            w['stack'] = best
    return all('stack' in w for w in wins)


def window_covers(wins):
    """Windows stacked above others. With the X server's own order (every window has 'stack', match_stacking)
    that order; else a guess (no window manager: dialogs over frames, popups over both; among equals the later
    child is newer, so on top) — a guess that put synaptic's Introduction dialog above the Preferences window
    opened after it (docs/AUDIT-ATSPI.md). Returns {window index: [rects of windows above it]}."""
    if wins and all('stack' in w for w in wins):
        order = sorted(wins, key=lambda w: (w['stack'], w['index']))
    else:
        order = sorted(wins, key=lambda w: (TOP_ORDER.get(w['role'], 2), w['index']))
    above = {}
    for i, w in enumerate(order):
        above[w['index']] = [o['box'] for o in order[i + 1:]]
    return above


COMBO_PARTS = {'text', 'toggle button', 'menu', 'window', 'list', 'scroll pane'}


def welded_combos(nodes):
    """LibreOffice's gtk3 plugin shows a drop-down list box as a 'filler' holding an unnamed 'toggle button'
    (and an entry for a combo box with text), with no 'combo box' role. Such a filler is the dropdown: its box
    is the drawn control (checked on the overlays). Returns the set of those fillers' paths."""
    kids = {}
    for n in nodes:
        if n['ancestors']:
            kids.setdefault(n['ancestors'][-1], []).append(n)
    out = set()
    for n in nodes:
        if n['role'] != 'filler' or n['path'] not in kids:
            continue
        ch = kids[n['path']]
        toggles = [c for c in ch if c['role'] == 'toggle button' and not c['name']]
        if len(toggles) == 1 and all(c['role'] in COMBO_PARTS for c in ch):
            out.add(n['path'])
    return out


def elements(wins, nodes, screen, welded=False, role_override=None, row_controls=False, ignore=None):
    """Nodes -> elements [{box, type, checked?, text?, role}] in screen pixels, visible parts only.
    welded: the source draws drop-downs as a filler + toggle button (LibreOffice's gtk3 plugin).
    role_override: {type: type} for an app whose widgets are drawn as another type (galculator's keys are
    GtkToggleButtons that never stay down: drawn and used as buttons).
    row_controls: controls inside list items (ROW_CONTROL_ROLES) are elements too (settings lists of GtkListBox
    rows holding switches: without it only the row is boxed and the switch drawn in it is background).
    ignore: a list that receives the screen's ignore regions (docs/AUDIT-ATSPI.md): the visible strips of unexposed
    custom-drawn widgets (UNEXPOSED_ROLES), of grids of cells (not list rows, so no elements), and of controls that
    a menu, popover or window above covers too much to keep as elements (partly visible, still clickable)."""
    ignore = [] if ignore is None else ignore
    parents = {n['ancestors'][-1] for n in nodes if n['ancestors']}
    role_override = role_override or {}
    combos = welded_combos(nodes) if welded else set()
    covers = open_menu_covers(nodes) + floating_covers(nodes)
    menu_covers = {p for p, _ in open_menu_covers(nodes)}
    above = window_covers(wins)
    by_path = {n['path']: n for n in nodes}
    leaf_paths = set()
    out = []
    rows = {}  # (table path, y1, y2) -> union of cells: one tree/list row
    for n in nodes:
        if n['box'] is None:
            continue
        anc = n['ancestors']
        # A leaf control's descendants are not separate elements (except items of an open combo popup).
        leaf_anc = [a for a in anc if a in leaf_paths]
        in_menu = n['parent_role'] in ('menu', 'popup menu')
        in_row = (row_controls and n['role'] in ROW_CONTROL_ROLES
                  and all(by_path[a]['role'] == 'list item' for a in leaf_anc if a in by_path))
        if leaf_anc and not (in_menu and n['role'] in roles.MENU_ITEM_ROLES) and not in_row:
            continue
        role = n['role']
        is_item = role in roles.MENU_ITEM_ROLES and in_menu
        # A popup's items are not covered by their own popup, nor by a copy of it (GTK 3 lists a combo box's
        # open popup both under the combo box and as its own window: the item lies wholly inside the copy).
        my_covers = [c for owner, c in covers if owner not in anc and owner != n['path']
                     and not (is_item and owner in menu_covers and geometry.intersect(n['box'], c) == n['box'])]
        if not is_item:  # an open menu is an override-redirect popup: no window is drawn over it
            my_covers += above.get(n['window'], [])
        if role in UNEXPOSED_ROLES and n['path'] not in parents:
            _add_ignore(ignore, n['box'], n['clips'], my_covers, screen, MIN_IGNORE_AREA)
            continue
        if role == 'table cell' and n['parent_role'] in ('tree table', 'table'):
            table = anc[-1]
            expandable = 'expandable' in n['states'] or 'expanded' in n['states']
            key = (table, n['box'][1], n['box'][3])
            r = rows.get(key)
            if r is None:
                rows[key] = {'box': n['box'], 'clips': n['clips'], 'covers': my_covers, 'expandable': expandable,
                             'name': n['name'], 'role': 'table cell', 'widths': [n['box'][2] - n['box'][0]]}
            else:
                r['widths'].append(n['box'][2] - n['box'][0])
                r['box'] = geometry.union(r['box'], n['box'])
                r['expandable'] = r['expandable'] or expandable
                if not r['name'] and n['name']:
                    r['name'] = n['name']
            continue
        if role == 'table cell':
            continue  # grids (character maps, spreadsheets) are not list rows
        if n['path'] in combos:
            kind = ('dropdown', None)
            leaf_paths.add(n['path'])
            role = 'combo box (filler + toggle button)'
        elif role == 'push button' and n['parent_role'] in ('tree table', 'table'):
            kind = ('header_item', None)
        else:
            w, h = n['box'][2] - n['box'][0], n['box'][3] - n['box'][1]
            kind = roles.classify(role, n['name'], n['states'], w, h, n['parent_role'], in_menu, image=n.get('image'),
                                  in_toolbar='tool bar' in n.get('ancestor_roles', [])[-3:])
            if kind and kind[0] in role_override:
                kind = (role_override[kind[0]], None)
        if role in roles.LEAF_ROLES:
            leaf_paths.add(n['path'])
        if kind is None:
            continue
        vb = geometry.visible_box(n['box'], n['clips'], my_covers, screen)
        if vb is None:
            _add_ignore(ignore, n['box'], n['clips'], my_covers, screen)
            continue
        e = _element(vb, kind, n['name'], role)
        if role == 'text' and {'editable', 'multi line'} <= n['states']:
            e['keep_flat'] = True  # an empty editor page is flat pixels, and still the document's edit control
        out.append(e)
    tree_tables, grids = {}, set()
    for (table, _, _), r in rows.items():
        tree_tables[table] = tree_tables.get(table, False) or r['expandable']  # a tree only if a row expands
        if is_grid_row(r['widths']):
            grids.add(table)
    for (table, _, _), r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if table in grids:
            _add_ignore(ignore, r['box'], r['clips'], r['covers'], screen)
            continue
        # GTK 3 reports the cells of a tree shifted right by the expander column, so a row starts at its
        # table's left edge (checked on the overlays: the row then covers its drawn expander and text).
        row = [by_path[table]['box'][0]] + r['box'][1:] if by_path[table]['box'] else r['box']
        vb = geometry.visible_box(row, r['clips'], r['covers'], screen)
        if vb is None:
            _add_ignore(ignore, row, r['clips'], r['covers'], screen)
            continue
        out.append(_element(vb, ('tree_item' if tree_tables[table] else 'list_item', None), r['name'], 'table cell'))
    return dedupe(out)


def dedupe(els):
    seen, out = set(), []
    for e in els:
        k = (e['type'], tuple(e['box']))
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def _element(box, kind, name, role):
    e = {'box': box, 'type': kind[0], 'role': role}
    if kind[0] in ('checkbox', 'radio', 'toggle'):
        e['checked'] = bool(kind[1])
    if name:
        e['text'] = name[:120]
    return e
