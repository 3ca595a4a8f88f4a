// Runs inside the page (page.evaluate). Labels come from the DOM only:
//  - an explicit data-el="<type>" wins (synthetic pages set it on every control);
//  - otherwise the element's semantics decide (tag, input type, ARIA role), which is how the
//    hand-written "real" pages are labelled;
//  - an element inside an already-labelled element is skipped (outermost wins), [data-el-ignore] is skipped;
//  - a box is kept only if >= 60 % of it is inside the viewport and it is the topmost element at >= 2 of
//    3 sample points (elements behind a modal backdrop or an open menu are not clickable, so not labelled).
// Boxes are CSS px * devicePixelRatio = screenshot pixels.
export function labelPageInBrowser() {
  const SELECTOR = [
    '[data-el]', 'button', '[role=button]', 'input', 'textarea', 'select', 'a[href]', '[role=tab]',
    '[role=menuitem]', '[role=menuitemcheckbox]', '[role=menuitemradio]', '[role=checkbox]', '[role=radio]',
    '[role=switch]', '[role=combobox]', '[role=link]', '[role=textbox]',
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
    const a = el.getAttribute('aria-checked') ?? el.getAttribute('aria-pressed') ?? el.getAttribute('data-checked');
    return a === 'true';
  };
  const labelled = new Set();
  const out = [];
  candidates.forEach((el, index) => {
    const type = typeOf(el);
    if (!type) return;
    for (let p = el.parentElement; p; p = p.parentElement) if (labelled.has(p)) return;
    labelled.add(el);
    const id = el.getAttribute('data-eid') || `d${index}`;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) < 0.1) return;
    // An inline element that wraps (a link running onto the next line) has one box per line; its bounding box
    // would also cover the unrelated text between them, which no detector should draw and no crop should show.
    // Each line fragment is labelled on its own: the id gets "~k", so fragments only pair with the same
    // fragment of another variant (a variant where the element does not wrap has no counterpart).
    const fragments = cs.display === 'inline' ? Array.from(el.getClientRects()).filter((f) => f.width >= 3 && f.height >= 3) : [];
    const boxes = fragments.length > 1 ? fragments.map((f, k) => [f, `${id}~${k}`]) : [[el.getBoundingClientRect(), id]];
    for (const [r, boxId] of boxes) emit(el, type, r, boxId);
  });
  return out;

  function emit(el, type, r, id) {
    if (r.width < 3 || r.height < 3) return;
    const x1 = Math.max(0, r.left);
    const y1 = Math.max(0, r.top);
    const x2 = Math.min(vw, r.right);
    const y2 = Math.min(vh, r.bottom);
    if (x2 <= x1 || y2 <= y1) return;
    if (((x2 - x1) * (y2 - y1)) / (r.width * r.height) < 0.6) return;
    let visible = 0;
    for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.4], [0.7, 0.6]]) {
      const hit = document.elementFromPoint(x1 + (x2 - x1) * fx, y1 + (y2 - y1) * fy);
      if (hit && (hit === el || el.contains(hit) || hit.contains(el) || (hit.tagName === 'LABEL' && hit.control === el))) visible++;
    }
    if (visible < 2) return;
    const box = [x1 * dpr, y1 * dpr, x2 * dpr, y2 * dpr].map((v) => Math.round(v * 100) / 100);
    const item = { id, type, box };
    const checked = checkedOf(el, type);
    if (checked !== undefined) item.checked = checked;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60);
    if (text) item.text = text;
    out.push(item);
  }
}
