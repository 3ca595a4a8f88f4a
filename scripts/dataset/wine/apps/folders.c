/* win32-folders: a folder-sync tool in Nimbus Roman 10 pt — tree views are the family's weakest type on held-out
 * programs, so three of them: a deep source tree (lines, buttons, icons; about 70 nodes over four levels), a target
 * tree with check boxes and full-row select but no lines, and a small tree with TVS_TRACKSELECT and a larger indent;
 * a report list of the selected folder's files, a toolbar of check-group view buttons (toggles) and a status bar.
 * Added in round 7 (2026-12-07, batch split by the sha256 rule). Arguments: collapsed (first level only), scrolled
 * (source tree scrolled to its end), large (DejaVu Serif Condensed 11), disabled. */
#include "app_common.h"

static HWND g_src, g_dst, g_small, g_list;

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&File", L"&Edit", L"&View", L"&Sync", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&New pair...\tCtrl+N", L"&Compare\tF5", L"Show &hidden folders", L"&Expand all",
    L"&Preferences...", NULL };
  return menu_bar(tops, items, 4, 2, 2, MF_CHECKED);
}

static void fill_source(void) {
  static const wchar_t *const tops[] = { L"Projects", L"Documents", L"Pictures", L"Music", L"Archive", NULL };
  static const wchar_t *const mids[] = { L"2024", L"2025", L"2026", L"Shared", L"Templates", NULL };
  static const wchar_t *const leaves[] = { L"Drafts", L"Final", L"Review", L"Old versions", NULL };
  HTREEITEM root = tv_add(g_src, TVI_ROOT, L"This computer (D:)", 0);
  for (int t = 0; tops[t]; t++) {
    HTREEITEM p = tv_add(g_src, root, tops[t], 1 + t % 3);
    for (int m = 0; mids[m] && m < 2 + (t * 3) % 4; m++) {
      HTREEITEM q = tv_add(g_src, p, mids[m], 3);
      for (int l = 0; leaves[l] && l < 1 + (t + m) % 4; l++) tv_add(g_src, q, leaves[l], 4 + l % 2);
      if (!has_arg(L"collapsed") && (t + m) % 3 != 2) TreeView_Expand(g_src, q, TVE_EXPAND);
    }
    if (!has_arg(L"collapsed") || t == 0) TreeView_Expand(g_src, p, TVE_EXPAND);
  }
  TreeView_Expand(g_src, root, TVE_EXPAND);
  TreeView_SelectItem(g_src, TreeView_GetChild(g_src, TreeView_GetChild(g_src, root)));
  if (has_arg(L"scrolled")) SendMessageW(g_src, WM_VSCROLL, SB_BOTTOM, 0);
}

static void fill_target(void) {
  static const wchar_t *const groups[] = { L"Backup disk", L"Network share", L"Cloud folder", NULL };
  static const wchar_t *const subs[] = { L"Projects", L"Documents", L"Pictures", L"Music", L"Mail", NULL };
  for (int g = 0; groups[g]; g++) {
    HTREEITEM p = tv_add(g_dst, TVI_ROOT, groups[g], 0);
    for (int s = 0; subs[s] && s < 5 - g; s++) {
      HTREEITEM c = tv_add(g_dst, p, subs[s], 1);
      TreeView_SetCheckState(g_dst, c, (s + g) % 3 != 1);
    }
    TreeView_SetCheckState(g_dst, p, g != 2);
    TreeView_Expand(g_dst, p, TVE_EXPAND);
  }
}

static void fill_small(void) {
  static const wchar_t *const rules[] = { L"Always copy", L"Newer wins", L"Ask me", NULL };
  static const wchar_t *const kinds[] = { L"Office files", L"Images", L"Source code", NULL };
  for (int r = 0; rules[r]; r++) {
    HTREEITEM p = tv_add(g_small, TVI_ROOT, rules[r], 2);
    for (int k = 0; kinds[k] && k <= r; k++) tv_add(g_small, p, kinds[k], 3);
    TreeView_Expand(g_small, p, TVE_EXPAND);
  }
}

static void fill_list(void) {
  SendMessageW(g_list, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT);
  ListView_SetImageList(g_list, icons_small(), LVSIL_SMALL);
  static const wchar_t *const cols[] = { L"Name", L"Size", L"Modified", L"State", NULL };
  static const int widths[] = { 170, 70, 110, 90 };
  lv_columns(g_list, cols, widths);
  static const wchar_t *const names[] = { L"budget.xlsx", L"plan.docx", L"logo.png", L"notes.txt", L"minutes.pdf", L"photo-01.jpg",
    L"photo-02.jpg", L"setup.iso", L"readme.md", L"contacts.vcf", L"invoice.pdf", L"schedule.ics", NULL };
  static const wchar_t *const states[] = { L"Same", L"Newer", L"Missing", L"Conflict", NULL };
  for (int i = 0; names[i]; i++) {
    wchar_t size[16], date[24];
    swprintf(size, 16, L"%d KB", 3 + (i * 211) % 900);
    swprintf(date, 24, L"2026-%02d-%02d", 1 + i % 12, 1 + (i * 5) % 28);
    const wchar_t *cells[] = { names[i], size, date, states[(i * 3) % 4], NULL };
    lv_row(g_list, i, cells, i % 6);
  }
  ListView_SetItemState(g_list, 1, LVIS_SELECTED, LVIS_SELECTED);
}

static void view_toolbar(void) {
  HWND tb = toolbar(TBSTYLE_FLAT | TBSTYLE_LIST | CCS_NODIVIDER | CCS_NORESIZE, IDB_STD_SMALL_COLOR);
  MoveWindow(tb, S(4), S(2), S(700), S(28), FALSE);
  TBBUTTON b[] = {
    { STD_FILEOPEN, 1, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Open" },
    { STD_COPY, 2, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Copy" },
    { 0, 0, TBSTATE_ENABLED, BTNS_SEP, {0}, 0, 0 },
    { STD_PROPERTIES, 3, TBSTATE_ENABLED | TBSTATE_CHECKED, BTNS_CHECKGROUP | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Both sides" },
    { STD_FIND, 4, TBSTATE_ENABLED, BTNS_CHECKGROUP | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Differences" },
    { STD_REPLACE, 5, TBSTATE_ENABLED, BTNS_CHECKGROUP | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Conflicts" },
    { 0, 0, TBSTATE_ENABLED, BTNS_SEP, {0}, 0, 0 },
    { STD_UNDO, 6, TBSTATE_ENABLED | TBSTATE_CHECKED, BTNS_CHECK | BTNS_AUTOSIZE, {0}, 0, (INT_PTR)L"Preview" },
    { STD_DELETE, 7, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, 0 },
    { STD_HELP, 8, TBSTATE_ENABLED, BTNS_BUTTON | BTNS_AUTOSIZE, {0}, 0, 0 },
  };
  SendMessageW(tb, TB_ADDBUTTONSW, sizeof b / sizeof b[0], (LPARAM)b);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  int large = has_arg(L"large");
  app_init(large ? L"DejaVu Serif Condensed" : L"Nimbus Roman", large ? 11 : 10, FW_NORMAL);
  HWND top = main_window(L"RpaFolders", L"Folder sync - D: to Backup disk", quit_proc, 1080, 700, build_menu());
  view_toolbar();
  ctl(L"Static", L"Source", 0, 8, 36, 200, 18);
  g_src = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASLINES | TVS_HASBUTTONS | TVS_LINESATROOT | TVS_SHOWSELALWAYS |
                 WS_TABSTOP, 8, 56, 290, 560, 0);
  TreeView_SetImageList(g_src, icons_small(), TVSIL_NORMAL);
  fill_source();
  ctl(L"Static", L"Target", 0, 310, 36, 200, 18);
  g_dst = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASBUTTONS | TVS_FULLROWSELECT | TVS_SHOWSELALWAYS | WS_TABSTOP,
                 310, 56, 240, 330, 0);
  SetWindowLongPtrW(g_dst, GWL_STYLE, GetWindowLongPtrW(g_dst, GWL_STYLE) | TVS_CHECKBOXES);  /* after creation (README) */
  fill_target();
  ctl(L"Static", L"Conflict rules", 0, 310, 396, 200, 18);
  g_small = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASLINES | TVS_HASBUTTONS | TVS_TRACKSELECT | WS_TABSTOP,
                   310, 416, 240, 200, 0);
  TreeView_SetIndent(g_small, S(28));
  TreeView_SetImageList(g_small, icons_small(), TVSIL_NORMAL);
  fill_small();
  ctl(L"Static", L"Files in Projects", 0, 562, 36, 200, 18);
  g_list = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, 562, 56, 490, 470, 0);
  fill_list();
  ctl(L"Button", L"Synchronize", WS_TABSTOP, 562, 540, 110, 28);
  ctl(L"Button", L"Skip", WS_TABSTOP, 680, 540, 80, 28);
  ctl(L"Button", L"Verify after copy", BS_AUTOCHECKBOX | WS_TABSTOP, 780, 545, 160, 18);
  ctl(L"Button", L"Mirror", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 962, 540, 90, 28);
  HWND p = ctl(PROGRESS_CLASSW, L"", PBS_SMOOTH, 562, 584, 490, 18);
  SendMessageW(p, PBM_SETPOS, 41, 0);
  status_bar(300, 640, L"12 files, 3 differ", L"4.2 MB to copy", L"Last sync 2026-12-06");
  apply_disabled(top);
  return run_loop(top);
}
