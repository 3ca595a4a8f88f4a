// Runs inside the page (page.evaluate). Labels come from the DOM only:
//  - an explicit data-el="<type>" wins (synthetic pages set it on every control);
//  - otherwise the element's semantics decide (tag, input type, ARIA role), which is how the
//    hand-written "real" pages are labelled;
//  - an element inside an already-labelled element is skipped (outermost wins), [data-el-ignore] is skipped;
//  - a box is kept only if >= 60 % of it is inside the viewport and it is the topmost element at >= 2 of
//    3 sample points (elements behind a modal backdrop or an open menu are not clickable, so not labelled).
// Boxes are CSS px * devicePixelRatio = screenshot pixels.
//
// opts.boxRule = 'uia' (issue 15's UIA-shaped element; the default 'legacy' keeps the generator's output unchanged):
//  - the new types from the DOM: menu_bar_item (role=menuitem in a role=menubar), slider (input range,
//    role=slider), spin_button (input number, role=spinbutton), progress_bar (<progress>, role=progressbar),
//    list_item (role=option), tree_item (role=treeitem), header_item (thead th, role=columnheader);
//  - a check box / radio is boxed TOGETHER WITH its label: an <input> inside a <label> takes the label's box, an
//    <input> with label[for] the union of both (a part not drawn — opacity < 0.1 — does not count); a data-el
//    checkbox/radio on a wrapper takes the wrapper's box and the checked state of the input inside it;
//  - a tree item is its row only: its box ends where its first nested item or group starts, and a tree item
//    inside a labelled tree item is labelled too, as are the controls inside a list row, header or menu item and the
//    items of a drop-down's open list;
//  - every box is clipped to the ancestors that clip their content (a row scrolled half out of its list box is its
//    visible part only) and trimmed where a panel lying over one of its sides (dialog, menu) hides it;
//  - a thin slider (a framework drawing the track as the input, the thumb overflowing it) grows to 20 CSS px across;
//  - every element carries `role`: the source's own role (role attribute, tag, input type) for audit.
//
// opts.ignoreRegions = true (with boxRule 'uia' only; webwin.mjs sets it) returns { elements, ignore } instead of the
// array: `ignore` lists rectangles (screenshot pixels, like boxes) that a model may box but the labels cannot give:
//  - an element that a panel covers in the middle or a corner (not along one side, which trims it) and leaves less
//    than half of visible is dropped, and its visible strips (the box minus every panel: the bands above, below, left
//    and right of each) become ignore regions; with half or more visible it is kept as before;
//  - an element dropped because fewer than 2 of its 3 sample points are its own, whose covering panels are found the
//    same way, gives its visible strips too;
//  - a covering panel is the box painted where it covers: of the element hit at a grid point (going down open shadow
//    roots) and its ancestors in the flat tree, those whose box holds the point — the outermost positioned one, else the
//    outermost (a modal dialog's panel in a Fluent host, not the 0 x 0 host; a sticky header cell, not its scrolled-away
//    <thead>; a submenu where it sticks out of its menu). A modal dialog's translucent ::backdrop hides nothing: a
//    control it dims gives its whole visible part as strips, and no strip lies under the dialog's panel. A point where
//    the element itself is not hit at all (a round button's transparent corner) shows what lies beside or behind it;
//  - a dropped element's covering panels are searched again before its strips are cut: points at most 16 CSS px apart
//    across its (trimmed) box, at most 64 a side, each not inside a panel already found — so a panel narrower than the
//    9 x 3 grid's spacing (a sticky header's 46 px check-box cell over a scrolled row) is found, and what lies under it
//    is no strip. The 9 x 3 grid alone decides what is trimmed and what is dropped;
//  - a dropped container whose own controls are still labelled (a list row's check box and name link beside a menu
//    over the row's middle) gives its strips minus those controls' boxes (the same bands around each): a labelled
//    element never lies in an ignore region of its own ancestor. A container with no labelled control inside gives its
//    strips as before.
// Strips thinner than 3 CSS px are left out (after the cut). Without the option the output is exactly the one above.
export function labelPageInBrowser(opts) {
  const uia = !!opts && opts.boxRule === 'uia';
  const withIgnore = uia && !!opts.ignoreRegions;
  const ignore = [];
  // ignore strips in the order found, each with the dropped element they come from ([owner, pieces] in CSS px); cut and
  // written to `ignore` at the end, when every labelled element inside the owner is known
  const dropped = [];
  // the labelled boxes (CSS px) with their source element, to cut a dropped container's strips around its own controls
  const kept = [];
  const SELECTOR = [
    '[data-el]', 'button', '[role=button]', 'input', 'textarea', 'select', 'a[href]', '[role=tab]',
    '[role=menuitem]', '[role=menuitemcheckbox]', '[role=menuitemradio]', '[role=checkbox]', '[role=radio]',
    '[role=switch]', '[role=combobox]', '[role=link]', '[role=textbox]',
    ...(uia ? ['[role=slider]', '[role=spinbutton]', 'progress', '[role=progressbar]', '[role=option]', '[role=treeitem]',
      'thead th', '[role=columnheader]'] : []),
  ].join(',');
  const TEXT_TYPES = new Set(['', 'text', 'email', 'password', 'search', 'number', 'tel', 'url', 'date', 'time', 'datetime-local', 'month', 'week']);
  const dpr = window.devicePixelRatio;
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const candidates = Array.from(document.querySelectorAll(SELECTOR));
  const typeOf = (el) => {
    if (el.closest('[data-el-ignore]')) return null;
    const explicit = el.getAttribute('data-el');
    if (explicit) return explicit;
    const role = el.getAttribute('role');
    const tag = el.tagName.toLowerCase();
    if (role === 'tab') return 'tab';
    if (uia) {
      const t = tag === 'input' ? (el.getAttribute('type') || '').toLowerCase() : '';
      // the nearest menu container decides: a drop-down menu hanging from a menu-bar item is inside the menubar too
      if (role === 'menuitem' && el.parentElement?.closest('[role=menu],[role=menubar]')?.getAttribute('role') === 'menubar') return 'menu_bar_item';
      if (role === 'slider' || t === 'range') return 'slider';
      if (role === 'spinbutton' || t === 'number') return 'spin_button';
      if (role === 'progressbar' || tag === 'progress') return 'progress_bar';
      if (role === 'option') return 'list_item';
      if (role === 'treeitem') return 'tree_item';
      if (role === 'columnheader' || (tag === 'th' && el.closest('thead'))) return 'header_item';
    }
    if (role === 'menuitem' || role === 'menuitemcheckbox' || role === 'menuitemradio') return menuItemType(el);
    if (role === 'switch') return 'toggle';
    if (role === 'checkbox') return 'checkbox';
    if (role === 'radio') return 'radio';
    if (role === 'combobox') return 'dropdown';
    if (role === 'textbox') return 'text_input';
    if (tag === 'select') return 'dropdown';
    if (tag === 'textarea') return 'text_input';
    if (tag === 'input') {
      const t = (el.getAttribute('type') || '').toLowerCase();
      if (t === 'hidden' || t === 'file' || t === 'range' || t === 'color' || t === 'image') return null;
      if (t === 'checkbox') return 'checkbox';
      if (t === 'radio') return 'radio';
      if (t === 'button' || t === 'submit' || t === 'reset') return 'button';
      if (TEXT_TYPES.has(t)) return 'text_input';
      return null;
    }
    if (tag === 'a' || role === 'link') return 'link';
    if (tag === 'button' || role === 'button') {
      // no letter or digit visible (only an icon or a glyph such as × ⋮ ★) -> icon button
      const txt = (el.innerText || el.value || '').replace(/[^\p{L}\p{N}]+/gu, '');
      return txt.length === 0 ? 'icon_button' : 'button';
    }
    return null;
  };
  // menu_item means an item of a menu bar or of an open menu (a panel floating over the page: an ancestor
  // positioned absolute/fixed that is shorter than 80 % of the viewport, so a full-height fixed sidebar does not
  // count; a short fixed header bar does, and its role=menuitem entries read as a menu bar). A persistent
  // navigation list marked up as role=menu/menuitem (admin panels, mail clients) is labelled `link`, like the
  // pixel-identical <a href> sidebars of other sites: WAI-ARIA's authoring practices reserve menus for
  // application-style menus, Windows UI Automation exposes navigation panes as list/tree items, and for a bot a
  // navigation entry is a click target that navigates — which `link` already says. (Stop 13; before it every
  // role=menuitem was a menu_item, so one look carried two labels by the page author's markup choice.)
  const menuItemType = (el) => {
    if (el.closest('[role=menubar]')) return 'menu_item';
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const pos = getComputedStyle(p).position;
      if ((pos === 'absolute' || pos === 'fixed') && p.getBoundingClientRect().height < 0.8 * vh) return 'menu_item';
    }
    return 'link';
  };
  const checkedOf = (el, type) => {
    if (type !== 'checkbox' && type !== 'radio' && type !== 'toggle') return undefined;
    if (el.tagName === 'INPUT') return !!el.checked;
    // a wrapper labelled checkbox/radio/toggle: the state of the control inside it (native input or a custom element)
    const inner = uia && el.querySelector('input[type=checkbox],input[type=radio],[role=checkbox],[role=radio],[role=switch],fluent-checkbox,fluent-radio,fluent-switch');
    if (inner) return inner.tagName === 'INPUT' || 'checked' in inner ? !!inner.checked : inner.getAttribute('aria-checked') === 'true';
    const a = el.getAttribute('aria-checked') ?? el.getAttribute('aria-pressed') ?? el.getAttribute('data-checked');
    return a === 'true';
  };
  const labelled = new Map();
  // UIA containers among the items: which element types inside them are elements of their own (null: any control). A
  // button or link inside a menu item is the item's own clickable content, not a second element.
  const ITEM_CONTAINERS = new Map([['menu_bar_item', ['menu_item']], ['menu_item', ['menu_item']], ['dropdown', ['list_item']],
    ['tree_item', ['tree_item', 'checkbox', 'radio']], ['list_item', null], ['header_item', null]]);
  const nestedAllowed = (outerType, type) => ITEM_CONTAINERS.has(outerType) && (ITEM_CONTAINERS.get(outerType) === null || ITEM_CONTAINERS.get(outerType).includes(type));
  const out = [];
  candidates.forEach((el, index) => {
    const type = typeOf(el);
    if (!type) return;
    // UIA: items are containers — an open menu hangs from its menu-bar item, sub-items from their tree item, and a
    // list row or column header holds its own controls (a row's check box, a name link): all are labelled
    for (let p = el.parentElement; p; p = p.parentElement) if (labelled.has(p) && !(uia && nestedAllowed(labelled.get(p), type))) return;
    labelled.set(el, type);
    const id = el.getAttribute('data-eid') || `d${index}`;
    const cs = getComputedStyle(el);
    if (uia && (type === 'checkbox' || type === 'radio') && el.tagName === 'INPUT') return emitWithLabels(el, type, id);
    if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) < 0.1) return;
    if (uia && type === 'tree_item') return emit(el, type, treeRow(el), id);
    // An inline element that wraps (a link running onto the next line) has one box per line; its bounding box
    // would also cover the unrelated text between them, which no detector should draw and no crop should show.
    // Each line fragment is labelled on its own: the id gets "~k", so fragments only pair with the same
    // fragment of another variant (a variant where the element does not wrap has no counterpart).
    const fragments = cs.display === 'inline' ? Array.from(el.getClientRects()).filter((f) => f.width >= 3 && f.height >= 3) : [];
    const boxes = fragments.length > 1 ? fragments.map((f, k) => [f, `${id}~${k}`]) : [[el.getBoundingClientRect(), id]];
    for (const [r, boxId] of boxes) emit(el, type, r, boxId);
  });
  if (!withIgnore) return out;
  for (const [owner, parts] of dropped) {
    // the owner's own labelled controls: labelled elements inside it (a nested element is labelled only inside a UIA
    // container: a list row, a header, a tree item, a menu item, an open drop-down)
    const inside = kept.filter((k) => k.el !== owner && owner.contains(k.el)).map((k) => k.v);
    addIgnore(inside.length ? cutAround(parts, inside) : parts);
  }
  return { elements: out, ignore };

  function drawn(el) {
    const cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none' && Number(cs.opacity) >= 0.1;
  }
  // UIA: the check box / radio with its label (the label wrapping the input, or the union of the input and its
  // label[for]); the parts not drawn (a framework hides the native input and draws the box on the label) drop out.
  function emitWithLabels(el, type, id) {
    const wrapping = el.closest('label');
    const parts = (wrapping ? [wrapping] : [el, ...Array.from(el.labels || [])]).filter(drawn);
    const rects = parts.map((p) => p.getBoundingClientRect()).filter((r) => r.width >= 1 && r.height >= 1);
    if (rects.length === 0) return;
    const left = Math.min(...rects.map((r) => r.left));
    const top = Math.min(...rects.map((r) => r.top));
    const right = Math.max(...rects.map((r) => r.right));
    const bottom = Math.max(...rects.map((r) => r.bottom));
    emit(el, type, { left, top, right, bottom, width: right - left, height: bottom - top }, id, parts);
  }
  // UIA: a tree item's own row — its box stops at its first nested tree item or group.
  function treeRow(el) {
    const r = el.getBoundingClientRect();
    // a collapsed branch (not rendered: an empty rect) does not end the row
    const nested = Array.from(el.querySelectorAll('[role=treeitem],[role=group],[data-el=tree_item],ul,ol'))
      .map((n) => n.getBoundingClientRect()).find((n) => n.width > 0 && n.height > 0 && n.top > r.top);
    const bottom = nested ? Math.min(r.bottom, nested.top) : r.bottom;
    return { left: r.left, top: r.top, right: r.right, bottom, width: r.width, height: bottom - r.top };
  }
  // UIA: the visible part only — intersect with every ancestor that clips its content (overflow other than visible).
  function clipToAncestors(el, r) {
    let { left, top, right, bottom } = r;
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const pr = p.getBoundingClientRect();
      const cl = pr.left + p.clientLeft;
      const ct = pr.top + p.clientTop;
      if (cs.overflowX !== 'visible') { left = Math.max(left, cl); right = Math.min(right, cl + p.clientWidth); }
      if (cs.overflowY !== 'visible') { top = Math.max(top, ct); bottom = Math.min(bottom, ct + p.clientHeight); }
    }
    return { left, top, right, bottom, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
  }
  // UIA: a slider's rectangle holds its thumb. Frameworks draw the track as the <input> itself (98.css, XP.css: 2-4 px
  // tall) and let the thumb overflow it; the thumb cannot be measured from script, so a thin slider grows to 20 CSS px
  // across its track, centred (Windows' trackbar thumb is 21 px tall at 96 dpi).
  function withThumb(r) {
    const horizontal = r.width >= r.height;
    const thin = horizontal ? r.height : r.width;
    if (thin >= 16) return r;
    const grow = (20 - thin) / 2;
    const g = horizontal ? { left: r.left, right: r.right, top: r.top - grow, bottom: r.bottom + grow }
      : { left: r.left - grow, right: r.right + grow, top: r.top, bottom: r.bottom };
    return { ...g, width: g.right - g.left, height: g.bottom - g.top };
  }
  // UIA: the visible part only — a panel (dialog, menu, pop-up) lying over one side of the element cuts that side off.
  // Points on a 9 x 3 grid find what covers the element; an occluder (the panel the covering element belongs to) spanning
  // the box across one axis and over one edge trims the box at its border.
  function trimOccluded(el, b, isOwn, isPart) {
    const occluders = findOccluders(el, b, isOwn, isPart);
    let { x1, y1, x2, y2 } = b;
    for (const o of occluders) {
      const r = o.getBoundingClientRect();
      if (r.top <= y1 + 1 && r.bottom >= y2 - 1) {
        if (r.left <= x1 + 1 && r.right < x2) x1 = Math.max(x1, r.right);
        else if (r.right >= x2 - 1 && r.left > x1) x2 = Math.min(x2, r.left);
      } else if (r.left <= x1 + 1 && r.right >= x2 - 1) {
        if (r.top <= y1 + 1 && r.bottom < y2) y1 = Math.max(y1, r.bottom);
        else if (r.bottom >= y2 - 1 && r.top > y1) y2 = Math.min(y2, r.top);
      }
    }
    if (withIgnore) {
      // a panel over the middle or a corner: what stays visible of the trimmed box, as strips
      const box = { x1, y1, x2, y2 };
      const parts = visiblePieces(box, occluders);
      const area = (p) => Math.max(0, p.x2 - p.x1) * Math.max(0, p.y2 - p.y1);
      if (parts.reduce((s, p) => s + area(p), 0) < 0.5 * area(box)) {
        dropped.push([el, visiblePieces(box, findOccluders(el, box, isOwn, isPart, occluders))]);
        return null;
      }
    }
    return { x1, y1, x2, y2 };
  }
  // the box minus every occluder's rectangle, as disjoint rectangles (geometry.py `pieces`: the bands above, below,
  // left and right of each cover)
  function visiblePieces(b, occluders) {
    return cutAround([b], Array.from(occluders, (o) => { const r = o.getBoundingClientRect(); return { x1: r.left, y1: r.top, x2: r.right, y2: r.bottom }; }));
  }
  // rectangles minus holes ({x1, y1, x2, y2} each), as disjoint rectangles: the bands above, below, left and right of each hole
  function cutAround(rects, holes) {
    let parts = rects;
    for (const h of holes) {
      const r = { left: h.x1, top: h.y1, right: h.x2, bottom: h.y2 };
      parts = parts.flatMap((p) => {
        const i = { x1: Math.max(p.x1, r.left), y1: Math.max(p.y1, r.top), x2: Math.min(p.x2, r.right), y2: Math.min(p.y2, r.bottom) };
        if (i.x2 <= i.x1 || i.y2 <= i.y1) return [p];
        return [{ x1: p.x1, y1: p.y1, x2: p.x2, y2: i.y1 }, { x1: p.x1, y1: i.y2, x2: p.x2, y2: p.y2 },
          { x1: p.x1, y1: i.y1, x2: i.x1, y2: i.y2 }, { x1: i.x2, y1: i.y1, x2: p.x2, y2: i.y2 }].filter((q) => q.x2 > q.x1 && q.y2 > q.y1);
      });
    }
    return parts;
  }
  function addIgnore(parts) {
    for (const p of parts) {
      if (p.x2 - p.x1 < 3 || p.y2 - p.y1 < 3) continue;
      ignore.push([p.x1 * dpr, p.y1 * dpr, p.x2 * dpr, p.y2 * dpr].map((n) => Math.round(n * 100) / 100));
    }
  }
  // what covers the element: the panels (see trimOccluded) hit by points on a 9 x 3 grid over its box; with `known` (the
  // grid's panels of a dropped element) the fine search for its strips, see the header
  function findOccluders(el, b, isOwn, isPart, known = null) {
    const occluders = new Set();
    let hitTestable;
    // el and its ancestors in the flat tree (a slotted node's parent is its slot, a shadow root's is its host)
    const up = (n) => n.assignedSlot || n.parentElement || n.parentNode?.host || null;
    const holdsEl = new Set();
    for (let n = el; n; n = up(n)) holdsEl.add(n);
    // the panel painted over the element at (x, y), or null (the element itself, or what lies beside or behind it)
    const coverAt = (x, y) => {
      const hit = document.elementFromPoint(x, y);
      if (!hit || isOwn(hit)) return null;
      // a point where the element itself is not hit either (a round button's transparent corner) is outside its
      // painted shape: what is hit there lies beside or behind it, not over it. Only where hit-testing sees the
      // element at all (at its centre): what a modal dialog makes inert is hit nowhere, and is covered.
      if (hitTestable === undefined) hitTestable = document.elementsFromPoint((b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2).some(isPart);
      if (hitTestable && !document.elementsFromPoint(x, y).some(isPart)) return null;
      // the element painted at the point: document hit-testing stops at a shadow host (a Fluent dialog's host is an
      // empty inline box; its panel is a <dialog> inside the shadow root), so go down open shadow roots
      let deep = hit;
      for (let d = deep.shadowRoot?.elementFromPoint(x, y); d && d !== deep; d = deep.shadowRoot?.elementFromPoint(x, y)) deep = d;
      // the panel: of the hit and its ancestors (flat tree) that do not hold this element and whose box is at the
      // point, the outermost positioned one (absolute/fixed) — a menu nested in a static toolbar is the menu, not the
      // toolbar; a submenu sticking out of its menu is the submenu there — else the outermost one. A box not at the
      // point is not what is painted there: a sticky header cell's <thead> has scrolled away, a shadow host is 0 x 0.
      // Where no box is at the point (a pseudo-element drawn outside its element, a modal <dialog>'s ::backdrop,
      // which hit-testing reports as the <dialog>) the same choice is made among all of them.
      const at = (n) => { const r = n.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.left <= x && x <= r.right && r.top <= y && y <= r.bottom; };
      let panel = null;
      let outer = null;
      let panelAny = null;
      let outerAny = null;
      for (let o = deep; o && !holdsEl.has(o); o = up(o)) {
        const pos = getComputedStyle(o).position;
        const positioned = pos === 'absolute' || pos === 'fixed';
        outerAny = o;
        if (positioned) panelAny = o;
        if (!at(o)) continue;
        outer = o;
        if (positioned) panel = o;
      }
      return panel || outer || panelAny || outerAny;
    };
    if (!known) {
      for (let i = 0; i < 9; i++) {
        for (let j = 0; j < 3; j++) {
          const o = coverAt(b.x1 + (b.x2 - b.x1) * (i + 0.5) / 9, b.y1 + (b.y2 - b.y1) * (j + 0.5) / 3);
          if (o) occluders.add(o);
        }
      }
      return occluders;
    }
    // the fine search (a dropped element's strips): the panels already found, then points at most 16 CSS px apart (at
    // most 64 a side) outside their boxes — a point inside one adds nothing to the strips, which leave its whole box out
    for (const o of known) occluders.add(o);
    const boxes = Array.from(occluders, (o) => o.getBoundingClientRect());
    const nx = Math.min(64, Math.ceil((b.x2 - b.x1) / 16));
    const ny = Math.min(64, Math.ceil((b.y2 - b.y1) / 16));
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        const x = b.x1 + (b.x2 - b.x1) * (i + 0.5) / nx;
        const y = b.y1 + (b.y2 - b.y1) * (j + 0.5) / ny;
        if (boxes.some((r) => r.left <= x && x <= r.right && r.top <= y && y <= r.bottom)) continue;
        const o = coverAt(x, y);
        if (o && !occluders.has(o)) { occluders.add(o); boxes.push(o.getBoundingClientRect()); }
      }
    }
    return occluders;
  }
  // the element's text without a nested menu or tree branch (UIA: an item's name is its own label)
  function ownText(el) {
    const NESTED = '[role=menu],[role=group],[role=listbox],fluent-listbox,ul,ol';
    if (!uia || !el.querySelector(NESTED)) return el.innerText;
    return Array.from(el.childNodes).filter((n) => n.nodeType === 3 || (n.nodeType === 1 && !n.matches(NESTED)))
      .map((n) => (n.nodeType === 3 ? n.textContent : n.innerText)).join(' ').replace(/\s+/g, ' ');
  }
  function sourceRole(el) {
    const tag = el.tagName.toLowerCase();
    const role = el.getAttribute('role');
    const t = tag === 'input' ? `[type=${(el.getAttribute('type') || 'text').toLowerCase()}]` : '';
    return `${tag}${t}${role ? `[role=${role}]` : ''}`;
  }

  function emit(el, type, r, id, parts = [el]) {
    if (uia && type === 'slider') r = withThumb(r);
    if (uia) r = clipToAncestors(el, r);
    if (r.width < 3 || r.height < 3) return;
    const x1 = Math.max(0, r.left);
    const y1 = Math.max(0, r.top);
    const x2 = Math.min(vw, r.right);
    const y2 = Math.min(vh, r.bottom);
    if (x2 <= x1 || y2 <= y1) return;
    if (((x2 - x1) * (y2 - y1)) / (r.width * r.height) < 0.6) return;
    const isOwn = (hit) => hit && parts.some((p) => hit === p || p.contains(hit) || hit.contains(p) || (hit.tagName === 'LABEL' && hit.control === p));
    // the element itself (or its label) at a point, not an ancestor of it
    const isPart = (hit) => parts.some((p) => hit === p || p.contains(hit) || (hit.tagName === 'LABEL' && hit.control === p));
    let visible = 0;
    for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.4], [0.7, 0.6]]) {
      if (isOwn(document.elementFromPoint(x1 + (x2 - x1) * fx, y1 + (y2 - y1) * fy))) visible++;
    }
    if (visible < 2) {
      // not clickable as a whole, but a panel may leave part of it showing: that part is an ignore region
      if (withIgnore) {
        const occluders = findOccluders(el, { x1, y1, x2, y2 }, isOwn, isPart);
        if (occluders.size) dropped.push([el, visiblePieces({ x1, y1, x2, y2 }, findOccluders(el, { x1, y1, x2, y2 }, isOwn, isPart, occluders))]);
      }
      return;
    }
    const v = uia ? trimOccluded(el, { x1, y1, x2, y2 }, isOwn, isPart) : { x1, y1, x2, y2 };
    if (!v) return;
    if (uia && (v.x2 - v.x1 < 3 || v.y2 - v.y1 < 3)) return;
    const box = [v.x1 * dpr, v.y1 * dpr, v.x2 * dpr, v.y2 * dpr].map((n) => Math.round(n * 100) / 100);
    const item = { id, type, box };
    const checked = checkedOf(el, type);
    if (checked !== undefined) item.checked = checked;
    // String(): a <progress>'s value is a number
    const text = String((uia && el.tagName === 'SELECT' ? el.selectedOptions[0]?.text : ownText(el)) || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60);
    // UIA: a check box's name is its label's text (an input's value is "on")
    const labelText = uia && parts.some((p) => p !== el) ? parts.map((p) => (p === el ? '' : p.innerText || '').trim()).join(' ').trim().slice(0, 60) : '';
    if (labelText) item.text = labelText;
    else if (text) item.text = text;
    if (uia) item.role = el.getAttribute('data-el-role') || sourceRole(el);
    out.push(item);
    if (withIgnore) kept.push({ el, v });
  }
}
