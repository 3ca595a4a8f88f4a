/* win32-compare: a two-pane folder compare in Nimbus Sans 7 pt (DejaVu Sans 11 pt with "large") — two report list
 * views side by side (50 rows x 5 columns each, grid lines, no icons), a full-row-select tree without lines above
 * them, a multi-column list box of filters, a simple combo (edit + list), a progress bar and a status bar. Added after
 * the wine family's split (issue 15 §1, round 3): train only. Arguments: large, scrolled, disabled. */
#include "app_common.h"

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&Session", L"&Compare", L"&Actions", L"&Options", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&New session", L"&Rescan\tF5", L"Copy &left to right", L"Copy &right to left", L"&Swap sides", NULL };
  return menu_bar(tops, items, -1, 4, 2, MF_GRAYED);
}

static HWND pane(int x, int side) {
  HWND lv = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, x, 176, 480, 360, 0);
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | LVS_EX_GRIDLINES);
  static const wchar_t *const cols[] = { L"Name", L"Size", L"Modified", L"Attr", L"Status", NULL };
  static const int widths[] = { 170, 70, 120, 40, 70 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const stems[] = { L"invoice", L"report", L"photo", L"backup", L"notes", L"budget", L"draft", L"scan", L"contract",
    L"slides", NULL };
  static const wchar_t *const exts[] = { L"pdf", L"docx", L"jpg", L"zip", L"txt" };
  static const wchar_t *const status[] = { L"Same", L"Newer", L"Older", L"Only here", L"Differs" };
  for (int i = 0; i < 50; i++) {
    wchar_t name[40], size[16], when[24];
    swprintf(name, 40, L"%ls-%02d.%ls", stems[i % 10], i, exts[i % 5]);
    swprintf(size, 16, L"%d KB", (i * 173 + side * 31) % 5000 + 1);
    swprintf(when, 24, L"2026-%02d-%02d %02d:%02d", 1 + i % 12, 1 + (i * 3) % 28, (i * 7 + side) % 24, (i * 11) % 60);
    const wchar_t *cells[] = { name, size, when, i % 7 ? L"A" : L"RA", status[(i * 3 + side) % 5], NULL };
    lv_row(lv, i, cells, 0);
  }
  ListView_SetItemState(lv, 5 + side, LVIS_SELECTED, LVIS_SELECTED);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(lv, 49 - side * 10, FALSE);
  return lv;
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  int large = has_arg(L"large");
  app_init(large ? L"DejaVu Sans" : L"Nimbus Sans", large ? 11 : 7, FW_NORMAL);
  HWND top = main_window(L"RpaCompare", L"Folder compare - C:\\Data vs D:\\Backup", quit_proc, 1000, 660, build_menu());
  HWND tv = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASBUTTONS | TVS_FULLROWSELECT | TVS_SHOWSELALWAYS | WS_TABSTOP,
                   8, 8, 480, 160, 0);
  static const wchar_t *const dirs[] = { L"Data", L"Projects", L"Photos", L"Archive", NULL };
  static const wchar_t *const subs[] = { L"2024", L"2025", L"2026", NULL };
  for (int d = 0; dirs[d]; d++) {
    HTREEITEM p = tv_add(tv, TVI_ROOT, dirs[d], 0);
    for (int s = 0; subs[s] && s < 1 + d % 3; s++) tv_add(tv, p, subs[s], 0);
    TreeView_Expand(tv, p, TVE_EXPAND);
  }
  ctl(L"Static", L"Filters", 0, 500, 8, 100, 16);
  HWND lb = ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_MULTICOLUMN | LBS_NOTIFY | WS_HSCROLL | WS_TABSTOP, 500, 26, 300, 90, 0);
  SendMessageW(lb, LB_SETCOLUMNWIDTH, S(96), 0);
  static const wchar_t *const filters[] = { L"*.pdf", L"*.docx", L"*.jpg", L"*.zip", L"*.txt", L"*.tmp", L"~*", L"Thumbs.db", L".git",
    L"node_modules", L"*.bak", L"*.log", NULL };
  add_strings(lb, LB_ADDSTRING, filters);
  SendMessageW(lb, LB_SETCURSEL, 2, 0);
  ctl(L"Static", L"Compare by", 0, 820, 8, 150, 16);
  HWND cb = ctl(L"ComboBox", L"", CBS_SIMPLE | WS_TABSTOP, 820, 26, 160, 90);
  static const wchar_t *const modes[] = { L"Size and date", L"Content", L"Name only", L"Checksum", NULL };
  add_strings(cb, CB_ADDSTRING, modes);
  SendMessageW(cb, CB_SETCURSEL, 0, 0);
  ctl(L"Button", L"Recursive", BS_AUTOCHECKBOX | WS_TABSTOP, 500, 126, 110, 18);
  ctl(L"Button", L"Ignore case", BS_AUTOCHECKBOX | WS_TABSTOP, 620, 126, 110, 18);
  ctl(L"Button", L"Compare", BS_DEFPUSHBUTTON | WS_TABSTOP, 880, 130, 100, 26);
  pane(8, 0);
  pane(500, 1);
  HWND pb = ctl(PROGRESS_CLASSW, L"", PBS_SMOOTH, 8, 546, 480, 16);
  SendMessageW(pb, PBM_SETPOS, 73, 0);
  ctl(L"Button", L"Copy \x2192", WS_TABSTOP, 500, 542, 90, 24);
  ctl(L"Button", L"\x2190 Copy", WS_TABSTOP, 598, 542, 90, 24);
  ctl(L"Button", L"Delete", WS_TABSTOP, 696, 542, 90, 24);
  status_bar(300, 640, L"100 files compared", L"38 differ, 12 only on one side", L"Done");
  apply_disabled(top);
  return run_loop(top);
}
