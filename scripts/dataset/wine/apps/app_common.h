/* Shared by the test programs: DPI-aware layout in 96-dpi units, one font per program, argv state flags.
 * Each program is a plain CreateWindowEx window (no resource compiler), so the layout is readable in its file. */
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

/* True when the program was started with this word as an argument (e.g. "disabled", "scrolled"). */
static int has_arg(const wchar_t *word) {
  for (int i = 1; i < g_argc; i++) if (!wcscmp(g_argv[i], word)) return 1;
  return 0;
}

static void app_init(const wchar_t *face, int points, int weight) {
  SetProcessDPIAware();
  g_argv = CommandLineToArgvW(GetCommandLineW(), &g_argc);
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
static HIMAGELIST icons_small(void) {
  int sz = S(16);
  HIMAGELIST il = ImageList_Create(sz, sz, ILC_COLOR32 | ILC_MASK, 6, 0);
  const LPCWSTR ids[] = { IDI_APPLICATION, IDI_INFORMATION, IDI_WARNING, IDI_QUESTION, IDI_ERROR, IDI_SHIELD };
  for (int i = 0; i < 6; i++) ImageList_AddIcon(il, LoadIconW(NULL, ids[i]));
  return il;
}
static HIMAGELIST icons_large(void) {
  int sz = S(32);
  HIMAGELIST il = ImageList_Create(sz, sz, ILC_COLOR32 | ILC_MASK, 6, 0);
  const LPCWSTR ids[] = { IDI_APPLICATION, IDI_INFORMATION, IDI_WARNING, IDI_QUESTION, IDI_ERROR, IDI_SHIELD };
  for (int i = 0; i < 6; i++) ImageList_AddIcon(il, LoadIconW(NULL, ids[i]));
  return il;
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
