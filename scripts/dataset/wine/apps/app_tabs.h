/* Shared by the programs whose main window is a tab control with PAGES pages (devprops, netmon): each page's controls
 * are listed as they are made (add), the selected page is shown and the others hidden (show_page), on a tab change
 * (tabs_proc, the main window's procedure) and at start (tabs_start: the page=N argument, default 0). */
#ifndef APP_TABS_H
#define APP_TABS_H
#include "app_common.h"

#define PAGES 4
#define PAGE_CONTROLS 40
static HWND g_tab, g_page[PAGES][PAGE_CONTROLS];
static int g_count[PAGES];

static HWND add(int page, HWND h) {
  g_page[page][g_count[page]++] = h;
  return h;
}

static void show_page(int p) {
  for (int i = 0; i < PAGES; i++)
    for (int k = 0; k < g_count[i]; k++) ShowWindow(g_page[i][k], i == p ? SW_SHOW : SW_HIDE);
}

/* The main window's procedure: a click on another tab shows its page; closing the window ends the program. */
static LRESULT CALLBACK tabs_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m == WM_NOTIFY && ((NMHDR *)l)->hwndFrom == g_tab && ((NMHDR *)l)->code == TCN_SELCHANGE)
    show_page((int)SendMessageW(g_tab, TCM_GETCURSEL, 0, 0));
  return quit_proc(h, m, w, l);
}

/* The tab control with one tab per name (PAGES names). */
static HWND tabs(DWORD style, int x, int y, int w, int h, const wchar_t *const *names) {
  g_tab = ctl(WC_TABCONTROLW, L"", style, x, y, w, h);
  for (int i = 0; i < PAGES; i++) {
    TCITEMW it = { TCIF_TEXT, 0, 0, (wchar_t *)names[i] };
    SendMessageW(g_tab, TCM_INSERTITEMW, i, (LPARAM)&it);
  }
  return g_tab;
}

/* Selects and shows the page the program was started on (page=N). */
static void tabs_start(void) {
  int page = arg_int(L"page=", 0);
  SendMessageW(g_tab, TCM_SETCURSEL, page, 0);
  show_page(page);
}
#endif
