/* win32-toolbox: a drawing program's tool palette and properties in DejaVu Sans Light 9 pt — toggles (push-like check
 * boxes, push-like radios, toolbar check and check-group buttons), trackbars of several styles, progress bars, up-down
 * buddies and plain radios/check boxes, the types held-out programs confuse most (a toggle read as a button, a radio
 * as a check box). Added in round 7 (2026-12-07, batch split by the sha256 rule). Arguments: alt (other toggles down,
 * other radios picked, other positions), vertical (the palette as a vertical toolbar), disabled. */
#include "app_common.h"

static int g_alt;

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&File", L"&Edit", L"&Tools", L"&Window", NULL };
  static const wchar_t *const items[] = { L"&Brush\tB", L"&Pencil\tP", L"&Eraser\tE", L"&Fill\tG", L"&Snap to grid", NULL };
  return menu_bar(tops, items, 4, 4, -1, MF_CHECKED);
}

/* A toolbar of check-group tools (one pressed) and check buttons, icons only or with text. */
static void tool_bar(int y, int list, int vertical) {
  HWND tb = toolbar(TBSTYLE_FLAT | CCS_NODIVIDER | CCS_NORESIZE | CCS_NOPARENTALIGN | (list ? TBSTYLE_LIST : 0) |
                    (vertical ? CCS_VERT | TBSTYLE_WRAPABLE : 0), IDB_STD_LARGE_COLOR);
  const int imgs[] = { STD_CUT, STD_COPY, STD_PASTE, STD_FIND, STD_REPLACE, STD_PRINT, STD_PROPERTIES, STD_UNDO };
  const wchar_t *texts[] = { L"Select", L"Clone", L"Stamp", L"Zoom", L"Swap", L"Print", L"Grid", L"History" };
  TBBUTTON b[10];
  int n = 0;
  for (int i = 0; i < 8; i++) {
    if (i == 5) b[n++] = (TBBUTTON){ 0, 0, TBSTATE_ENABLED, BTNS_SEP, {0}, 0, 0 };
    BYTE st = TBSTATE_ENABLED | (vertical ? TBSTATE_WRAP : 0);
    if (i < 5 && i == (g_alt ? 3 : 0)) st |= TBSTATE_CHECKED;
    if (i >= 5 && (i + g_alt) % 2 == 0) st |= TBSTATE_CHECKED;
    b[n++] = (TBBUTTON){ imgs[i], 10 + i, st, (i < 5 ? BTNS_CHECKGROUP : BTNS_CHECK) | BTNS_AUTOSIZE, {0}, 0,
                         list ? (INT_PTR)texts[i] : 0 };
  }
  SendMessageW(tb, TB_ADDBUTTONSW, n, (LPARAM)b);
  if (vertical) MoveWindow(tb, S(8), S(y), S(48), S(420), FALSE);
  else MoveWindow(tb, S(8), S(y), S(760), S(list ? 42 : 46), FALSE);
}

static void toggle_row(const wchar_t *const *labels, DWORD kind, int x, int y, int w, int down) {
  for (int i = 0; labels[i]; i++) {
    HWND t = ctl(L"Button", labels[i], kind | BS_PUSHLIKE | WS_TABSTOP | (i == 0 ? WS_GROUP : 0), x + i * (w + 4), y, w, 26);
    if (kind == BS_AUTORADIOBUTTON ? i == down : (i + down) % 2 == 0) SendMessageW(t, BM_SETCHECK, BST_CHECKED, 0);
  }
}

static void slider(const wchar_t *label, int x, int y, int w, DWORD style, int pos) {
  ctl(L"Static", label, 0, x, y + 8, 90, 18);
  HWND t = trackbar_set(ctl(TRACKBAR_CLASSW, L"", WS_TABSTOP | style, x + 92, y, w, 34), 0, 100, 10, pos);
  if (style & TBS_ENABLESELRANGE) SendMessageW(t, TBM_SETSEL, TRUE, MAKELPARAM(20, 70));
}

static void spin(const wchar_t *label, int x, int y, int value, DWORD align) {
  ctl(L"Static", label, 0, x, y + 4, 90, 18);
  HWND e = edit(L"", ES_NUMBER, x + 92, y, 64, 22);
  updown_buddy(updown_plain(UDS_SETBUDDYINT | UDS_ARROWKEYS | align), e, 0, 999, value);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  g_alt = has_arg(L"alt");
  int vertical = has_arg(L"vertical");
  app_init(L"DejaVu Sans Light", 9, FW_NORMAL);
  HWND top = main_window(L"RpaToolbox", L"Tools - untitled.png", quit_proc, 900, 640, build_menu());
  int x0 = vertical ? 70 : 8;
  tool_bar(4, 0, vertical);
  if (!vertical) tool_bar(52, 1, 0);
  int y = vertical ? 8 : 100;
  ctl(L"Button", L"Text", BS_GROUPBOX, x0, y, 400, 132);
  static const wchar_t *const faces[] = { L"Bold", L"Italic", L"Underline", L"Strike", NULL };
  toggle_row(faces, BS_AUTOCHECKBOX, x0 + 12, y + 22, 88, g_alt);
  static const wchar_t *const align[] = { L"Left", L"Centre", L"Right", L"Justify", NULL };
  toggle_row(align, BS_AUTORADIOBUTTON, x0 + 12, y + 56, 88, g_alt ? 2 : 0);
  static const wchar_t *const caps[] = { L"Aa", L"AA", L"aa", NULL };
  toggle_row(caps, BS_AUTORADIOBUTTON, x0 + 12, y + 90, 40, g_alt ? 0 : 1);
  ctl(L"Button", L"Anti-alias", BS_AUTOCHECKBOX | WS_TABSTOP, x0 + 160, y + 94, 110, 18);
  ctl(L"Button", L"Kerning", BS_AUTOCHECKBOX | WS_TABSTOP | BS_LEFTTEXT, x0 + 276, y + 94, 100, 18);
  ctl(L"Button", L"Brush", BS_GROUPBOX, x0 + 412, y, 400, 190);
  slider(L"Size", x0 + 424, y + 20, 280, TBS_AUTOTICKS, g_alt ? 80 : 25);
  slider(L"Hardness", x0 + 424, y + 60, 280, TBS_NOTICKS, g_alt ? 10 : 60);
  slider(L"Opacity", x0 + 424, y + 100, 280, TBS_AUTOTICKS | TBS_TOP | TBS_ENABLESELRANGE, g_alt ? 45 : 100);
  slider(L"Spacing", x0 + 424, y + 140, 280, TBS_AUTOTICKS | TBS_BOTH, g_alt ? 5 : 33);
  ctl(L"Button", L"Snap", BS_GROUPBOX, x0, y + 140, 400, 120);
  static const wchar_t *const snaps[] = { L"None", L"Grid", L"Guides", L"Objects", NULL };
  for (int i = 0; snaps[i]; i++) {
    HWND r = ctl(L"Button", snaps[i], BS_AUTORADIOBUTTON | WS_TABSTOP | (i == 0 ? WS_GROUP : 0), x0 + 12 + (i % 2) * 190,
                 y + 162 + (i / 2) * 24, 170, 18);
    if (i == (g_alt ? 3 : 1)) SendMessageW(r, BM_SETCHECK, BST_CHECKED, 0);
  }
  spin(L"Grid (px)", x0 + 12, y + 216, 16, UDS_ALIGNRIGHT);
  spin(L"Subdivide", x0 + 200, y + 216, 4, UDS_ALIGNLEFT);
  ctl(L"Button", L"Canvas", BS_GROUPBOX, x0 + 412, y + 200, 400, 180);
  spin(L"Width", x0 + 424, y + 222, 800, UDS_ALIGNRIGHT);
  spin(L"Height", x0 + 424, y + 252, 600, UDS_ALIGNRIGHT);
  ctl(L"Button", L"Lock ratio", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, x0 + 620, y + 234, 100, 28);
  HWND h = ctl(UPDOWN_CLASSW, L"", UDS_HORZ | WS_TABSTOP, x0 + 730, y + 234, 60, 26);
  SendMessageW(h, UDM_SETRANGE32, 0, 10);
  ctl(L"Static", L"Rendering", 0, x0 + 424, y + 290, 90, 18);
  HWND p1 = ctl(PROGRESS_CLASSW, L"", 0, x0 + 516, y + 288, 280, 20);
  SendMessageW(p1, PBM_SETPOS, g_alt ? 88 : 37, 0);
  ctl(L"Static", L"Memory", 0, x0 + 424, y + 318, 90, 18);
  HWND p2 = ctl(PROGRESS_CLASSW, L"", PBS_SMOOTH, x0 + 516, y + 316, 280, 20);
  SendMessageW(p2, PBM_SETPOS, g_alt ? 20 : 64, 0);
  HWND pv = ctl(PROGRESS_CLASSW, L"", PBS_VERTICAL | PBS_SMOOTH, x0 + 360, y + 270, 24, 110);
  SendMessageW(pv, PBM_SETPOS, 55, 0);
  HWND tv = ctl(TRACKBAR_CLASSW, L"", TBS_VERT | TBS_AUTOTICKS | TBS_LEFT | WS_TABSTOP, x0 + 300, y + 270, 44, 110);
  trackbar_set(tv, 0, 10, 1, g_alt ? 2 : 7);
  ctl(L"Button", L"Show rulers", BS_AUTOCHECKBOX | WS_TABSTOP, x0 + 12, y + 280, 150, 18);
  ctl(L"Button", L"Show grid", BS_AUTOCHECKBOX | WS_TABSTOP, x0 + 12, y + 304, 150, 18);
  ctl(L"Button", L"Pixel preview", BS_AUTO3STATE | WS_TABSTOP, x0 + 12, y + 328, 150, 18);
  ctl(L"Button", L"Apply", BS_DEFPUSHBUTTON | WS_TABSTOP, x0 + 12, y + 360, 90, 28);
  ctl(L"Button", L"Reset", WS_TABSTOP, x0 + 110, y + 360, 90, 28);
  apply_disabled(top);
  return run_loop(top);
}
