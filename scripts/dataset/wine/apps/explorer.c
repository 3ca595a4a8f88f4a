/* win32-explorer: a file-manager layout in DejaVu Sans 9 pt — menu bar, toolbar (icons, with text when started
 * with "textbar"), tree view with icons, list view (report with column headers; "icons" / "list" / "checks" views),
 * status bar. Arguments: icons, list, checks, textbar, scrolled. */
#include "app_common.h"

static HWND g_tb, g_tree, g_list, g_status;

static void layout(HWND top) {
  RECT rc, tr, sr;
  GetClientRect(top, &rc);
  SendMessageW(g_tb, TB_AUTOSIZE, 0, 0);
  SendMessageW(g_status, WM_SIZE, 0, 0);
  GetWindowRect(g_tb, &tr);
  GetWindowRect(g_status, &sr);
  int y = tr.bottom - tr.top + S(2), h = rc.bottom - y - (sr.bottom - sr.top);
  MoveWindow(g_tree, 0, y, S(220), h, TRUE);
  MoveWindow(g_list, S(224), y, rc.right - S(224), h, TRUE);
}

static LRESULT CALLBACK proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m == WM_SIZE && g_list) layout(h);
  return quit_proc(h, m, w, l);
}

static HMENU build_menu(void) {
  HMENU bar = CreateMenu(), file = CreatePopupMenu(), edit = CreatePopupMenu(), view = CreatePopupMenu(), help = CreatePopupMenu();
  AppendMenuW(file, MF_STRING, 1, L"&New folder\tCtrl+N");
  AppendMenuW(file, MF_STRING, 2, L"&Open\tEnter");
  AppendMenuW(file, MF_STRING | MF_GRAYED, 3, L"&Rename\tF2");
  AppendMenuW(file, MF_SEPARATOR, 0, NULL);
  AppendMenuW(file, MF_STRING, 4, L"P&roperties");
  AppendMenuW(file, MF_STRING, 5, L"E&xit");
  AppendMenuW(edit, MF_STRING, 10, L"Cu&t\tCtrl+X");
  AppendMenuW(edit, MF_STRING, 11, L"&Copy\tCtrl+C");
  AppendMenuW(edit, MF_STRING, 12, L"&Paste\tCtrl+V");
  AppendMenuW(edit, MF_SEPARATOR, 0, NULL);
  AppendMenuW(edit, MF_STRING, 13, L"Select &all\tCtrl+A");
  AppendMenuW(view, MF_STRING | MF_CHECKED, 20, L"&Toolbar");
  AppendMenuW(view, MF_STRING | MF_CHECKED, 21, L"&Status bar");
  AppendMenuW(view, MF_SEPARATOR, 0, NULL);
  AppendMenuW(view, MF_STRING, 22, L"Lar&ge icons");
  AppendMenuW(view, MF_STRING, 23, L"&List");
  AppendMenuW(view, MF_STRING | MF_CHECKED, 24, L"&Details");
  AppendMenuW(view, MF_SEPARATOR, 0, NULL);
  AppendMenuW(view, MF_STRING, 25, L"&Refresh\tF5");
  AppendMenuW(help, MF_STRING, 30, L"&Contents");
  AppendMenuW(help, MF_STRING, 31, L"&About Explorer");
  AppendMenuW(bar, MF_POPUP, (UINT_PTR)file, L"&File");
  AppendMenuW(bar, MF_POPUP, (UINT_PTR)edit, L"&Edit");
  AppendMenuW(bar, MF_POPUP, (UINT_PTR)view, L"&View");
  AppendMenuW(bar, MF_POPUP, (UINT_PTR)help, L"&Help");
  return bar;
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"DejaVu Sans", 9, FW_NORMAL);
  HWND top = main_window(L"RpaExplorer", L"Files - Explorer", proc, 900, 620, build_menu());
  int text = has_arg(L"textbar");
  g_tb = toolbar(TBSTYLE_FLAT | TBSTYLE_TOOLTIPS | (text ? TBSTYLE_LIST : 0), g_dpi > 110 ? IDB_STD_LARGE_COLOR : IDB_STD_SMALL_COLOR);
  if (text) SendMessageW(g_tb, TB_SETEXTENDEDSTYLE, 0, TBSTYLE_EX_MIXEDBUTTONS);
  TBBUTTON b[] = {
    { STD_FILENEW, 1, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"New" },
    { STD_FILEOPEN, 2, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Open" },
    { STD_FILESAVE, 3, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Save" },
    { 0, 0, 0, BTNS_SEP, {0}, 0, 0 },
    { STD_CUT, 10, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Cut" },
    { STD_COPY, 11, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Copy" },
    { STD_PASTE, 12, 0, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Paste" },
    { STD_DELETE, 13, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Delete" },
    { 0, 0, 0, BTNS_SEP, {0}, 0, 0 },
    { STD_PROPERTIES, 4, TBSTATE_ENABLED | TBSTATE_CHECKED, BTNS_CHECK | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Details" },
    { STD_FIND, 14, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Find" },
    { STD_PRINT, 15, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Print" },
    { STD_HELP, 30, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Help" },
  };
  if (!text) for (unsigned i = 0; i < sizeof b / sizeof *b; i++) b[i].iString = 0, b[i].fsStyle &= ~BTNS_SHOWTEXT;
  SendMessageW(g_tb, TB_ADDBUTTONSW, sizeof b / sizeof *b, (LPARAM)b);

  g_tree = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASBUTTONS | TVS_HASLINES | TVS_LINESATROOT | TVS_SHOWSELALWAYS | WS_TABSTOP,
                  0, 0, 10, 10, 0);
  SendMessageW(g_tree, TVM_SETIMAGELIST, TVSIL_NORMAL, (LPARAM)icons_small());
  HTREEITEM pc = tv_add(g_tree, TVI_ROOT, L"This computer", 0);
  HTREEITEM c = tv_add(g_tree, pc, L"Local disk (C:)", 1);
  static const wchar_t *const dirs[] = { L"Program Files", L"Users", L"Windows", L"Temp", L"Projects", L"Archive", L"Drivers", L"Logs", NULL };
  HTREEITEM sel = NULL;
  for (int i = 0; dirs[i]; i++) {
    HTREEITEM d = tv_add(g_tree, c, dirs[i], 2 + i % 3);
    if (i == 4) {
      sel = d;
      static const wchar_t *const sub[] = { L"agent", L"fleet", L"renderer", L"scripts", L"docs", L"test", L"assets", NULL };
      for (int k = 0; sub[k]; k++) tv_add(g_tree, d, sub[k], 3);
    }
  }
  tv_add(g_tree, pc, L"Data (D:)", 1);
  tv_add(g_tree, pc, L"Network", 5);
  SendMessageW(g_tree, TVM_EXPAND, TVE_EXPAND, (LPARAM)pc);
  SendMessageW(g_tree, TVM_EXPAND, TVE_EXPAND, (LPARAM)c);
  SendMessageW(g_tree, TVM_EXPAND, TVE_EXPAND, (LPARAM)sel);
  SendMessageW(g_tree, TVM_SELECTITEM, TVGN_CARET, (LPARAM)sel);

  DWORD view = has_arg(L"icons") ? LVS_ICON : has_arg(L"list") ? LVS_LIST : LVS_REPORT;
  g_list = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", view | LVS_SHOWSELALWAYS | WS_TABSTOP, 0, 0, 10, 10, 0);
  SendMessageW(g_list, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | (has_arg(L"checks") ? LVS_EX_CHECKBOXES : 0));
  SendMessageW(g_list, LVM_SETIMAGELIST, LVSIL_SMALL, (LPARAM)icons_small());
  SendMessageW(g_list, LVM_SETIMAGELIST, LVSIL_NORMAL, (LPARAM)icons_large());
  static const wchar_t *const cols[] = { L"Name", L"Size", L"Type", L"Modified", NULL };
  static const int widths[] = { 200, 80, 140, 150 };
  lv_columns(g_list, cols, widths);
  static const wchar_t *const names[] = { L"agent", L"fleet", L"renderer", L"scripts", L"docs", L"test", L"assets", L"README.md",
    L"package.json", L"tsconfig.json", L"LICENSE", L"CHANGELOG.md", L"setup.sh", L"notes.txt", L"budget.xlsx", L"logo.png",
    L"report.pdf", L"backup.zip", L"install.log", L"config.yaml", L"server.key", L"index.html", L"style.css", L"main.ts", NULL };
  for (int i = 0; names[i]; i++) {
    wchar_t size[32];
    swprintf(size, 32, i < 7 ? L"" : L"%d KB", (i * 37) % 900 + 1);
    const wchar_t *cells[] = { names[i], size, i < 7 ? L"File folder" : L"Document", L"2026-11-0%d 10:%02d", NULL };
    wchar_t when[40];
    swprintf(when, 40, L"2026-11-%02d 10:%02d", 1 + i % 28, (i * 7) % 60);
    cells[3] = when;
    lv_row(g_list, i, cells, i < 7 ? 2 : i % 6);
    if (has_arg(L"checks") && i % 3 == 0) ListView_SetCheckState(g_list, i, TRUE);
  }
  ListView_SetItemState(g_list, 2, LVIS_SELECTED, LVIS_SELECTED);
  g_status = ctl(STATUSCLASSNAMEW, L"24 objects", SBARS_SIZEGRIP, 0, 0, 0, 0);
  layout(top);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(g_list, 20, FALSE);
  return run_loop(top);
}
