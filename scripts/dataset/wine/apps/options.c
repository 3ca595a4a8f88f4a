/* win32-options: an application's Options window in MS Sans Serif 8 pt (Wine's bitmap font; DejaVu Serif Condensed
 * 10 pt when large) with a tab control of four pages — radio buttons, check boxes and toggles are the family's weakest
 * types on held-out programs. General: four radio groups (plain, BS_LEFTTEXT, push-like, multi-line) in group boxes;
 * Editing: check boxes of every kind (auto, 3-state mixed, left text, flat, multi-line) and push-like B/I/U/S toggles;
 * Display: trackbars, up-down buddies, progress bars, radio rows; Advanced: a check-box list view, a list box, a
 * drop-down. Added in round 7 (2026-12-07, batch split by the sha256 rule). Arguments: page=N (0..3), alt (other
 * radios and boxes set), large, disabled. */
#include "app_tabs.h"

static int g_alt;

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&File", L"&Tools", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&Import settings...", L"&Export settings...", L"&Reset to defaults", L"&Close", NULL };
  return menu_bar(tops, items, 3, 2, -1, MF_GRAYED);
}

/* A group box with `n` radios of one group (WS_GROUP on the first); `pick` is checked. */
static void radio_group(int page, const wchar_t *title, const wchar_t *const *labels, DWORD style, int x, int y, int w, int dy,
                        int h, int pick, int columns) {
  int n = 0;
  while (labels[n]) n++;
  int rows = (n + columns - 1) / columns;
  add(page, ctl(L"Button", title, BS_GROUPBOX, x, y, w, 26 + rows * dy));
  for (int i = 0; i < n; i++) {
    int cx = x + 12 + (i % columns) * ((w - 24) / columns), cy = y + 22 + (i / columns) * dy;
    HWND r = add(page, ctl(L"Button", labels[i], BS_AUTORADIOBUTTON | style | WS_TABSTOP | (i == 0 ? WS_GROUP : 0), cx, cy,
                           (w - 24) / columns - 6, h));
    if (i == pick) SendMessageW(r, BM_SETCHECK, BST_CHECKED, 0);
  }
}

static void page_general(void) {
  static const wchar_t *const start[] = { L"Open a blank document", L"Open the last document", L"Show the start page",
    L"Show nothing", NULL };
  radio_group(0, L"When the program starts", start, 0, 20, 44, 300, 24, 18, g_alt ? 2 : 0, 1);
  static const wchar_t *const units[] = { L"Millimetres", L"Centimetres", L"Inches", L"Points", L"Picas", L"Pixels", NULL };
  radio_group(0, L"Measurement units", units, BS_LEFTTEXT | BS_RIGHT, 340, 44, 400, 24, 18, g_alt ? 4 : 1, 2);
  static const wchar_t *const quality[] = { L"Draft", L"Normal", L"High", L"Best", NULL };
  radio_group(0, L"Print quality", quality, BS_PUSHLIKE, 20, 180, 300, 34, 28, g_alt ? 3 : 1, 4);
  static const wchar_t *const save[] = { L"Save automatically every ten minutes to the recovery folder",
    L"Ask before closing a changed document", L"Never save automatically", NULL };
  radio_group(0, L"Recovery", save, BS_MULTILINE | BS_TOP, 340, 150, 400, 40, 34, g_alt ? 1 : 0, 1);
  add(0, ctl(L"Static", L"User name:", 0, 20, 262, 90, 16));
  add(0, edit(L"A. Operator", ES_AUTOHSCROLL, 110, 258, 210, 22));
  add(0, ctl(L"Button", L"Use this name in comments", BS_AUTOCHECKBOX | WS_TABSTOP, 20, 290, 300, 18));
}

static void page_editing(void) {
  static const wchar_t *const boxes[] = { L"Check spelling as you type", L"Check grammar with spelling", L"Show formatting marks",
    L"Smart quotes", L"Automatic lists", L"Replace tabs with spaces", L"Keep the selection after paste",
    L"Drag and drop text", NULL };
  add(1, ctl(L"Button", L"Editing options", BS_GROUPBOX, 20, 44, 360, 250));
  for (int i = 0; boxes[i]; i++) {
    DWORD s = i == 2 ? BS_AUTO3STATE : BS_AUTOCHECKBOX;
    if (i == 5) s |= BS_LEFTTEXT;
    if (i == 6) s |= BS_FLAT;
    HWND b = add(1, ctl(L"Button", boxes[i], s | WS_TABSTOP, 32, 66 + i * 26, 330, 18));
    int on = (i * 5 + g_alt) % 3 != 0;
    SendMessageW(b, BM_SETCHECK, i == 2 ? (g_alt ? BST_CHECKED : BST_INDETERMINATE) : on ? BST_CHECKED : BST_UNCHECKED, 0);
  }
  add(1, ctl(L"Button", L"Ignore words in UPPERCASE and words that contain numbers or internet addresses",
             BS_AUTOCHECKBOX | BS_MULTILINE | WS_TABSTOP, 400, 54, 330, 36));
  add(1, ctl(L"Static", L"Default text style", 0, 400, 110, 200, 16));
  static const wchar_t *const faces[] = { L"B", L"I", L"U", L"S", NULL };
  for (int i = 0; faces[i]; i++) {
    HWND t = add(1, ctl(L"Button", faces[i], BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 400 + i * 36, 130, 32, 28));
    if ((i + g_alt) % 2 == 0) SendMessageW(t, BM_SETCHECK, BST_CHECKED, 0);
  }
  static const wchar_t *const pins[] = { L"Pin ruler", L"Pin toolbar", NULL };
  for (int i = 0; pins[i]; i++) {
    HWND t = add(1, ctl(L"Button", pins[i], BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 560 + i * 96, 130, 90, 28));
    if (i != g_alt) SendMessageW(t, BM_SETCHECK, BST_CHECKED, 0);
  }
  add(1, ctl(L"Static", L"Undo levels:", 0, 400, 182, 100, 16));
  HWND e = add(1, edit(L"", ES_NUMBER, 500, 178, 60, 22));
  updown_buddy(add(1, updown_plain(UDS_SETBUDDYINT | UDS_ALIGNRIGHT | UDS_ARROWKEYS)), e, 1, 500, 100);
  add(1, ctl(L"Button", L"Restore defaults", WS_TABSTOP, 400, 262, 130, 26));
}

static void page_display(void) {
  static const wchar_t *const names[] = { L"Zoom", L"Contrast", L"Scroll speed", NULL };
  for (int i = 0; names[i]; i++) {
    add(2, ctl(L"Static", names[i], 0, 20, 54 + i * 44, 110, 18));
    trackbar_set(add(2, ctl(TRACKBAR_CLASSW, L"", WS_TABSTOP | (i == 1 ? TBS_NOTICKS : TBS_AUTOTICKS | (i ? TBS_TOP : 0)),
                            130, 48 + i * 44, 320, 34)), 0, 20, 2, (7 + i * 5 + g_alt * 3) % 21);
  }
  static const wchar_t *const spins[] = { L"Margin (mm)", L"Columns", NULL };
  for (int i = 0; spins[i]; i++) {
    add(2, ctl(L"Static", spins[i], 0, 480, 54 + i * 34, 100, 18));
    HWND e = add(2, edit(L"", ES_NUMBER, 590, 50 + i * 34, 60, 22));
    updown_buddy(add(2, updown_plain(UDS_SETBUDDYINT | UDS_ARROWKEYS | (i ? UDS_ALIGNLEFT : UDS_ALIGNRIGHT))), e, 0, 99, 12 + i);
  }
  static const wchar_t *const meters[] = { L"Cache used", L"Fonts loaded", NULL };
  for (int i = 0; meters[i]; i++) {
    add(2, ctl(L"Static", meters[i], 0, 20, 200 + i * 30, 110, 18));
    SendMessageW(add(2, ctl(PROGRESS_CLASSW, L"", i ? PBS_SMOOTH : 0, 130, 198 + i * 30, 320, 20)), PBM_SETPOS, 30 + i * 45, 0);
  }
  static const wchar_t *const theme[] = { L"Light", L"Dark", L"System", NULL };
  radio_group(2, L"Colours", theme, 0, 480, 130, 260, 24, 18, g_alt ? 1 : 2, 3);
  static const wchar_t *const tabs[] = { L"Tabs on top", L"Tabs at the bottom", NULL };
  radio_group(2, L"Document tabs", tabs, 0, 480, 200, 260, 24, 18, g_alt, 1);
}

static void page_advanced(void) {
  HWND lv = add(3, ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, 20, 44, 420, 240, 0));
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_CHECKBOXES | LVS_EX_FULLROWSELECT);
  static const wchar_t *const cols[] = { L"Add-in", L"Version", L"Publisher", NULL };
  static const int widths[] = { 170, 70, 150 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const addins[] = { L"Citation manager", L"Chart wizard", L"Mail merge", L"PDF export", L"Thesaurus",
    L"Barcode fonts", L"Equation editor", L"Track changes+", L"Translator", L"Word count live", NULL };
  for (int i = 0; addins[i]; i++) {
    wchar_t ver[16];
    swprintf(ver, 16, L"%d.%d", 1 + i % 4, (i * 7) % 10);
    const wchar_t *cells[] = { addins[i], ver, i % 2 ? L"Contoso Ltd" : L"Fabrikam Inc", NULL };
    lv_row(lv, i, cells, 0);
    if ((i + g_alt) % 3) ListView_SetCheckState(lv, i, TRUE);
  }
  add(3, ctl(L"Static", L"File formats", 0, 460, 44, 200, 16));
  HWND lb = add(3, ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_NOTIFY | LBS_EXTENDEDSEL | WS_VSCROLL | WS_TABSTOP, 460, 64, 280, 160, 0));
  static const wchar_t *const fmts[] = { L"OpenDocument Text", L"Word 2007-365", L"Rich Text Format", L"Plain text", L"HTML",
    L"Markdown", L"PDF", L"EPUB", L"DocBook", L"LaTeX", NULL };
  add_strings(lb, LB_ADDSTRING, fmts);
  SendMessageW(lb, LB_SELITEMRANGE, TRUE, MAKELPARAM(1, 2));
  add(3, ctl(L"Static", L"Default format", 0, 460, 240, 120, 16));
  HWND cb = add(3, ctl(L"ComboBox", L"", CBS_DROPDOWNLIST | WS_VSCROLL | WS_TABSTOP, 580, 236, 160, 200));
  add_strings(cb, CB_ADDSTRING, fmts);
  SendMessageW(cb, CB_SETCURSEL, g_alt ? 4 : 0, 0);
  add(3, ctl(L"Button", L"Load add-ins at startup", BS_AUTOCHECKBOX | WS_TABSTOP, 20, 296, 260, 18));
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  int large = has_arg(L"large");
  g_alt = has_arg(L"alt");
  app_init(large ? L"DejaVu Serif Condensed" : L"MS Sans Serif", large ? 10 : 8, FW_NORMAL);
  HWND top = main_window(L"RpaOptions", L"Options - Writer", tabs_proc, 800, 450, build_menu());
  static const wchar_t *const names[] = { L"General", L"Editing", L"Display", L"Advanced" };
  tabs(WS_TABSTOP | WS_CLIPSIBLINGS, 8, 8, 768, 330, names);
  page_general();
  page_editing();
  page_display();
  page_advanced();
  ctl(L"Button", L"OK", BS_DEFPUSHBUTTON | WS_TABSTOP, 520, 350, 80, 26);
  ctl(L"Button", L"Cancel", WS_TABSTOP, 608, 350, 80, 26);
  ctl(L"Button", L"Apply", WS_TABSTOP, 696, 350, 80, 26);
  tabs_start();
  apply_disabled(top);
  return run_loop(top);
}
