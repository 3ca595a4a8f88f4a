/* win32-netmon: a network monitor in URW Bookman 8 pt with a tab control: "Connections" (report list view of 40 rows
 * x 7 columns with check boxes and grid lines), "Rules" (check-box tree view, fully expanded, beside a one-column
 * report list), "Bandwidth" (trackbars with buddy labels, up-down buddies, progress bars, push-like toggles) and
 * "Adapters" (a list box and a report list without headers' sort arrows). Added after the wine family's split
 * (issue 15 §1, round 3): train only. Arguments: page=N (0..3) starts on that tab; scrolled; disabled. */
#include "app_tabs.h"

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&File", L"&Monitor", L"&Rules", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&Start capture\tF5", L"S&top capture\tShift+F5", L"&Clear", L"&Settings...", NULL };
  return menu_bar(tops, items, -1, 1, -1, MF_GRAYED);
}

static void page_connections(void) {
  HWND lv = add(0, ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, 20, 44, 780, 420, 0));
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | LVS_EX_GRIDLINES | LVS_EX_CHECKBOXES);
  static const wchar_t *const cols[] = { L"Process", L"PID", L"Protocol", L"Local address", L"Remote address", L"State", L"Sent", NULL };
  static const int widths[] = { 150, 50, 60, 140, 170, 100, 80 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const procs[] = { L"browser.exe", L"mail.exe", L"sync.exe", L"svchost.exe", L"updater.exe", L"chat.exe",
    L"backup.exe", L"vpnclient.exe", NULL };
  static const wchar_t *const states[] = { L"ESTABLISHED", L"LISTENING", L"TIME_WAIT", L"CLOSE_WAIT", L"SYN_SENT", NULL };
  for (int i = 0; i < 40; i++) {
    wchar_t pid[8], local[32], remote[32], sent[16];
    swprintf(pid, 8, L"%d", 1200 + (i * 97) % 8000);
    swprintf(local, 32, L"10.0.0.%d:%d", 10 + i % 5, 49152 + i * 13);
    swprintf(remote, 32, L"192.0.2.%d:%d", 1 + (i * 7) % 250, (const int[]){ 443, 80, 993, 22, 3389 }[i % 5]);
    swprintf(sent, 16, L"%d KB", (i * 379) % 9000);
    const wchar_t *cells[] = { procs[i % 8], pid, i % 4 ? L"TCP" : L"UDP", local, remote, states[i % 5], sent, NULL };
    lv_row(lv, i, cells, 0);
    if (i % 3 != 1) ListView_SetCheckState(lv, i, TRUE);
  }
  ListView_SetItemState(lv, 2, LVIS_SELECTED, LVIS_SELECTED);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(lv, 39, FALSE);
  add(0, ctl(L"Button", L"Block selected", WS_TABSTOP, 20, 474, 120, 26));
  add(0, ctl(L"Button", L"Close connection", WS_TABSTOP, 150, 474, 130, 26));
  add(0, ctl(L"Button", L"Resolve addresses", BS_AUTOCHECKBOX | WS_TABSTOP, 300, 478, 160, 18));
}

static void page_rules(void) {
  HWND tv = add(1, ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASLINES | TVS_HASBUTTONS | TVS_LINESATROOT | TVS_SHOWSELALWAYS |
                          WS_TABSTOP, 20, 44, 380, 420, 0));
  SetWindowLongPtrW(tv, GWL_STYLE, GetWindowLongPtrW(tv, GWL_STYLE) | TVS_CHECKBOXES);  /* after creation (see README) */
  static const wchar_t *const groups[] = { L"Inbound rules", L"Outbound rules", L"Connection security", L"Monitoring", NULL };
  static const wchar_t *const rules[] = { L"File and printer sharing", L"Remote desktop", L"Core networking - DNS", L"Media streaming",
    L"Network discovery", L"Remote assistance", NULL };
  for (int g = 0; groups[g]; g++) {
    HTREEITEM p = tv_add(tv, TVI_ROOT, groups[g], 0);
    for (int i = 0; rules[i] && i < 6 - g; i++) {
      HTREEITEM r = tv_add(tv, p, rules[(i + g) % 6], 0);
      TreeView_SetCheckState(tv, r, (i + g) % 2 == 0);
    }
    TreeView_Expand(tv, p, TVE_EXPAND);
  }
  add(1, ctl(L"Static", L"Applies to", 0, 420, 44, 200, 16));
  HWND lv = add(1, ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_NOCOLUMNHEADER | LVS_SHOWSELALWAYS | WS_TABSTOP,
                          420, 64, 380, 260, 0));
  static const wchar_t *const cols[] = { L"Profile", NULL };
  static const int widths[] = { 350 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const profiles[] = { L"Domain", L"Private", L"Public", L"Guest", L"Lab", L"Datacenter", L"Branch office", NULL };
  for (int i = 0; profiles[i]; i++) {
    const wchar_t *cells[] = { profiles[i], NULL };
    lv_row(lv, i, cells, 0);
  }
  add(1, ctl(L"Button", L"New rule...", WS_TABSTOP, 420, 340, 110, 26));
  add(1, ctl(L"Button", L"Delete", WS_TABSTOP, 540, 340, 90, 26));
  add(1, ctl(L"Button", L"Enabled", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 640, 340, 90, 26));
}

static void labelled_trackbar(const wchar_t *label, int y, int pos, DWORD style) {
  add(2, ctl(L"Static", label, 0, 30, y + 6, 130, 18));
  HWND t = trackbar_set(add(2, ctl(TRACKBAR_CLASSW, L"", WS_TABSTOP | style, 200, y, 360, 32)), 0, 100, 10, pos);
  HWND lo = add(2, ctl(L"Static", L"0", SS_RIGHT, 0, 0, 40, 18));
  HWND hi = add(2, ctl(L"Static", L"100 Mbit/s", 0, 0, 0, 90, 18));
  SendMessageW(t, TBM_SETBUDDY, TRUE, (LPARAM)lo);
  SendMessageW(t, TBM_SETBUDDY, FALSE, (LPARAM)hi);
}

static void spin_field(const wchar_t *label, int x, int y, int value, DWORD align) {
  add(2, ctl(L"Static", label, 0, x, y + 4, 120, 18));
  HWND e = add(2, edit(L"", ES_NUMBER, x + 124, y, 70, 24));
  updown_buddy(add(2, updown_plain(UDS_SETBUDDYINT | UDS_ARROWKEYS | align)), e, 0, 9999, value);
}

static void page_bandwidth(void) {
  labelled_trackbar(L"Download limit", 50, 70, TBS_AUTOTICKS | TBS_BOTTOM);
  labelled_trackbar(L"Upload limit", 96, 35, TBS_AUTOTICKS | TBS_TOP);
  labelled_trackbar(L"Burst allowance", 142, 10, TBS_NOTICKS);
  spin_field(L"Queue length", 30, 200, 64, UDS_ALIGNRIGHT);
  spin_field(L"Retry interval", 330, 200, 15, UDS_ALIGNRIGHT);
  spin_field(L"Max. connections", 30, 236, 512, UDS_ALIGNLEFT);
  spin_field(L"Sample every (s)", 330, 236, 5, UDS_ALIGNRIGHT);
  static const wchar_t *const meters[] = { L"Download", L"Upload", L"Queue", L"Errors", NULL };
  for (int i = 0; meters[i]; i++) {
    add(2, ctl(L"Static", meters[i], 0, 30, 290 + i * 30, 110, 18));
    HWND p = add(2, ctl(PROGRESS_CLASSW, L"", i % 2 ? PBS_SMOOTH : 0, 150, 288 + i * 30, 400, 20));
    SendMessageW(p, PBM_SETPOS, (i * 41 + 23) % 100, 0);
  }
  add(2, ctl(L"Button", L"Throttle", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 680, 50, 110, 28));
  add(2, ctl(L"Button", L"Pause", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 680, 90, 110, 28));
  HWND v = add(2, ctl(TRACKBAR_CLASSW, L"", TBS_VERT | TBS_AUTOTICKS | TBS_BOTH | WS_TABSTOP, 714, 140, 44, 200));
  SendMessageW(v, TBM_SETPOS, TRUE, 60);
}

static void page_adapters(void) {
  add(3, ctl(L"Static", L"Adapters", 0, 20, 44, 200, 16));
  HWND lb = add(3, ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_NOTIFY | WS_VSCROLL | WS_TABSTOP, 20, 64, 300, 300, 0));
  static const wchar_t *const ads[] = { L"Ethernet (Intel I219-V)", L"Wi-Fi (AX201)", L"Bluetooth PAN", L"VPN tunnel", L"Loopback",
    L"Hyper-V switch", L"USB tethering", L"Docking station NIC", L"Virtual adapter 1", L"Virtual adapter 2", L"Cellular modem",
    L"Thunderbolt bridge", L"WAN miniport (IKEv2)", L"WAN miniport (L2TP)", L"WAN miniport (SSTP)", L"Teredo tunnel", L"6to4 adapter",
    L"Debug transport", NULL };
  add_strings(lb, LB_ADDSTRING, ads);
  SendMessageW(lb, LB_SETCURSEL, 1, 0);
  if (has_arg(L"scrolled")) SendMessageW(lb, LB_SETTOPINDEX, 9, 0);
  HWND lv = add(3, ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | WS_TABSTOP, 340, 64, 460, 300, 0));
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT);
  static const wchar_t *const cols[] = { L"Property", L"Value", NULL };
  static const int widths[] = { 180, 250 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const props[][2] = { { L"Status", L"Connected" }, { L"Speed", L"1.0 Gbps" }, { L"MAC address", L"00-1B-44-11-3A-B7" },
    { L"IPv4 address", L"10.0.0.12" }, { L"Subnet mask", L"255.255.255.0" }, { L"Gateway", L"10.0.0.1" }, { L"DNS", L"10.0.0.2" },
    { L"DHCP", L"Enabled" }, { L"Lease obtained", L"2026-12-06 08:14" }, { L"MTU", L"1500" }, { L"Driver", L"e1000e 3.8.4" } };
  for (int i = 0; i < 11; i++) {
    const wchar_t *cells[] = { props[i][0], props[i][1], NULL };
    lv_row(lv, i, cells, 0);
  }
  add(3, ctl(L"Button", L"Disable", WS_TABSTOP, 20, 380, 100, 26));
  add(3, ctl(L"Button", L"Diagnose", WS_TABSTOP, 130, 380, 100, 26));
  add(3, ctl(L"Button", L"Show hidden adapters", BS_AUTOCHECKBOX | WS_TABSTOP, 340, 384, 200, 18));
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"URW Bookman", 8, FW_NORMAL);
  HWND top = main_window(L"RpaNetMon", L"Network monitor - HOST-12", tabs_proc, 840, 600, build_menu());
  static const wchar_t *const names[] = { L"Connections", L"Rules", L"Bandwidth", L"Adapters" };
  tabs(WS_TABSTOP | WS_CLIPSIBLINGS, 8, 8, 808, 510, names);
  page_connections();
  page_rules();
  page_bandwidth();
  page_adapters();
  tabs_start();
  apply_disabled(top);
  return run_loop(top);
}
