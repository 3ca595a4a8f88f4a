/* win32-logview: an event-log viewer in P052 10 pt (C059 7 pt with "small") — a text toolbar, an expanded tree of
 * logs, a report list view of 120 events x 6 columns with severity icons, a "show last" up-down buddy, a severity
 * trackbar, a read-only detail edit and a status bar. Added after the wine family's split (issue 15 §1, round 3): train
 * only. Arguments: small (C059 7 pt: dense rows), scrolled, list (LVS_LIST view), narrow (narrow columns), disabled. */
#include "app_common.h"

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&Action", L"&View", L"&Filter", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&Open saved log...", L"&Save events as...", L"&Clear log", L"&Properties", NULL };
  return menu_bar(tops, items, -1, 2, -1, MF_GRAYED);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  int small = has_arg(L"small");
  app_init(small ? L"C059" : L"P052", small ? 7 : 10, FW_NORMAL);
  HWND top = main_window(L"RpaLogView", L"Event Viewer - Application log", quit_proc, 1000, 680, build_menu());
  HWND tb = toolbar(TBSTYLE_FLAT | TBSTYLE_LIST | CCS_TOP, IDB_STD_SMALL_COLOR);
  TBBUTTON b[] = {
    { STD_FILEOPEN, 1, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Open" },
    { STD_FILESAVE, 2, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Save" },
    { 0, 0, 0, BTNS_SEP, {0}, 0, 0 },
    { STD_FIND, 3, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Find" },
    { STD_PROPERTIES, 4, TBSTATE_ENABLED | TBSTATE_CHECKED, BTNS_AUTOSIZE | BTNS_SHOWTEXT | BTNS_CHECK, {0}, 0, (INT_PTR)L"Details" },
    { STD_DELETE, 5, 0, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Clear" },
  };
  SendMessageW(tb, TB_ADDBUTTONSW, sizeof b / sizeof *b, (LPARAM)b);
  SendMessageW(tb, TB_AUTOSIZE, 0, 0);

  HWND tv = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASLINES | TVS_HASBUTTONS | TVS_LINESATROOT | TVS_SHOWSELALWAYS | WS_TABSTOP,
                   8, 40, 200, 400, 0);
  TreeView_SetImageList(tv, icons_small(), TVSIL_NORMAL);
  static const wchar_t *const logs[][4] = { { L"Windows logs", L"Application", L"Security", L"System" },
    { L"Applications and services", L"Hardware events", L"Media center", L"PowerShell" },
    { L"Subscriptions", NULL, NULL, NULL }, { L"Saved logs", L"Crash 2026-11-30", L"Before update", NULL } };
  for (int g = 0; g < 4; g++) {
    HTREEITEM p = tv_add(tv, TVI_ROOT, logs[g][0], g % 3);
    for (int i = 1; i < 4 && logs[g][i]; i++) tv_add(tv, p, logs[g][i], 3 + i % 3);
    TreeView_Expand(tv, p, TVE_EXPAND);
  }
  TreeView_SelectItem(tv, TreeView_GetChild(tv, TreeView_GetRoot(tv)));

  ctl(L"Static", L"Show last", 0, 220, 44, 70, 18);
  HWND e = edit(L"", ES_NUMBER, 292, 40, 70, 24);
  updown_buddy(ctl(UPDOWN_CLASSW, L"", UDS_SETBUDDYINT | UDS_ALIGNRIGHT | UDS_ARROWKEYS, 0, 0, 0, 0), e, 1, 5000, 120);
  ctl(L"Static", L"Min. level", 0, 390, 44, 80, 18);
  HWND tr = ctl(TRACKBAR_CLASSW, L"", TBS_AUTOTICKS | TBS_BOTTOM | WS_TABSTOP, 470, 36, 200, 32);
  SendMessageW(tr, TBM_SETRANGE, TRUE, MAKELONG(0, 4));
  SendMessageW(tr, TBM_SETPOS, TRUE, 1);
  ctl(L"Button", L"Errors only", BS_AUTOCHECKBOX | WS_TABSTOP, 690, 44, 120, 18);
  ctl(L"Button", L"Refresh", WS_TABSTOP, 880, 40, 90, 26);

  DWORD view = has_arg(L"list") ? LVS_LIST : LVS_REPORT;
  HWND lv = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", view | LVS_SHOWSELALWAYS | WS_TABSTOP, 216, 74, 756, 366, 0);
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | LVS_EX_HEADERDRAGDROP | LVS_EX_LABELTIP);
  ListView_SetImageList(lv, icons_small(), LVSIL_SMALL);
  static const wchar_t *const cols[] = { L"Level", L"Date and time", L"Source", L"Event ID", L"Task category", L"User", NULL };
  static const int wide[] = { 110, 150, 150, 70, 140, 110 };
  static const int narrow[] = { 70, 100, 90, 50, 90, 70 };
  lv_columns(lv, cols, has_arg(L"narrow") ? narrow : wide);
  static const wchar_t *const levels[] = { L"Information", L"Warning", L"Error", L"Critical", L"Verbose" };
  static const int icons[] = { 1, 2, 4, 4, 0 };
  static const wchar_t *const sources[] = { L"Application Error", L"MsiInstaller", L"VSS", L"Winlogon", L"SecurityCenter",
    L"ESENT", L"Office Software Protection", L"Wininit", L"Restart Manager", L"gupdate", NULL };
  static const wchar_t *const tasks[] = { L"None", L"Logon", L"Installation", L"Recovery", L"Startup", NULL };
  for (int i = 0; i < 120; i++) {
    wchar_t when[32], id[8];
    swprintf(when, 32, L"2026-12-%02d %02d:%02d:%02d", 6 - i / 40, 23 - (i * 5) % 24, (i * 37) % 60, (i * 13) % 60);
    swprintf(id, 8, L"%d", 1000 + (i * 211) % 9000);
    int lvl = (i * 7) % 11 == 0 ? 2 : (i * 3) % 7 == 0 ? 1 : (i % 29 == 0 ? 3 : 0);
    const wchar_t *cells[] = { levels[lvl], when, sources[i % 10], id, tasks[i % 5], i % 4 ? L"N/A" : L"SYSTEM", NULL };
    lv_row(lv, i, cells, icons[lvl]);
  }
  ListView_SetItemState(lv, 6, LVIS_SELECTED, LVIS_SELECTED);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(lv, 119, FALSE);
  edit(L"Faulting application name: report.exe, version: 2.4.1.0\r\nFaulting module name: ntdll.dll\r\nException code: 0xc0000005",
       ES_MULTILINE | ES_READONLY | WS_VSCROLL, 216, 448, 756, 110);
  status_bar(240, 520, L"Application: 120 events", L"Filtered: level >= Warning", L"Live");
  apply_disabled(top);
  return run_loop(top);
}
