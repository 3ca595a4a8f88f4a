/* win32-reports: a dense report viewer in Nimbus Sans Narrow 9 pt — a fully expanded tree of report folders (lines,
 * buttons, icons) beside a large report-mode list view (70 rows x 9 columns, the dense list Wine's rows split or
 * merge on), a progress bar and a status bar. Added after the wine family's split (issue 15 §1, round 3): train only.
 * Arguments: grid (grid lines), checks (check-box column), scrolled (list scrolled down), hscroll (scrolled right),
 * icons (small-icon view), collapsed (tree collapsed to its first level), disabled. */
#include "app_common.h"

static HWND g_tree, g_list, g_status, g_prog;

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&File", L"&Edit", L"&View", L"&Report", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&Open report...\tCtrl+O", L"&Refresh\tF5", L"&Filter...", L"E&xport", L"&Close", NULL };
  return menu_bar(tops, items, 3, 2, 1, MF_CHECKED);
}

static void build_tree(void) {
  static const wchar_t *const groups[] = { L"Sales", L"Inventory", L"Finance", L"Human resources", L"Logistics", NULL };
  static const wchar_t *const leaves[] = { L"Daily summary", L"By region", L"By product line", L"Year over year",
    L"Exceptions", NULL };
  HTREEITEM root = tv_add(g_tree, TVI_ROOT, L"All reports", 0);
  for (int g = 0; groups[g]; g++) {
    HTREEITEM p = tv_add(g_tree, root, groups[g], 1 + g % 3);
    for (int i = 0; leaves[i] && i < 3 + g % 3; i++) tv_add(g_tree, p, leaves[i], 4 + i % 2);
    if (!has_arg(L"collapsed") || g == 0) TreeView_Expand(g_tree, p, TVE_EXPAND);
  }
  TreeView_Expand(g_tree, root, TVE_EXPAND);
  TreeView_SelectItem(g_tree, TreeView_GetChild(g_tree, TreeView_GetChild(g_tree, root)));
}

static void build_list(void) {
  DWORD ex = LVS_EX_FULLROWSELECT | LVS_EX_HEADERDRAGDROP;
  if (has_arg(L"grid")) ex |= LVS_EX_GRIDLINES;
  if (has_arg(L"checks")) ex |= LVS_EX_CHECKBOXES;
  SendMessageW(g_list, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, ex);
  ListView_SetImageList(g_list, icons_small(), LVSIL_SMALL);
  static const wchar_t *const cols[] = { L"Invoice", L"Customer", L"Region", L"Date", L"Items", L"Net", L"Tax",
    L"Gross", L"Status", NULL };
  static const int widths[] = { 70, 170, 80, 80, 50, 80, 60, 80, 90 };
  lv_columns(g_list, cols, widths);
  static const wchar_t *const customers[] = { L"Alfreds Futterkiste", L"Ana Trujillo", L"Antonio Moreno", L"Around the Horn",
    L"Berglunds snabbköp", L"Blauer See", L"Blondel père et fils", L"Bólido Comidas", L"Bon app'", L"Bottom-Dollar",
    L"B's Beverages", L"Cactus Comidas", L"Centro comercial", L"Chop-suey Chinese", L"Comércio Mineiro", NULL };
  static const wchar_t *const regions[] = { L"North", L"East", L"South", L"West", L"Central", NULL };
  static const wchar_t *const status[] = { L"Paid", L"Open", L"Overdue", L"Disputed", NULL };
  for (int i = 0; i < 70; i++) {
    wchar_t inv[16], date[16], items[8], net[16], tax[16], gross[16];
    int n = 120 + (i * 137) % 4800;
    swprintf(inv, 16, L"INV-%05d", 20411 + i);
    swprintf(date, 16, L"2026-%02d-%02d", 1 + i % 12, 1 + (i * 7) % 28);
    swprintf(items, 8, L"%d", 1 + (i * 5) % 23);
    swprintf(net, 16, L"%d.%02d", n, (i * 31) % 100);
    swprintf(tax, 16, L"%d.%02d", n / 5, (i * 13) % 100);
    swprintf(gross, 16, L"%d.%02d", n + n / 5, (i * 44) % 100);
    const wchar_t *cells[] = { inv, customers[i % 15], regions[i % 5], date, items, net, tax, gross, status[(i * 3) % 4], NULL };
    lv_row(g_list, i, cells, i % 6);
    if (has_arg(L"checks") && i % 3 == 0) ListView_SetCheckState(g_list, i, TRUE);
  }
  ListView_SetItemState(g_list, 4, LVIS_SELECTED, LVIS_SELECTED);
  if (has_arg(L"icons")) SetWindowLongPtrW(g_list, GWL_STYLE, (GetWindowLongPtrW(g_list, GWL_STYLE) & ~LVS_TYPEMASK) | LVS_SMALLICON);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(g_list, 69, FALSE);
  if (has_arg(L"hscroll")) ListView_Scroll(g_list, S(300), 0);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"Nimbus Sans Narrow", 9, FW_NORMAL);
  HWND top = main_window(L"RpaReports", L"Reports - Sales ledger", quit_proc, 1050, 690, build_menu());
  ctl(L"Static", L"Report folders", 0, 8, 6, 200, 16);
  g_tree = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASLINES | TVS_HASBUTTONS | TVS_LINESATROOT | TVS_SHOWSELALWAYS |
                  WS_TABSTOP, 8, 24, 220, 540, 0);
  TreeView_SetImageList(g_tree, icons_small(), TVSIL_NORMAL);
  build_tree();
  ctl(L"Static", L"Find:", 0, 240, 8, 40, 16);
  edit(L"", ES_AUTOHSCROLL, 280, 4, 200, 22);
  ctl(L"Button", L"Search", WS_TABSTOP, 488, 3, 80, 24);
  ctl(L"Button", L"Only open invoices", BS_AUTOCHECKBOX | WS_TABSTOP, 580, 6, 150, 18);
  g_list = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, 236, 32, 790, 532, 0);
  build_list();
  ctl(L"Static", L"Loading ledger:", 0, 8, 578, 110, 16);
  g_prog = ctl(PROGRESS_CLASSW, L"", 0, 120, 576, 300, 18);
  SendMessageW(g_prog, PBM_SETPOS, 62, 0);
  ctl(L"Button", L"Export...", WS_TABSTOP, 850, 574, 84, 24);
  ctl(L"Button", L"Print", WS_TABSTOP, 942, 574, 84, 24);
  g_status = status_bar(260, 560, L"70 invoices", L"Net 168 204.35", L"Ledger 2026");
  apply_disabled(top);
  return run_loop(top);
}
