// Randomised UI page builder. One seed -> one DOM; the theme (light/dark) is a class on <html> and the
// scale is the browser's deviceScaleFactor, so the same seed rendered under another theme/scale keeps
// identical element ids (data-eid) for similarity pairs.
import { createRandom } from './random.mjs';
import { icon, ICON_NAMES } from './icons.mjs';
import * as W from './words.mjs';

const FONTS = [
  "'DejaVu Sans'", "'DejaVu Sans Condensed'", "'DejaVu Serif'", "'Liberation Sans'", "'Liberation Serif'",
  "'Liberation Sans Narrow'", "'DejaVu Sans Mono'", "'Liberation Mono'", 'sans-serif', 'system-ui',
];

const cssW = (w) => (typeof w === 'number' ? `${w}px` : w);
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function buildSyntheticPage(seed) {
  const r = createRandom(`page:${seed}`);
  let eid = 0;
  const nextId = () => `e${eid++}`;

  const s = {
    font: r.pick(FONTS),
    fontSize: r.int(11, 16),
    radius: r.weighted([[0, 2], [2, 3], [3, 3], [4, 4], [6, 3], [8, 2], [12, 1], [999, 1]]),
    ctrlH: r.int(22, 40),
    padX: r.int(6, 18),
    gap: r.int(4, 20),
    hue: r.int(0, 359),
    accentHue: r.int(0, 359),
    accentSat: r.int(45, 90),
    buttonStyle: r.pick(['filled', 'outline', 'soft', 'raised', 'mixed']),
    inputStyle: r.pick(['box', 'box', 'underline', 'filled', 'inset']),
    checkStyle: r.pick(['native', 'native', 'square', 'rounded']),
    checkSize: r.int(12, 20),
    radioStyle: r.pick(['native', 'custom']),
    toggleStyle: r.pick(['ios', 'material', 'square']),
    tabStyle: r.pick(['underline', 'boxed', 'pill']),
    // generator v2 (stop 11): the look of real sites' navigation — see docs/MODELS.md "Generator v2"
    tabStyle2: r.weighted([['same', 4], ['segmented', 1.5], ['category', 1.5], ['ribbon', 1]]),
    pagerStyle: r.pick(['plain', 'boxed']),
    glyphIcons: r.bool(0.35),
    fluid: r.bool(0.3), // forms whose fields fill the column (Bootstrap .form-control) with a full-width submit
    bigSearch: r.bool(0.2), // a wide, tall search field in the header (mail, docs, shops)
    selectStyle: r.pick(['native', 'custom']),
    linkUnderline: r.bool(0.5),
    iconButtonStyle: r.pick(['ghost', 'outline', 'filled', 'round']),
    border: r.pick([1, 1, 1, 2]),
    shadow: r.bool(0.4),
    upper: r.bool(0.15),
  };
  s.ctrlH = Math.max(s.ctrlH, Math.round(s.fontSize * 1.6));
  const kind = r.weighted([['desktop', 3], ['web', 3], ['settings', 2], ['admin', 2], ['docs', 1.5]]);
  if (kind === 'desktop') {
    s.radius = Math.min(s.radius, 3);
    s.fontSize = r.int(11, 13);
    s.ctrlH = r.int(20, 26);
  }

  // ---- components -------------------------------------------------------------------------------
  const text = (n) => {
    const words = [];
    for (let i = 0; i < n; i++) words.push(r.pick(W.WORDS));
    const t = words.join(' ');
    return t.charAt(0).toUpperCase() + t.slice(1);
  };
  const btnClass = () => {
    if (s.buttonStyle === 'mixed') return r.pick(['b-filled', 'b-outline', 'b-soft', 'b-raised']);
    return `b-${s.buttonStyle}`;
  };
  const button = (label, opts = {}) => {
    const cls = opts.primary ? `b-filled ${opts.cls ?? ''}` : opts.cls ?? btnClass();
    const ic = r.bool(0.15) ? `<span class="bi">${icon(r.pick(ICON_NAMES), Math.round(s.fontSize * 1.1))}</span>` : '';
    return `<button data-el="button" data-eid="${nextId()}" class="btn ${cls}">${ic}${esc(label ?? r.pick(W.BUTTON_WORDS))}</button>`;
  };
  const iconButton = (name, opts = {}) => {
    const st = opts.style ?? s.iconButtonStyle;
    const size = opts.size ?? Math.round(s.ctrlH * r.float(0.8, 1.1));
    return `<button data-el="icon_button" data-eid="${nextId()}" class="ib ib-${st}" style="width:${size}px;height:${size}px" title="${name}">${icon(name ?? r.pick(ICON_NAMES), Math.round(size * r.float(0.5, 0.7)))}</button>`;
  };
  const textInput = (opts = {}) => {
    const w = opts.width ?? r.int(120, 320);
    const val = r.bool(0.5) ? r.pick(W.CELL_WORDS) : '';
    const ph = r.bool(0.7) ? r.pick(W.LABEL_WORDS) : '';
    if (opts.area) {
      return `<textarea data-el="text_input" data-eid="${nextId()}" class="inp inp-${s.inputStyle}" style="width:${cssW(w)};height:${r.int(50, 100)}px" placeholder="${esc(ph)}">${esc(val ? text(r.int(3, 12)) : '')}</textarea>`;
    }
    if (opts.search || r.bool(0.08)) {
      return `<span data-el="text_input" data-eid="${nextId()}" class="inp inp-${s.inputStyle} inwrap ${opts.cls ?? ''}" style="width:${cssW(w)}">${icon('search', Math.round(s.fontSize))}<input type="text" placeholder="${esc(r.pick(['Search', 'Search...', 'Find', 'Filter']))}"></span>`;
    }
    const type = r.bool(0.1) ? 'password' : 'text';
    return `<input data-el="text_input" data-eid="${nextId()}" class="inp inp-${s.inputStyle}" type="${type}" style="width:${cssW(w)}" value="${esc(val)}" placeholder="${esc(ph)}">`;
  };
  const checkbox = (checked = r.bool()) => {
    if (s.checkStyle === 'native') {
      return `<input data-el="checkbox" data-eid="${nextId()}" type="checkbox" class="ncb" ${checked ? 'checked' : ''}>`;
    }
    return `<span data-el="checkbox" data-eid="${nextId()}" role="checkbox" aria-checked="${checked}" class="cb cb-${s.checkStyle} ${checked ? 'on' : ''}">${checked ? icon('check', Math.round(s.checkSize * 0.8), 3) : ''}</span>`;
  };
  const radio = (checked) => {
    if (s.radioStyle === 'native') {
      return `<input data-el="radio" data-eid="${nextId()}" type="radio" class="nrd" ${checked ? 'checked' : ''}>`;
    }
    return `<span data-el="radio" data-eid="${nextId()}" role="radio" aria-checked="${checked}" class="rd ${checked ? 'on' : ''}"></span>`;
  };
  const toggle = (on = r.bool()) =>
    `<span data-el="toggle" data-eid="${nextId()}" role="switch" aria-checked="${on}" class="tg tg-${s.toggleStyle} ${on ? 'on' : ''}"><span class="knob"></span></span>`;
  const dropdown = (opts = {}) => {
    const w = opts.width ?? r.int(100, 240);
    const v = r.pick(W.SELECT_WORDS);
    if (s.selectStyle === 'native') {
      return `<select data-el="dropdown" data-eid="${nextId()}" class="sel" style="width:${cssW(w)}"><option>${esc(v)}</option><option>Other</option></select>`;
    }
    return `<span data-el="dropdown" data-eid="${nextId()}" role="combobox" class="sel csel" style="width:${cssW(w)}"><span>${esc(v)}</span>${icon('chevronDown', Math.round(s.fontSize))}</span>`;
  };
  const link = (label) => `<a data-el="link" data-eid="${nextId()}" href="#" class="lnk">${esc(label ?? r.pick(W.LINK_WORDS))}</a>`;
  // ---- generator v2 components: patterns of real sites and apps the first generator lacked ---------
  // Icon buttons drawn with a font glyph (icon fonts / Unicode symbols are how many real UIs draw them).
  const glyphIconButton = (opts = {}) => {
    const st = opts.style ?? s.iconButtonStyle;
    const size = opts.size ?? Math.round(s.ctrlH * r.float(0.8, 1.15));
    return `<button data-el="icon_button" data-eid="${nextId()}" class="ib ib-${st}" style="width:${size}px;height:${size}px;font-size:${Math.round(size * r.float(0.45, 0.65))}px">${r.pick(W.GLYPHS)}</button>`;
  };
  const anyIconButton = (name, opts) => (s.glyphIcons && r.bool(0.6) ? glyphIconButton(opts) : iconButton(name, opts));
  // Formatting buttons that show a letter (B, I, U): buttons with visible text, as the semantic labeller calls them.
  const letterButton = () => {
    const size = Math.round(s.ctrlH * r.float(0.85, 1.1));
    const [t, st] = r.pick([['B', 'font-weight:700'], ['I', 'font-style:italic'], ['U', 'text-decoration:underline'], ['S', 'text-decoration:line-through'], ['A', ''], ['A⁺', ''], ['A⁻', ''], ['ab', ''], ['x²', ''], ['¶', '']]);
    return `<button data-el="button" data-eid="${nextId()}" class="ib ib-ghost" style="width:${size}px;height:${size}px;${st}">${esc(t)}</button>`;
  };
  // Ghost buttons: "+ Add a card", "Recent ▾" — text on no background, as in board and header UIs.
  const ghostButton = (label, opts = {}) =>
    `<button data-el="button" data-eid="${nextId()}" class="btn bghost ${opts.block ? 'bblock' : ''}">${esc(label ?? r.pick(W.GHOST_BUTTON_WORDS))}</button>`;
  // Material-style text button: accent-coloured, often upper-case text, no box.
  const textButton = (label) => `<button data-el="button" data-eid="${nextId()}" class="btn btext">${esc(label ?? r.pick(W.BUTTON_WORDS))}</button>`;
  // Ribbon: tabs on the chrome, then groups of large (icon over label) and small buttons.
  const ribbon = () => {
    const n = r.int(4, 8);
    const act = r.int(0, Math.min(2, n - 1));
    const tabsHtml = r.shuffle(W.RIBBON_TABS).slice(0, n).map((t, i) => `<span data-el="tab" data-eid="${nextId()}" role="tab" class="rtab ${i === act ? 'active' : ''}">${esc(t)}</span>`).join('');
    const groups = [];
    for (let g = 0; g < r.int(2, 5); g++) {
      const items = [];
      for (let i = 0; i < r.int(1, 4); i++) {
        items.push(r.weighted([
          [() => `<button data-el="button" data-eid="${nextId()}" class="rbig"><span class="rbi">${s.glyphIcons ? r.pick(W.GLYPHS) : icon(r.pick(ICON_NAMES), Math.round(s.fontSize * 1.8))}</span><span>${esc(r.pick(W.RIBBON_WORDS))}</span></button>`, 3],
          [() => `<span class="rsmall">${Array.from({ length: r.int(2, 4) }, () => (r.bool(0.5) ? letterButton() : anyIconButton(undefined, { style: 'ghost', size: Math.round(s.ctrlH * 1.05) }))).join('')}</span>`, 2],
          [() => `<span class="rsmall">${dropdown({ width: r.int(70, 140) })}</span>`, 1],
          [() => `<button data-el="button" data-eid="${nextId()}" class="btn bghost">${s.glyphIcons ? `${r.pick(W.GLYPHS)} ` : ''}${esc(r.pick(W.RIBBON_WORDS))}</button>`, 1],
        ])());
      }
      groups.push(`<div class="rgroup"><div class="ritems">${items.join('')}</div><div class="rlabel muted">${esc(r.pick(W.RIBBON_GROUPS))}</div></div>`);
    }
    return `<div class="rtabs">${tabsHtml}</div><div class="rpanel">${groups.join('')}</div>`;
  };
  // Spreadsheet-style sheet tabs at the bottom of a window.
  const sheetTabs = () => {
    const n = r.int(1, 5);
    const act = r.int(0, n - 1);
    const t = Array.from({ length: n }, (_, i) => `<span data-el="tab" data-eid="${nextId()}" role="tab" class="stab ${i === act ? 'active' : ''}">${esc(r.pick(['Sheet', 'Page', 'Data', 'Q', 'Tab']))}${i + 1}</span>`);
    return `<div class="stabs">${r.bool(0.5) ? anyIconButton('plus', { style: 'ghost', size: Math.round(s.ctrlH * 0.9) }) : ''}${t.join('')}</div>`;
  };
  // Settings / mobile-style list of navigation rows: each row is a link (icon tile, title, subtitle, value ›).
  const listRows = (n = r.int(3, 8)) => {
    const rows = [];
    const tiles = r.bool(0.6);
    for (let i = 0; i < n; i++) {
      const tile = tiles ? `<span class="tile" style="background:hsl(${r.int(0, 359)},60%,50%)">${r.bool(0.5) ? r.pick(W.GLYPHS) : icon(r.pick(ICON_NAMES), Math.round(s.fontSize))}</span>` : '';
      const sub = r.bool(0.35) ? `<div class="muted">${esc(text(r.int(2, 5)))}</div>` : '';
      const val = r.bool(0.4) ? `<span class="muted">${esc(r.pick(W.CELL_WORDS))}</span>` : '';
      rows.push(`<a data-el="link" data-eid="${nextId()}" href="#" class="lrow">${tile}<span class="lrt"><div>${esc(r.pick(W.NAV_WORDS))}</div>${sub}</span><span class="grow"></span>${val}<span class="muted">${r.pick(['›', '❯', '＞', '>'])}</span></a>`);
      if (r.bool(0.12)) rows.push('<div class="lgap"></div>');
    }
    return `<div class="lgroup">${rows.join('')}</div>`;
  };
  // Dashboard stat boxes whose footer strip is a link ("More info ➜").
  const statCards = () => {
    const cards = Array.from({ length: r.int(2, 4) }, () =>
      `<div class="stat" style="--sh:${r.int(0, 359)}"><div class="sbody"><b>${r.int(3, 9999)}</b><div>${esc(r.pick(W.HEADINGS))}</div></div><a data-el="link" data-eid="${nextId()}" href="#" class="sfoot">${esc(r.pick(W.FOOTER_LINK_WORDS))}</a></div>`);
    return `<section class="cgrid">${cards.join('')}</section>`;
  };
  // Docs-site parts: breadcrumbs, "on this page" list, previous/next boxes.
  const breadcrumb = () => {
    const sep = r.pick(['/', '›', '»', '>']);
    const parts = r.shuffle(W.NAV_WORDS).slice(0, r.int(2, 4)).map((t) => link(t));
    return `<div class="crumbs">${parts.join(` <span class="muted">${sep}</span> `)} <span class="muted">${sep}</span> <span>${esc(r.pick(W.HEADINGS))}</span></div>`;
  };
  const tocLinks = () =>
    `<nav class="toc"><div class="muted">${esc(r.pick(['On this page', 'Contents', 'In this article', 'Jump to']))}</div>${r.shuffle(W.HEADINGS).slice(0, r.int(3, 7)).map((t) => `<a data-el="link" data-eid="${nextId()}" href="#" class="tocl">${esc(t)}</a>`).join('')}</nav>`;
  const prevNext = () => {
    const box = (lbl, align) => `<a data-el="link" data-eid="${nextId()}" href="#" class="pnbox" style="text-align:${align}"><div class="muted">${lbl}</div><div class="pnt">${esc(r.pick(W.HEADINGS))}</div></a>`;
    return `<div class="pn">${r.bool(0.85) ? box('Previous', 'left') : '<span></span>'}${box('Next', 'right')}</div>`;
  };
  const labelled = (ctrl, label) => `<label class="opt">${ctrl}<span>${esc(label)}</span></label>`;

  // distractors: look like UI but are not interactive
  const heading = (lvl = r.int(1, 3), t) => `<h${lvl} class="hd">${esc(t ?? r.pick(W.HEADINGS))}</h${lvl}>`;
  const para = (n = r.int(8, 40), withLink = r.bool(0.3)) => {
    const t = esc(text(n));
    if (!withLink) return `<p class="pp">${t}.</p>`;
    return `<p class="pp">${t} ${link()} ${esc(text(r.int(2, 10)).toLowerCase())}.</p>`;
  };
  const badge = () => `<span class="badge" style="--bh:${r.int(0, 359)}">${esc(r.pick(['New', 'Beta', 'Paid', 'Pending', '3', '12', 'Active', 'Draft', 'Error', 'OK']))}</span>`;
  const image = (w, h) => {
    const h1 = r.int(0, 359);
    const h2 = (h1 + r.int(30, 180)) % 360;
    const shapes = [];
    for (let i = 0; i < r.int(0, 4); i++) {
      shapes.push(`<circle cx="${r.int(0, 100)}" cy="${r.int(0, 100)}" r="${r.int(5, 30)}" fill="hsla(${r.int(0, 359)},60%,60%,.7)"/>`);
    }
    return `<div class="img" style="width:${cssW(w)};height:${h}px;background:linear-gradient(${r.int(0, 359)}deg,hsl(${h1},55%,55%),hsl(${h2},55%,40%))"><svg width="100%" height="100%" viewBox="0 0 100 100" preserveAspectRatio="none">${shapes.join('')}</svg></div>`;
  };
  const avatar = () => `<span class="avatar" style="background:hsl(${r.int(0, 359)},50%,50%)">${esc(r.pick(['AS', 'BJ', 'CW', 'DM', 'JD', 'K']))}</span>`;
  const progress = () => `<div class="prog"><div style="width:${r.int(5, 95)}%"></div></div>`;
  const staticIcon = () => `<span class="sicon">${icon(r.pick(ICON_NAMES), Math.round(s.fontSize * 1.2))}</span>`;
  const chart = () => {
    const bars = [];
    const n = r.int(6, 16);
    for (let i = 0; i < n; i++) bars.push(`<rect x="${(i * 100) / n + 1}" y="${100 - r.int(10, 95)}" width="${100 / n - 2}" height="100" fill="var(--accent)" opacity="${r.float(0.4, 1).toFixed(2)}"/>`);
    return `<div class="chart" style="height:${r.int(80, 160)}px"><svg width="100%" height="100%" viewBox="0 0 100 100" preserveAspectRatio="none">${bars.join('')}</svg></div>`;
  };

  // ---- sections -------------------------------------------------------------------------------------
  const formRow = (fluid = false) => {
    const label = `<span class="flabel">${esc(r.pick(W.LABEL_WORDS))}${r.bool(0.4) ? ':' : ''}</span>`;
    if (fluid) {
      const ctrl = r.weighted([[() => textInput({ width: '100%' }), 5], [() => dropdown({ width: '100%' }), 2], [() => textInput({ area: true, width: '100%' }), 0.5]])();
      return `<div class="frow frow-v">${label}${ctrl}</div>`;
    }
    const ctrl = r.weighted([
      [() => textInput(), 5],
      [() => dropdown(), 2],
      [() => textInput({ area: true }), 0.5],
      [() => `${textInput({ width: r.int(100, 200) })} ${r.bool() ? button('Browse...') : iconButton(r.pick(['search', 'calendar', 'folder']))}`, 1],
      [() => `${dropdown({ width: r.int(60, 120) })} ${textInput({ width: r.int(80, 180) })}`, 0.5],
    ])();
    const layout = r.bool(0.6) ? 'frow-h' : 'frow-v';
    return `<div class="frow ${layout}">${label}<span class="fctrl">${ctrl}</span></div>`;
  };
  const optionGroup = () => {
    const kindOpt = r.weighted([['checkbox', 4], ['radio', 3], ['toggle', 2]]);
    const n = r.int(2, 5);
    const items = [];
    const sel = r.int(0, n - 1);
    const inline = r.bool(0.35);
    for (let i = 0; i < n; i++) {
      const l = r.pick(W.OPTION_WORDS);
      const ctrl = kindOpt === 'checkbox' ? checkbox() : kindOpt === 'radio' ? radio(i === sel) : toggle();
      items.push(kindOpt === 'toggle' && r.bool(0.5) ? `<label class="opt optr"><span>${esc(l)}</span>${ctrl}</label>` : labelled(ctrl, l));
    }
    const title = r.bool(0.6) ? `<div class="flabel">${esc(r.pick(W.LABEL_WORDS))}</div>` : '';
    return `<div class="ogroup ${inline ? 'inline' : ''}">${title}${items.join('')}</div>`;
  };
  const buttonRow = (n = r.int(1, 3)) => {
    const items = [];
    const textStyle = r.bool(0.12);
    for (let i = 0; i < n; i++) items.push(textStyle ? textButton() : button(undefined, { primary: i === 0 && r.bool(0.6) }));
    if (r.bool(0.2)) items.push(link());
    return `<div class="brow" style="justify-content:${r.pick(['flex-start', 'flex-end', 'center', 'space-between'])}">${items.join('')}</div>`;
  };
  const formSection = () => {
    const parts = [];
    if (r.bool(0.7)) parts.push(heading(r.int(2, 3)));
    if (r.bool(0.3)) parts.push(para(r.int(6, 20)));
    const n = r.int(2, 7);
    const cols = r.bool(0.3) ? 2 : 1;
    const rows = [];
    for (let i = 0; i < n; i++) rows.push(r.bool(0.75) ? formRow(s.fluid) : optionGroup());
    parts.push(`<div class="fgrid" style="grid-template-columns:repeat(${cols},${s.fluid ? '1fr' : 'auto'})">${rows.join('')}</div>`);
    if (s.fluid && r.bool(0.5)) parts.push(`<div class="brow">${button(undefined, { primary: true, cls: 'bblock bbig' })}</div>`);
    else if (r.bool(0.7)) parts.push(buttonRow());
    return `<section class="card">${parts.join('')}</section>`;
  };
  const settingsSection = () => {
    const parts = [heading(r.int(2, 3))];
    const n = r.int(2, 6);
    for (let i = 0; i < n; i++) {
      const ctrl = r.weighted([
        [() => toggle(), 4], [() => dropdown(), 2], [() => button(), 1.5], [() => checkbox(), 1],
        [() => textInput({ width: r.int(100, 220) }), 1], [() => link(), 0.5], [() => `${button()}${iconButton()}`, 0.5],
      ])();
      const desc = r.bool(0.7) ? `<div class="muted">${esc(text(r.int(5, 16)))}.</div>` : '';
      parts.push(`<div class="srow"><div><div class="stitle">${esc(r.pick(W.OPTION_WORDS))} ${r.bool(0.15) ? badge() : ''}</div>${desc}</div><div class="sctrl">${ctrl}</div></div>`);
    }
    return `<section class="card">${parts.join('')}</section>`;
  };
  const tableSection = () => {
    const cols = r.int(3, 6);
    const rows = r.int(3, 10);
    const hasCheck = r.bool(0.6);
    const hasActions = r.bool(0.7);
    const colKinds = [];
    for (let c = 0; c < cols; c++) colKinds.push(r.weighted([['text', 5], ['link', 1.5], ['badge', 1], ['dropdown', 0.4], ['toggle', 0.4], ['input', 0.3], ['avatar', 0.4]]));
    const head = [];
    if (hasCheck) head.push(`<th>${checkbox(false)}</th>`);
    for (let c = 0; c < cols; c++) head.push(`<th>${esc(r.pick(W.LABEL_WORDS))}${r.bool(0.2) ? staticIcon() : ''}</th>`);
    if (hasActions) head.push('<th></th>');
    const body = [];
    for (let i = 0; i < rows; i++) {
      const cells = [];
      if (hasCheck) cells.push(`<td>${checkbox(r.bool(0.3))}</td>`);
      for (let c = 0; c < cols; c++) {
        const k = colKinds[c];
        const v = k === 'text' ? esc(r.pick(W.CELL_WORDS)) : k === 'link' ? link(r.pick(W.CELL_WORDS)) : k === 'badge' ? badge()
          : k === 'dropdown' ? dropdown({ width: r.int(80, 130) }) : k === 'toggle' ? toggle() : k === 'input' ? textInput({ width: r.int(60, 120) })
            : `${avatar()} ${esc(r.pick(W.CELL_WORDS))}`;
        cells.push(`<td>${v}</td>`);
      }
      if (hasActions) {
        const acts = [];
        for (let a = 0; a < r.int(1, 3); a++) acts.push(r.bool(0.75) ? anyIconButton(r.pick(['pencil', 'trash', 'kebab', 'eye', 'copy', 'download', 'share']), { size: Math.round(s.ctrlH * 0.85) }) : button(r.pick(['Edit', 'View', 'Open', 'Delete'])));
        cells.push(`<td class="acts">${acts.join('')}</td>`);
      }
      body.push(`<tr>${cells.join('')}</tr>`);
    }
    const top = r.bool(0.6) ? `<div class="toolbar">${heading(3)}<span class="grow"></span>${textInput({ search: true, width: r.int(140, 240) })}${r.bool() ? button(undefined, { primary: true }) : ''}${r.bool(0.5) ? iconButton('filter') : ''}</div>` : '';
    let pager = '';
    if (r.bool(0.5)) {
      const items = [iconButton('chevronLeft', { size: Math.round(s.ctrlH * 0.85) })];
      for (let p = 1; p <= r.int(2, 5); p++) {
        items.push(r.bool(0.5) ? button(String(p), { cls: 'b-outline' })
          : s.pagerStyle === 'boxed' ? `<a data-el="link" data-eid="${nextId()}" href="#" class="pglink ${p === 1 ? 'active' : ''}">${p}</a>` : link(String(p)));
      }
      items.push(iconButton('chevronRight', { size: Math.round(s.ctrlH * 0.85) }));
      pager = `<div class="brow"><span class="muted">${r.int(1, 400)} results</span><span class="grow"></span>${items.join('')}</div>`;
    }
    return `<section class="card">${top}<table class="tbl ${r.bool() ? 'striped' : ''}"><thead><tr>${head.join('')}</tr></thead><tbody>${body.join('')}</tbody></table>${pager}</section>`;
  };
  const textSection = () => {
    const parts = [heading(r.int(1, 3))];
    for (let i = 0; i < r.int(1, 3); i++) parts.push(para());
    if (r.bool(0.5)) parts.push(r.bool(0.5) ? image(r.int(160, 480), r.int(80, 220)) : chart());
    if (r.bool(0.3)) parts.push(`<ul class="ul">${Array.from({ length: r.int(2, 4) }, () => `<li>${esc(text(r.int(3, 9)))}</li>`).join('')}</ul>`);
    if (r.bool(0.3)) parts.push(progress());
    return `<section class="card">${parts.join('')}</section>`;
  };
  const cardGrid = () => {
    const n = r.int(2, 4);
    const cards = [];
    for (let i = 0; i < n; i++) {
      const act = r.weighted([[() => button(), 2], [() => link(), 2], [() => `${button()}${iconButton()}`, 1], [() => '', 1], [() => toggle(), 0.5]])();
      cards.push(`<div class="card mini">${r.bool(0.6) ? image(r.int(140, 220), r.int(60, 120)) : ''}<div class="stitle">${esc(r.pick(W.HEADINGS))} ${r.bool(0.3) ? badge() : ''}</div><div class="muted">${esc(text(r.int(5, 14)))}</div><div class="brow">${act}</div></div>`);
    }
    return `<section class="cgrid">${cards.join('')}</section>`;
  };
  const tabs = () => {
    const n = r.int(2, 6);
    const act = r.int(0, n - 1);
    const style = s.tabStyle2 === 'same' ? s.tabStyle : s.tabStyle2;
    const withIcon = style === 'category' ? r.bool(0.8) : r.bool(0.15);
    const ic = () => (s.glyphIcons ? `<span>${r.pick(W.GLYPHS)}</span>` : icon(r.pick(ICON_NAMES), s.fontSize));
    const items = r.shuffle(W.TAB_WORDS).slice(0, n).map((t, i) => `<span data-el="tab" data-eid="${nextId()}" class="tab ${i === act ? 'active' : ''}">${withIcon ? ic() : ''}${esc(t)}</span>`);
    return `<div class="tabs tabs-${style}">${items.join('')}</div>`;
  };
  const menubar = () => {
    const items = r.shuffle(W.MENU_WORDS).slice(0, r.int(3, 8)).map((t) => `<span data-el="menu_item" data-eid="${nextId()}" class="mi">${esc(t)}</span>`);
    return `<div class="menubar">${items.join('')}</div>`;
  };
  const popupMenu = () => {
    const items = [];
    for (const t of r.shuffle(W.POPUP_MENU_WORDS).slice(0, r.int(3, 8))) {
      if (r.bool(0.15)) items.push('<div class="sep"></div>');
      items.push(`<div data-el="menu_item" data-eid="${nextId()}" class="pmi">${r.bool(0.3) ? icon(r.pick(ICON_NAMES), s.fontSize) : ''}<span>${esc(t)}</span><span class="grow"></span><span class="muted">${r.bool(0.4) ? esc(r.pick(['Ctrl+C', 'Ctrl+V', 'Ctrl+S', 'F2', 'Del', 'Ctrl+Shift+N'])) : ''}</span></div>`);
    }
    return `<div class="popup" style="left:${r.int(5, 70)}%;top:${r.int(8, 60)}%">${items.join('')}</div>`;
  };
  // A picker-style open menu (workspace/project/account switcher, "move to" picker): optional section headers,
  // entries with a leading colour tile, avatar or icon, optional second line and check mark, optional command
  // entries after a separator; a floating panel over the page. Drawn from its own random stream (`popup:<seed>`)
  // so adding it changes no other element of a page (stop 13).
  const pickerMenu = (pr) => {
    const hue = (l) => `hsl(${pr.int(0, 359)},${pr.int(40, 75)}%,${l}%)`;
    const tile = pr.int(18, 30);
    const lead = pr.pick(['tile', 'tile', 'avatar', 'icon', 'none']);
    const twoLine = lead === 'avatar' ? pr.bool(0.6) : pr.bool(0.15);
    const padY = pr.int(5, 10);
    const padX = pr.int(10, 18);
    const gap = pr.int(8, 14);
    const radius = pr.pick([0, 3, 4, 6, 8, 12]);
    const itemStyle = `display:flex;align-items:center;gap:${gap}px;padding:${padY}px ${padX}px;cursor:pointer`;
    const head = (t) => `<div style="padding:${pr.int(6, 10)}px ${padX}px ${pr.int(2, 5)}px;font-size:${pr.int(10, 12)}px;font-weight:700;color:var(--muted);${pr.bool(0.6) ? 'text-transform:uppercase;letter-spacing:.04em' : ''}">${esc(t)}</div>`;
    const entry = (t, current) => {
      let leadHtml = '';
      if (lead === 'tile') leadHtml = `<span style="flex:none;width:${tile}px;height:${tile}px;border-radius:${pr.int(2, 6)}px;background:${hue(pr.int(35, 55))}"></span>`;
      else if (lead === 'avatar') leadHtml = `<span style="flex:none;width:${tile + 4}px;height:${tile + 4}px;border-radius:50%;background:${hue(pr.int(35, 55))};color:#fff;display:inline-flex;align-items:center;justify-content:center;font-size:${Math.round(tile / 2.4)}px;font-weight:700">${esc(t.split(' ').map((w) => w[0]).join('').slice(0, 2))}</span>`;
      else if (lead === 'icon') leadHtml = icon(pr.pick(ICON_NAMES), s.fontSize + 2);
      const second = twoLine ? `<span class="muted" style="display:block;font-size:.85em">${esc(lead === 'avatar' ? `${t.split(' ')[0].toLowerCase()}@${pr.pick(['acme.com', 'contoso.org', 'mail.example'])}` : `${pr.int(2, 40)} members`)}</span>` : '';
      const check = current && pr.bool(0.5) ? '<span style="margin-left:auto;color:var(--accent)">✓</span>' : '';
      const bg = current && pr.bool(0.5) ? 'background:color-mix(in srgb,var(--accent) 10%,transparent);' : '';
      return `<div data-el="menu_item" data-eid="${nextId()}" style="${itemStyle};${bg}">${leadHtml}<span>${esc(t)}${second}</span>${check}</div>`;
    };
    const names = pr.shuffle(lead === 'avatar' ? W.PICKER_PEOPLE : W.PICKER_WORDS);
    const parts = [];
    let k = 0;
    const sections = pr.int(1, 3);
    for (let sec = 0; sec < sections; sec++) {
      if (pr.bool(0.75)) parts.push(head(pr.pick(W.PICKER_HEADINGS)));
      const n = pr.int(sections === 1 ? 3 : 1, sections === 1 ? 6 : 4);
      for (let i = 0; i < n && k < names.length; i++, k++) parts.push(entry(names[k], sec === 0 && i === 0));
    }
    if (pr.bool(0.4)) {
      parts.push('<div class="sep"></div>');
      for (const t of pr.shuffle(W.PICKER_COMMANDS).slice(0, pr.int(1, 2))) parts.push(`<div data-el="menu_item" data-eid="${nextId()}" style="${itemStyle}">${esc(t)}</div>`);
    }
    const shadow = pr.pick(['0 8px 12px rgba(9,30,66,.15),0 0 1px rgba(9,30,66,.31)', '0 4px 14px rgba(0,0,0,.3)', '0 2px 6px rgba(0,0,0,.2)', 'none']);
    const border = shadow === 'none' || pr.bool(0.4) ? '1px solid var(--border)' : 'none';
    return `<div style="position:absolute;left:${pr.int(3, 65)}%;top:${pr.int(5, 45)}%;width:${pr.int(200, 340)}px;background:var(--surface);border:${border};border-radius:${radius}px;box-shadow:${shadow};padding:${pr.int(4, 10)}px 0;z-index:20;color:var(--fg)">${parts.join('')}</div>`;
  };
  const sidebar = () => {
    const items = [];
    const act = r.int(0, 6);
    // on the web a sidebar is nearly always a list of <a href>; apps often mark it up as role=menu/menuitem. Either
    // way it is a navigation list, labelled `link` (labeller.mjs: menu_item is for menu bars and open menus).
    // Both markups are kept (and the random draw with them, so pages render as before stop 13).
    const asLinks = r.bool(0.6);
    const withIcons = r.bool(0.6);
    r.shuffle(W.NAV_WORDS).slice(0, r.int(4, 12)).forEach((t, i) => {
      if (r.bool(0.1)) items.push(`<div class="navsec muted">${esc(r.pick(W.HEADINGS))}</div>`);
      const ic = withIcons ? (s.glyphIcons ? `<span>${r.pick(W.GLYPHS)}</span>` : icon(r.pick(ICON_NAMES), Math.round(s.fontSize * 1.2))) : '';
      const el = asLinks ? `a data-el="link" href="#"` : 'div data-el="link" role="menuitem"';
      items.push(`<${el} data-eid="${nextId()}" class="navitem ${i === act ? 'active' : ''}">${ic}<span>${esc(t)}</span>${r.bool(0.1) ? badge() : ''}</${el.split(' ')[0]}>`);
    });
    return `<nav class="sidebar" style="width:${r.int(160, 260)}px">${r.bool(0.5) ? `<div class="logo">${staticIcon()}<b>${esc(r.pick(['Acme', 'Contoso', 'Northwind', 'Fabrikam', 'Initech', 'Umbrella']))}</b></div>` : ''}${items.join('')}</nav>`;
  };
  const header = () => {
    const left = `<div class="logo">${staticIcon()}<b>${esc(r.pick(['Acme Cloud', 'Contoso', 'Northwind ERP', 'Fabrikam', 'Initech CRM', 'Portal']))}</b></div>`;
    const links = r.shuffle(W.NAV_WORDS).slice(0, r.int(0, 5)).map((t) => link(t)).join('');
    const right = [];
    if (s.bigSearch) right.push(textInput({ search: true, width: r.int(360, 720), cls: 'inp-pill' }));
    else if (r.bool(0.5)) right.push(textInput({ search: true, width: r.int(140, 260) }));
    for (let i = 0; i < r.int(0, 3); i++) right.push(anyIconButton(r.pick(['bell', 'gear', 'user', 'mail', 'info', 'menu'])));
    const mid = r.bool(0.25) ? Array.from({ length: r.int(1, 3) }, () => ghostButton(`${r.pick(W.NAV_WORDS)} ▾`)).join('') : '';
    if (r.bool(0.4)) right.push(button(r.pick(['Sign in', 'Upgrade', 'New', 'Log out'])));
    if (r.bool(0.3)) right.push(avatar());
    return `<header class="hdr">${left}<span class="hlinks">${links}</span>${mid}<span class="grow"></span>${right.join('')}</header>`;
  };
  const windowChrome = (title) => `<div class="titlebar">${staticIcon()}<span>${esc(title)}</span><span class="grow"></span>${iconButton('minus', { style: 'ghost', size: 28 })}${iconButton('maximize', { style: 'ghost', size: 28 })}${iconButton('close', { style: 'ghost', size: 28 })}</div>`;
  const toolbar = () => {
    const items = [];
    for (let i = 0; i < r.int(3, 9); i++) {
      if (r.bool(0.15)) items.push('<span class="vsep"></span>');
      items.push(r.weighted([[() => anyIconButton(undefined, { style: r.pick(['ghost', s.iconButtonStyle]) }), 8], [() => button(), 2], [letterButton, 1]])());
    }
    if (r.bool(0.4)) items.push(dropdown({ width: r.int(80, 140) }));
    return `<div class="toolbar">${items.join('')}</div>`;
  };
  const dialog = () => {
    const body = [];
    if (r.bool(0.6)) body.push(para(r.int(8, 30), r.bool(0.2)));
    for (let i = 0; i < r.int(0, 4); i++) body.push(r.bool(0.7) ? formRow() : optionGroup());
    return `<div class="backdrop"></div><div class="dialog" style="width:${r.int(320, 560)}px;left:${r.int(20, 55)}%;top:${r.int(10, 35)}%"><div class="dtitle"><b>${esc(r.pick(W.HEADINGS))}</b><span class="grow"></span>${iconButton('close', { style: 'ghost', size: Math.round(s.ctrlH * 0.9) })}</div>${body.join('')}${buttonRow(r.int(1, 3))}</div>`;
  };
  const boardSection = () => {
    const cols = Array.from({ length: r.int(2, 4) }, () => {
      const cards = Array.from({ length: r.int(1, 4) }, () => `<div class="bcard">${esc(text(r.int(2, 7)))}${r.bool(0.3) ? ` ${badge()}` : ''}</div>`).join('');
      return `<div class="bcol"><div class="dtitle"><b>${esc(r.pick(W.HEADINGS))}</b><span class="grow"></span>${anyIconButton('kebab', { style: 'ghost', size: Math.round(s.ctrlH * 0.8) })}</div>${cards}${ghostButton(undefined, { block: true })}</div>`;
    });
    return `<section class="board">${cols.join('')}</section>`;
  };
  const mainSections = (n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      out.push(r.weighted([[formSection, 3], [settingsSection, 2], [tableSection, 2], [textSection, 2], [cardGrid, 1], [() => `${tabs()}${formSection()}`, 1],
        [() => `<section class="card">${heading(3)}${listRows()}</section>`, 1], [boardSection, 0.6]])());
    }
    return out.join('');
  };

  // ---- page layouts -----------------------------------------------------------------------------------
  let bodyHtml;
  if (kind === 'desktop') {
    const hasRibbon = r.bool(0.3);
    const cols = r.int(1, 2);
    const groups = [];
    for (let i = 0; i < r.int(2, 4); i++) groups.push(`<fieldset class="gbox"><legend>${esc(r.pick(W.HEADINGS))}</legend>${r.bool(0.8) ? formSection() : settingsSection()}</fieldset>`);
    bodyHtml = `<div class="desk"><div class="window">${windowChrome(`${r.pick(W.HEADINGS)} - ${r.pick(['Acme Manager', 'Setup', 'Properties', 'Control Panel', 'Invoice Tool'])}`)}${hasRibbon ? ribbon() : `${r.bool(0.8) ? menubar() : ''}${r.bool(0.6) ? toolbar() : ''}`}${r.bool(0.5) ? tabs() : ''}<div class="wbody" style="grid-template-columns:repeat(${cols},1fr)">${groups.join('')}</div>${r.bool(0.4) ? tableSection() : ''}${hasRibbon && r.bool(0.6) ? sheetTabs() : ''}<div class="brow" style="justify-content:flex-end">${button('OK', { primary: r.bool() })}${button('Cancel')}${r.bool() ? button('Apply') : ''}</div><div class="statusbar muted">${esc(text(r.int(2, 6)))}</div></div></div>`;
  } else if (kind === 'web') {
    bodyHtml = `${header()}${r.bool(0.3) ? `<div class="pad">${tabs()}</div>` : ''}<main class="main" style="max-width:${r.int(700, 1400)}px;grid-template-columns:repeat(${r.int(1, 2)},1fr)">${mainSections(r.int(2, 5))}</main>`;
  } else if (kind === 'docs') {
    const side = `<nav class="sidebar" style="width:${r.int(200, 290)}px">${Array.from({ length: r.int(5, 14) }, (_, i) => (r.bool(0.15) ? `<div class="navsec muted">${esc(r.pick(W.HEADINGS))}</div>` : `<a data-el="link" data-eid="${nextId()}" href="#" class="navitem ${i === 1 ? 'active' : ''}">${esc(r.pick([...W.HEADINGS, ...W.NAV_WORDS]))}</a>`)).join('')}</nav>`;
    const body = [breadcrumb(), heading(1)];
    for (let i = 0; i < r.int(2, 5); i++) body.push(r.bool(0.3) ? heading(2) : '', para(r.int(15, 60), r.bool(0.6)));
    if (r.bool(0.4)) body.push(`<pre class="code">${esc(text(r.int(4, 12)))}</pre>`);
    body.push(prevNext());
    bodyHtml = `${header()}<div class="shell">${side}<main class="main docmain" style="grid-template-columns:1fr">${body.join('')}</main>${r.bool(0.7) ? tocLinks() : ''}</div>`;
  } else if (kind === 'settings') {
    const nav = r.bool(0.3) ? `<nav class="sidebar" style="width:${r.int(260, 380)}px">${r.bool(0.5) ? textInput({ search: true, width: r.int(220, 340) }) : ''}${listRows(r.int(4, 10))}</nav>` : sidebar();
    bodyHtml = `${r.bool(0.7) ? header() : ''}<div class="shell">${nav}<main class="main" style="grid-template-columns:1fr">${heading(1, r.pick(['Settings', 'Preferences', 'Account', 'Options', 'Configuration']))}${r.bool(0.5) ? tabs() : ''}${mainSections(r.int(2, 4))}</main></div>`;
  } else {
    bodyHtml = `<div class="shell">${sidebar()}<div style="flex:1">${header()}<main class="main" style="grid-template-columns:1fr">${r.bool(0.4) ? statCards() : ''}${r.bool(0.5) ? cardGrid() : ''}${tableSection()}${r.bool(0.5) ? tableSection() : formSection()}</main></div></div>`;
  }
  let overlay = '';
  const ov = r.weighted([['none', 6], ['dialog', 2], ['popup', 1.2]]);
  if (ov === 'dialog') overlay = dialog();
  if (ov === 'popup') overlay = popupMenu();
  // stop 13: a picker-style open menu on a quarter of the pages without another overlay (own random stream)
  const pr = createRandom(`popup:${seed}`);
  if (ov === 'none' && pr.bool(0.25)) overlay = pickerMenu(pr);

  const css = buildCss(s, r, kind);
  const html = `<!doctype html><html class="__THEME__"><head><meta charset="utf-8"><style>${css}</style></head><body class="k-${kind}">${bodyHtml}${overlay}</body></html>`;

  // Viewport in CSS px (spec: 1280x720 .. 1920x1080) and base theme/scale for variant 0.
  const vw = r.pick([1280, 1366, 1440, 1536, 1600, 1680, 1920]);
  const vh = Math.round(vw * r.pick([9 / 16, 10 / 16, 9 / 16, 0.5625]));
  return {
    html,
    kind,
    viewport: { width: vw, height: Math.min(Math.max(vh, 720), 1080) },
    baseTheme: r.bool() ? 'light' : 'dark',
    baseScaleIndex: r.int(0, 3),
  };
}

function buildCss(s, r, kind) {
  const h = s.hue;
  const ls = r.int(0, 25);
  const light = {
    bg: `hsl(${h},${ls}%,${r.int(90, 100)}%)`, surface: `hsl(${h},${ls}%,${r.int(97, 100)}%)`, fg: `hsl(${h},${r.int(0, 30)}%,${r.int(8, 25)}%)`,
    muted: `hsl(${h},${r.int(0, 15)}%,${r.int(38, 52)}%)`, border: `hsl(${h},${r.int(0, 20)}%,${r.int(68, 85)}%)`,
    inputBg: r.bool(0.8) ? '#fff' : `hsl(${h},${ls}%,95%)`, accent: `hsl(${s.accentHue},${s.accentSat}%,${r.int(35, 50)}%)`,
    soft: `hsl(${s.accentHue},${s.accentSat}%,92%)`, btnBg: `hsl(${h},${r.int(0, 15)}%,${r.int(88, 96)}%)`, chrome: `hsl(${h},${r.int(0, 20)}%,${r.int(82, 94)}%)`,
  };
  const dark = {
    bg: `hsl(${h},${ls}%,${r.int(6, 14)}%)`, surface: `hsl(${h},${ls}%,${r.int(12, 20)}%)`, fg: `hsl(${h},${r.int(0, 20)}%,${r.int(82, 96)}%)`,
    muted: `hsl(${h},${r.int(0, 15)}%,${r.int(55, 68)}%)`, border: `hsl(${h},${r.int(0, 15)}%,${r.int(26, 40)}%)`,
    inputBg: `hsl(${h},${ls}%,${r.int(8, 18)}%)`, accent: `hsl(${s.accentHue},${s.accentSat}%,${r.int(55, 68)}%)`,
    soft: `hsl(${s.accentHue},${Math.round(s.accentSat / 2)}%,22%)`, btnBg: `hsl(${h},${r.int(0, 15)}%,${r.int(22, 30)}%)`, chrome: `hsl(${h},${r.int(0, 20)}%,${r.int(16, 24)}%)`,
  };
  const vars = (p) => Object.entries(p).map(([k, v]) => `--${k}:${v};`).join('');
  const R = s.radius;
  const cs = s.checkSize;
  const pad = s.gap;
  return `
html.light{${vars(light)}color-scheme:light}
html.dark{${vars(dark)}color-scheme:dark}
*{box-sizing:border-box;transition:none!important;animation:none!important}
body{margin:0;background:var(--bg);color:var(--fg);font-family:${s.font};font-size:${s.fontSize}px;line-height:1.4}
.grow{flex:1}
.muted{color:var(--muted);font-size:.92em}
.hd{margin:.3em 0 .5em;font-weight:${r.pick([500, 600, 700])}}
h1.hd{font-size:${r.float(1.5, 2.2).toFixed(2)}em}h2.hd{font-size:${r.float(1.2, 1.5).toFixed(2)}em}h3.hd{font-size:${r.float(1.0, 1.2).toFixed(2)}em}
.pp{margin:.4em 0 .8em;max-width:${r.int(400, 900)}px}
.card{background:var(--surface);border:${r.bool(0.7) ? `1px solid var(--border)` : 'none'};border-radius:${Math.min(R, 12)}px;padding:${pad + 6}px;${s.shadow ? 'box-shadow:0 1px 4px rgba(0,0,0,.15);' : ''}margin-bottom:${pad}px;min-width:0}
.card.mini{display:flex;flex-direction:column;gap:6px}
.cgrid{display:grid;grid-template-columns:repeat(auto-fill,minmax(${r.int(180, 260)}px,1fr));gap:${pad}px;margin-bottom:${pad}px}
.main{display:grid;gap:${pad}px;padding:${pad + 8}px;align-items:start;margin:0 auto}
.pad{padding:0 ${pad + 8}px}
.shell{display:flex;min-height:100vh}
.sidebar{background:var(--chrome);padding:${pad}px 8px;display:flex;flex-direction:column;gap:${r.int(0, 6)}px;flex:none}
.navitem,.navlink{display:flex;align-items:center;gap:8px;padding:${r.int(4, 10)}px ${r.int(8, 14)}px;border-radius:${Math.min(R, 8)}px;color:var(--fg);text-decoration:none}
.navitem.active{background:var(--soft);color:var(--accent);font-weight:600}
.navsec{padding:8px 12px 2px;text-transform:uppercase;font-size:.75em}
.logo{display:flex;align-items:center;gap:8px;padding:6px 10px;font-size:1.1em}
.hdr{display:flex;align-items:center;gap:${r.int(8, 18)}px;padding:${r.int(6, 14)}px ${pad + 8}px;background:${r.bool() ? 'var(--chrome)' : 'var(--surface)'};border-bottom:1px solid var(--border)}
.hlinks{display:flex;gap:${r.int(10, 24)}px}
.hlinks .lnk{${r.bool() ? 'text-decoration:none;color:var(--fg)' : ''}}
.lnk{color:var(--accent);text-decoration:${s.linkUnderline ? 'underline' : 'none'};white-space:nowrap}
.btn{font:inherit;height:${s.ctrlH}px;padding:0 ${s.padX}px;border-radius:${R}px;border:${s.border}px solid transparent;cursor:pointer;display:inline-flex;align-items:center;gap:6px;white-space:nowrap;${s.upper ? 'text-transform:uppercase;letter-spacing:.04em;font-size:.9em;' : ''}font-weight:${r.pick([400, 500, 600])}}
.b-filled{background:var(--accent);color:#fff}
html.dark .b-filled{color:${r.pick(['#fff', '#111'])}}
.b-outline{background:transparent;border-color:var(--accent);color:var(--accent)}
.b-soft{background:var(--soft);color:var(--accent)}
.b-raised{background:var(--btnBg);color:var(--fg);border-color:var(--border);box-shadow:0 1px 2px rgba(0,0,0,.2)}
.bi{display:inline-flex}
.ib{display:inline-flex;align-items:center;justify-content:center;padding:0;border:${s.border}px solid transparent;background:transparent;color:var(--fg);border-radius:${Math.min(R, 8)}px;cursor:pointer;flex:none}
.ib-outline{border-color:var(--border)}
.ib-filled{background:var(--btnBg)}
.ib-round{border-radius:50%;background:var(--soft);color:var(--accent)}
.inp{font:inherit;height:${s.ctrlH}px;padding:0 8px;color:var(--fg);background:var(--inputBg);border:${s.border}px solid var(--border);border-radius:${Math.min(R, 10)}px;outline:none}
textarea.inp{padding:6px 8px;resize:none}
.inp-underline{border-width:0 0 ${s.border + 1}px 0;border-radius:0;background:transparent}
.inp-filled{background:var(--btnBg);border-color:transparent;border-bottom:2px solid var(--muted);border-radius:${Math.min(R, 6)}px ${Math.min(R, 6)}px 0 0}
.inp-inset{box-shadow:inset 0 1px 3px rgba(0,0,0,.25)}
.inwrap{display:inline-flex;align-items:center;gap:6px;color:var(--muted)}
.inwrap input{border:0;outline:0;background:transparent;font:inherit;color:var(--fg);flex:1;min-width:0}
.sel{font:inherit;height:${s.ctrlH}px;padding:0 8px;color:var(--fg);background:var(--inputBg);border:${s.border}px solid var(--border);border-radius:${Math.min(R, 10)}px}
.csel{display:inline-flex;align-items:center;justify-content:space-between;gap:6px}
.ncb,.nrd{width:${cs}px;height:${cs}px;margin:0;accent-color:var(--accent);flex:none}
.cb{display:inline-flex;align-items:center;justify-content:center;width:${cs}px;height:${cs}px;border:${Math.max(1, Math.round(cs / 9))}px solid var(--muted);background:var(--inputBg);flex:none;color:#fff}
.cb-square{border-radius:${Math.min(R, 2)}px}.cb-rounded{border-radius:${Math.round(cs / 4)}px}
.cb.on{background:var(--accent);border-color:var(--accent)}
.rd{display:inline-block;width:${cs}px;height:${cs}px;border-radius:50%;border:${Math.max(1, Math.round(cs / 9))}px solid var(--muted);background:var(--inputBg);flex:none}
.rd.on{border-color:var(--accent);background:radial-gradient(circle,var(--accent) 0 ${r.int(30, 45)}%,var(--inputBg) 50%)}
.tg{display:inline-block;position:relative;flex:none;cursor:pointer}
.tg-ios{width:${Math.round(cs * 2.3)}px;height:${Math.round(cs * 1.35)}px;border-radius:999px;background:var(--border)}
.tg-ios .knob{position:absolute;top:2px;left:2px;width:${Math.round(cs * 1.35) - 4}px;height:${Math.round(cs * 1.35) - 4}px;border-radius:50%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.3)}
.tg-ios.on{background:var(--accent)}.tg-ios.on .knob{left:auto;right:2px}
.tg-material{width:${Math.round(cs * 2.2)}px;height:${Math.round(cs * 1.3)}px}
.tg-material::before{content:'';position:absolute;left:2px;right:2px;top:25%;bottom:25%;border-radius:999px;background:var(--border)}
.tg-material .knob{position:absolute;top:0;left:0;width:${Math.round(cs * 1.3)}px;height:${Math.round(cs * 1.3)}px;border-radius:50%;background:#eee;box-shadow:0 1px 3px rgba(0,0,0,.4)}
.tg-material.on::before{background:var(--soft);opacity:.9}.tg-material.on .knob{left:auto;right:0;background:var(--accent)}
.tg-square{width:${Math.round(cs * 2.4)}px;height:${Math.round(cs * 1.2)}px;border:1px solid var(--muted);border-radius:${Math.min(R, 4)}px;background:var(--inputBg)}
.tg-square .knob{position:absolute;top:2px;left:2px;bottom:2px;width:45%;background:var(--muted);border-radius:${Math.min(R, 3)}px}
.tg-square.on{background:var(--accent);border-color:var(--accent)}.tg-square.on .knob{left:auto;right:2px;background:#fff}
.opt{display:flex;align-items:center;gap:${r.int(4, 10)}px;margin:${r.int(2, 6)}px 0}
.optr{justify-content:space-between;max-width:320px}
.ogroup.inline{display:flex;flex-wrap:wrap;gap:${r.int(8, 20)}px;align-items:center}
.fgrid{display:grid;gap:${r.int(6, 14)}px ${r.int(16, 40)}px;align-items:start}
.frow-h{display:flex;align-items:center;gap:10px}.frow-h .flabel{min-width:${r.int(80, 150)}px}
.frow-v{display:flex;flex-direction:column;gap:4px}
.fctrl{display:flex;gap:6px;align-items:center;flex-wrap:wrap}
.flabel{color:${r.bool() ? 'var(--fg)' : 'var(--muted)'};font-weight:${r.pick([400, 500, 600])}}
.brow{display:flex;gap:${r.int(6, 14)}px;align-items:center;margin-top:${r.int(6, 16)}px;flex-wrap:wrap}
.srow{display:flex;align-items:center;gap:20px;justify-content:space-between;padding:${r.int(6, 14)}px 0;border-bottom:${r.bool() ? '1px solid var(--border)' : '0'}}
.stitle{font-weight:${r.pick([500, 600])}}
.sctrl{display:flex;gap:6px;align-items:center}
.tbl{border-collapse:collapse;width:100%}
.tbl th{text-align:left;font-weight:600;color:var(--muted);padding:${r.int(4, 10)}px ${r.int(6, 12)}px;border-bottom:1px solid var(--border)}
.tbl td{padding:${r.int(3, 10)}px ${r.int(6, 12)}px;border-bottom:1px solid var(--border);white-space:nowrap}
.tbl.striped tbody tr:nth-child(odd){background:var(--bg)}
.acts{display:flex;gap:4px}
.badge{display:inline-block;padding:1px 8px;border-radius:${r.bool() ? 999 : 4}px;font-size:.8em;background:hsl(var(--bh),60%,88%);color:hsl(var(--bh),60%,28%)}
html.dark .badge{background:hsl(var(--bh),40%,25%);color:hsl(var(--bh),70%,80%)}
.avatar{display:inline-flex;align-items:center;justify-content:center;width:26px;height:26px;border-radius:50%;color:#fff;font-size:11px;vertical-align:middle}
.img{border-radius:${Math.min(R, 8)}px;overflow:hidden}
.chart{border:1px solid var(--border);padding:6px}
.prog{height:${r.int(4, 10)}px;background:var(--border);border-radius:999px;overflow:hidden;max-width:400px}.prog div{height:100%;background:var(--accent)}
.sicon{display:inline-flex;color:var(--muted);vertical-align:middle}
.tabs{display:flex;gap:${r.int(0, 8)}px;margin-bottom:${pad}px}
.tab{display:inline-flex;align-items:center;gap:6px;padding:${r.int(5, 10)}px ${r.int(10, 18)}px;cursor:pointer;color:var(--muted);white-space:nowrap}
.tabs-underline{border-bottom:1px solid var(--border)}.tabs-underline .tab.active{color:var(--accent);border-bottom:${r.int(2, 3)}px solid var(--accent)}
.tabs-boxed .tab{border:1px solid var(--border);border-bottom:0;border-radius:${Math.min(R, 6)}px ${Math.min(R, 6)}px 0 0;background:var(--btnBg)}.tabs-boxed .tab.active{background:var(--surface);color:var(--fg)}
.tabs-pill .tab{border-radius:999px}.tabs-pill .tab.active{background:var(--accent);color:#fff}
.tabs-segmented{display:inline-flex;gap:0;padding:2px;background:var(--btnBg);border-radius:${Math.min(R, 8) + 2}px}.tabs-segmented .tab{flex:1;justify-content:center;min-width:${r.int(60, 200)}px;border-radius:${Math.min(R, 8)}px;color:var(--fg)}.tabs-segmented .tab.active{background:var(--surface);box-shadow:0 1px 3px rgba(0,0,0,.25)}
.tabs-category{border-bottom:1px solid var(--border);gap:0}.tabs-category .tab{flex:1;max-width:${r.int(140, 250)}px;padding:${r.int(12, 18)}px ${r.int(12, 20)}px;gap:${r.int(10, 18)}px}.tabs-category .tab.active{color:var(--accent);box-shadow:inset 0 -3px 0 var(--accent)}
.tabs-ribbon{background:var(--chrome);gap:2px;padding:2px 6px 0}.tabs-ribbon .tab{padding:3px 10px;color:var(--fg)}.tabs-ribbon .tab.active{background:var(--surface);border:1px solid var(--border);border-bottom:0}
.rtabs{display:flex;gap:${r.int(0, 4)}px;padding:2px 6px 0;background:${r.bool() ? 'var(--accent)' : 'var(--chrome)'}}
.rtab{padding:${r.int(3, 6)}px ${r.int(8, 12)}px;color:${r.bool() ? 'var(--fg)' : 'inherit'};cursor:pointer}
.rtabs .rtab{${r.bool(0.5) ? 'color:#fff' : ''}}.rtab.active{background:var(--surface);color:var(--accent);border-radius:${Math.min(R, 4)}px ${Math.min(R, 4)}px 0 0;${r.bool() ? 'font-weight:600' : ''}}
.rpanel{display:flex;gap:0;padding:4px 6px;background:var(--surface);border-bottom:1px solid var(--border);flex-wrap:wrap}
.rgroup{display:flex;flex-direction:column;align-items:center;padding:0 8px;border-right:1px solid var(--border)}
.ritems{display:flex;align-items:flex-start;gap:2px;flex-wrap:wrap;max-width:${r.int(220, 360)}px}
.rsmall{display:flex;gap:2px;align-items:center;flex-wrap:wrap;max-width:160px}
.rlabel{font-size:.78em;padding-top:2px}
.rbig{font:inherit;font-size:.85em;display:flex;flex-direction:column;align-items:center;justify-content:flex-start;gap:2px;min-width:${r.int(44, 60)}px;height:${r.int(54, 68)}px;padding:4px;border:1px solid transparent;background:transparent;color:var(--fg);border-radius:${Math.min(R, 4)}px}
.rbi{font-size:1.6em;line-height:1.1;display:flex}
.stabs{display:flex;gap:1px;padding:0 8px;background:var(--chrome);border-top:1px solid var(--border)}
.stab{padding:2px 14px;background:var(--btnBg);border:1px solid var(--border);border-top:0;font-size:.9em}.stab.active{background:var(--surface);color:var(--accent);font-weight:600}
.bghost{background:transparent;color:var(--muted);border-color:transparent;justify-content:flex-start}
.bblock{width:100%}
.bbig{height:${Math.round(s.ctrlH * r.float(1.2, 1.6))}px;justify-content:center;font-size:1.05em}
.inp-pill{height:${Math.round(s.ctrlH * r.float(1.2, 1.5))}px;border-radius:${r.bool(0.6) ? 999 : Math.min(R, 10)}px;background:var(--btnBg);border-color:transparent;padding:0 14px}
.btext{background:transparent;color:var(--accent);border-color:transparent;text-transform:${r.bool(0.6) ? 'uppercase' : 'none'};font-weight:600;padding:0 8px}
.lgroup{display:flex;flex-direction:column;background:var(--surface);border-radius:${Math.min(R, 12)}px;${r.bool() ? 'border:1px solid var(--border);' : ''}overflow:hidden}
.lrow{display:flex;align-items:center;gap:12px;padding:${r.int(6, 12)}px ${r.int(10, 16)}px;color:var(--fg);text-decoration:none;border-bottom:1px solid var(--border)}
.lrt{display:flex;flex-direction:column}
.lgap{height:${r.int(10, 24)}px;background:var(--bg)}
.tile{display:inline-flex;align-items:center;justify-content:center;width:${r.int(24, 32)}px;height:${r.int(24, 32)}px;border-radius:${r.int(4, 9)}px;color:#fff;flex:none}
.stat{display:flex;flex-direction:column;border-radius:${Math.min(R, 6)}px;overflow:hidden;background:hsl(var(--sh),55%,45%);color:#fff}
.sbody{padding:${r.int(8, 16)}px}.sbody b{font-size:1.8em}
.sfoot{display:block;text-align:center;padding:${r.int(2, 6)}px;background:rgba(0,0,0,.15);color:#fff;text-decoration:none;font-size:.9em}
.pglink{display:inline-flex;align-items:center;justify-content:center;min-width:${s.ctrlH}px;height:${s.ctrlH}px;border:1px solid var(--border);color:var(--accent);text-decoration:none;margin-left:-1px}.pglink.active{background:var(--accent);color:#fff}
.crumbs{display:flex;gap:6px;align-items:center;flex-wrap:wrap;font-size:.92em}
.toc{display:flex;flex-direction:column;gap:${r.int(2, 8)}px;padding:${pad + 8}px 12px;width:${r.int(180, 240)}px;flex:none;font-size:.9em;border-left:1px solid var(--border)}
.tocl{color:var(--muted);text-decoration:none}
.pn{display:grid;grid-template-columns:1fr 1fr;gap:${r.int(8, 16)}px;margin-top:${pad}px}
.pnbox{display:block;border:1px solid var(--border);border-radius:${Math.min(R, 8)}px;padding:${r.int(10, 16)}px;text-decoration:none;color:var(--fg)}.pnt{color:var(--accent);font-weight:600}
.docmain{max-width:${r.int(700, 900)}px;align-content:start;display:block}
.code{background:var(--btnBg);padding:10px;border-radius:${Math.min(R, 6)}px;font-family:'DejaVu Sans Mono',monospace;white-space:pre-wrap}
.board{display:flex;gap:${pad}px;align-items:flex-start;overflow:hidden}
.bcol{background:var(--chrome);border-radius:${Math.min(R, 10)}px;padding:8px;width:${r.int(220, 290)}px;display:flex;flex-direction:column;gap:6px;flex:none}
.bcard{background:var(--surface);border-radius:${Math.min(R, 8)}px;padding:8px;box-shadow:0 1px 1px rgba(0,0,0,.2)}
.menubar{display:flex;gap:${r.int(0, 6)}px;padding:2px 6px;background:var(--chrome);border-bottom:1px solid var(--border)}
.mi{padding:${r.int(2, 6)}px ${r.int(6, 10)}px}
.popup{position:absolute;min-width:${r.int(160, 240)}px;background:var(--surface);border:1px solid var(--border);box-shadow:0 4px 14px rgba(0,0,0,.3);padding:4px 0;z-index:20;border-radius:${Math.min(R, 6)}px}
.pmi{display:flex;align-items:center;gap:8px;padding:${r.int(4, 8)}px ${r.int(10, 16)}px;white-space:nowrap}
.sep,.vsep{background:var(--border)}.sep{height:1px;margin:4px 0}.vsep{width:1px;align-self:stretch;margin:0 4px}
.toolbar{display:flex;align-items:center;gap:${r.int(2, 8)}px;padding:${r.int(3, 8)}px;flex-wrap:wrap}
.backdrop{position:fixed;inset:0;background:rgba(0,0,0,${r.float(0.45, 0.7).toFixed(2)});z-index:10}
.dialog{position:absolute;z-index:11;background:var(--surface);border-radius:${Math.min(R, 12)}px;padding:${pad + 8}px;box-shadow:0 8px 30px rgba(0,0,0,.5);border:1px solid var(--border)}
.dtitle{display:flex;align-items:center;gap:8px;margin-bottom:10px;font-size:1.1em}
.desk{min-height:100vh;padding:${r.int(0, 40)}px;background:${r.bool() ? `linear-gradient(${r.int(0, 360)}deg,hsl(${r.int(0, 359)},40%,40%),hsl(${r.int(0, 359)},40%,25%))` : 'var(--bg)'}}
.window{background:var(--surface);border:1px solid var(--border);box-shadow:0 4px 20px rgba(0,0,0,.35);max-width:${r.int(700, 1400)}px;padding-bottom:4px}
.titlebar{display:flex;align-items:center;gap:8px;padding:2px 2px 2px 10px;background:${r.bool() ? 'var(--accent);color:#fff' : 'var(--chrome)'}}
.wbody{display:grid;gap:10px;padding:10px}
.gbox{border:1px solid var(--border);border-radius:${Math.min(R, 4)}px;margin:0;padding:6px 10px;min-width:0}
.gbox .card{border:0;box-shadow:none;padding:4px;background:transparent;margin:0}
.window>.brow,.window>.card{margin:6px 10px}
.statusbar{border-top:1px solid var(--border);padding:3px 10px}
.ul{margin:.3em 0;padding-left:1.4em}
fieldset legend{color:var(--fg)}
`;
}
