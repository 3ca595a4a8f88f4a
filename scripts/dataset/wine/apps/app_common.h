/* Shared by the test programs: DPI-aware layout in 96-dpi units, one font per program, argv state flags, the main
 * window (class, quit-on-close procedure, message loop) and the pieces several programs build the same way (menu bar,
 * toolbar, status bar, up-down buddies, trackbars). Each program is a plain CreateWindowEx window (no resource
 * compiler), so its own controls and layout stay readable in its file. */
#ifndef APP_COMMON_H
#define APP_COMMON_H
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <commctrl.h>
#include <shellapi.h>
#include <wchar.h>
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"

static int g_dpi = 96;
static HFONT g_font;
static HWND g_parent;
static int g_argc;
static wchar_t **g_argv;

static int S(int v) { return MulDiv(v, g_dpi, 96); }

/* The command line, read once: has_arg works before app_init (a program that picks its font by argument). */
static void read_args(void) {
  if (!g_argv) g_argv = CommandLineToArgvW(GetCommandLineW(), &g_argc);
}

/* True when the program was started with this word as an argument (e.g. "disabled", "scrolled"). */
static int has_arg(const wchar_t *word) {
  read_args();
  for (int i = 1; i < g_argc; i++) if (!wcscmp(g_argv[i], word)) return 1;
  return 0;
}

/* The number after `prefix` in the last argument that starts with it ("page=2", "step=1"), else `fallback`. */
static int arg_int(const wchar_t *prefix, int fallback) {
  read_args();
  size_t n = wcslen(prefix);
  int v = fallback;
  for (int i = 1; i < g_argc; i++) if (!wcsncmp(g_argv[i], prefix, n)) v = _wtoi(g_argv[i] + n);
  return v;
}

static void app_init(const wchar_t *face, int points, int weight) {
  SetProcessDPIAware();
  read_args();
  HDC dc = GetDC(NULL);
  g_dpi = GetDeviceCaps(dc, LOGPIXELSY);
  ReleaseDC(NULL, dc);
  INITCOMMONCONTROLSEX icc = { sizeof icc, 0xFFFF };
  InitCommonControlsEx(&icc);
  g_font = CreateFontW(-MulDiv(points, g_dpi, 72), 0, 0, 0, weight, 0, 0, 0, DEFAULT_CHARSET, 0, 0, CLEARTYPE_QUALITY, 0, face);
}

static HWND ctl_ex(DWORD ex, const wchar_t *cls, const wchar_t *text, DWORD style, int x, int y, int w, int h, int id) {
  HWND c = CreateWindowExW(ex, cls, text, WS_CHILD | WS_VISIBLE | style, S(x), S(y), S(w), S(h), g_parent,
                           (HMENU)(INT_PTR)id, GetModuleHandleW(NULL), NULL);
  SendMessageW(c, WM_SETFONT, (WPARAM)g_font, TRUE);
  return c;
}
static HWND ctl(const wchar_t *cls, const wchar_t *text, DWORD style, int x, int y, int w, int h) {
  static int next = 1000;
  return ctl_ex(0, cls, text, style, x, y, w, h, next++);
}
static HWND edit(const wchar_t *text, DWORD style, int x, int y, int w, int h) {
  return ctl_ex(WS_EX_CLIENTEDGE, L"Edit", text, WS_TABSTOP | style, x, y, w, h, 0);
}
static void add_strings(HWND combo_or_list, UINT msg, const wchar_t *const *items) {
  for (; *items; items++) SendMessageW(combo_or_list, msg, 0, (LPARAM)*items);
}
static void lv_columns(HWND lv, const wchar_t *const *names, const int *widths) {
  for (int i = 0; names[i]; i++) {
    LVCOLUMNW c = { LVCF_TEXT | LVCF_WIDTH, 0, S(widths[i]), (wchar_t *)names[i] };
    SendMessageW(lv, LVM_INSERTCOLUMNW, i, (LPARAM)&c);
  }
}
static void lv_row(HWND lv, int row, const wchar_t *const *cells, int image) {
  LVITEMW it = { LVIF_TEXT | LVIF_IMAGE, row, 0, 0, 0, (wchar_t *)cells[0] };
  it.iImage = image;
  SendMessageW(lv, LVM_INSERTITEMW, 0, (LPARAM)&it);
  for (int k = 1; cells[k]; k++) {
    LVITEMW s = { LVIF_TEXT, row, k, 0, 0, (wchar_t *)cells[k] };
    SendMessageW(lv, LVM_SETITEMTEXTW, row, (LPARAM)&s);
  }
}
static HTREEITEM tv_add(HWND tv, HTREEITEM parent, const wchar_t *text, int image) {
  TVINSERTSTRUCTW ins = { parent, TVI_LAST };
  ins.item.mask = TVIF_TEXT | TVIF_IMAGE | TVIF_SELECTEDIMAGE;
  ins.item.pszText = (wchar_t *)text;
  ins.item.iImage = ins.item.iSelectedImage = image;
  return (HTREEITEM)SendMessageW(tv, TVM_INSERTITEMW, 0, (LPARAM)&ins);
}
/* The six stock icons as an image list of `px` (96-dpi units) square images. */
static HIMAGELIST icons(int px) {
  int sz = S(px);
  HIMAGELIST il = ImageList_Create(sz, sz, ILC_COLOR32 | ILC_MASK, 6, 0);
  const LPCWSTR ids[] = { IDI_APPLICATION, IDI_INFORMATION, IDI_WARNING, IDI_QUESTION, IDI_ERROR, IDI_SHIELD };
  for (int i = 0; i < 6; i++) ImageList_AddIcon(il, LoadIconW(NULL, ids[i]));
  return il;
}
static HIMAGELIST icons_small(void) { return icons(16); }
static HIMAGELIST icons_large(void) { return icons(32); }

/* A menu bar of `tops`, each with the same `items` (ids 100 * top + item + 1); a separator before item `sep_before`
 * (-1: none); `mark_flag` (MF_GRAYED, MF_CHECKED) on item `mark_item` of top `mark_top` (-1: of every top). */
static HMENU menu_bar(const wchar_t *const *tops, const wchar_t *const *items, int sep_before, int mark_item, int mark_top,
                      UINT mark_flag) {
  HMENU bar = CreateMenu();
  for (int t = 0; tops[t]; t++) {
    HMENU p = CreatePopupMenu();
    for (int i = 0; items[i]; i++) {
      if (i == sep_before) AppendMenuW(p, MF_SEPARATOR, 0, NULL);
      AppendMenuW(p, MF_STRING | (i == mark_item && (mark_top < 0 || t == mark_top) ? mark_flag : 0), 100 * t + i + 1, items[i]);
    }
    AppendMenuW(bar, MF_POPUP, (UINT_PTR)p, tops[t]);
  }
  return bar;
}

/* A toolbar with the standard bitmap `images` (IDB_STD_SMALL_COLOR, IDB_STD_LARGE_COLOR); the caller adds buttons. */
static HWND toolbar(DWORD style, WPARAM images) {
  HWND tb = ctl(TOOLBARCLASSNAMEW, L"", style, 0, 0, 0, 0);
  SendMessageW(tb, TB_BUTTONSTRUCTSIZE, sizeof(TBBUTTON), 0);
  SendMessageW(tb, TB_LOADIMAGES, images, (LPARAM)HINST_COMMCTRL);
  return tb;
}

/* A status bar with a size grip and three parts: the first two end at `end0` and `end1` (96-dpi units). */
static HWND status_bar(int end0, int end1, const wchar_t *text0, const wchar_t *text1, const wchar_t *text2) {
  HWND sb = ctl(STATUSCLASSNAMEW, L"", SBARS_SIZEGRIP, 0, 0, 0, 0);
  int parts[] = { S(end0), S(end1), -1 };
  SendMessageW(sb, SB_SETPARTS, 3, (LPARAM)parts);
  SendMessageW(sb, SB_SETTEXTW, 0, (LPARAM)text0);
  SendMessageW(sb, SB_SETTEXTW, 1, (LPARAM)text1);
  SendMessageW(sb, SB_SETTEXTW, 2, (LPARAM)text2);
  return sb;
}

/* An up-down control made without ctl() (no control id, no font: the programs that keep a page's controls in a list). */
static HWND updown_plain(DWORD style) {
  return CreateWindowExW(0, UPDOWN_CLASSW, L"", WS_CHILD | WS_VISIBLE | style, 0, 0, 0, 0, g_parent, NULL, GetModuleHandleW(NULL), NULL);
}
/* Attaches an up-down control to its buddy edit with a range and a position. */
static HWND updown_buddy(HWND updown, HWND buddy, int lo, int hi, int pos) {
  SendMessageW(updown, UDM_SETBUDDY, (WPARAM)buddy, 0);
  SendMessageW(updown, UDM_SETRANGE32, lo, hi);
  SendMessageW(updown, UDM_SETPOS32, 0, pos);
  return updown;
}

/* A trackbar's range, tick frequency and position. */
static HWND trackbar_set(HWND t, int lo, int hi, int freq, int pos) {
  SendMessageW(t, TBM_SETRANGE, TRUE, MAKELPARAM(lo, hi));
  SendMessageW(t, TBM_SETTICFREQ, freq, 0);
  SendMessageW(t, TBM_SETPOS, TRUE, pos);
  return t;
}
/* Disables every other child control when started with "disabled" (the disabled-controls state). */
static BOOL CALLBACK disable_some(HWND h, LPARAM n) {
  int *k = (int *)n;
  if ((*k)++ % 2 == 0) EnableWindow(h, FALSE);
  return TRUE;
}
static void apply_disabled(HWND top) {
  int k = 0;
  if (has_arg(L"disabled")) EnumChildWindows(top, disable_some, (LPARAM)&k);
}
/* The main window's procedure when a program needs nothing else: closing the window ends the program. Programs with a
 * procedure of their own end it with `return quit_proc(h, m, w, l);`. */
static LRESULT CALLBACK quit_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m == WM_DESTROY) PostQuitMessage(0);
  return DefWindowProcW(h, m, w, l);
}
static HWND main_window(const wchar_t *cls, const wchar_t *title, WNDPROC proc, int w, int h, HMENU menu) {
  WNDCLASSW wc = { 0, proc, 0, 0, GetModuleHandleW(NULL), LoadIconW(NULL, IDI_APPLICATION), LoadCursorW(NULL, IDC_ARROW),
                   (HBRUSH)(COLOR_BTNFACE + 1), NULL, cls };
  RegisterClassW(&wc);
  HWND top = CreateWindowExW(0, cls, title, WS_OVERLAPPEDWINDOW, S(40), S(30), S(w), S(h), NULL, menu,
                             GetModuleHandleW(NULL), NULL);
  g_parent = top;
  return top;
}
static int run_loop(HWND top) {
  ShowWindow(top, SW_SHOW);
  UpdateWindow(top);
  MSG m;
  while (GetMessageW(&m, NULL, 0, 0) > 0) {
    if (!IsDialogMessageW(top, &m)) { TranslateMessage(&m); DispatchMessageW(&m); }
  }
  return 0;
}
#endif
