/* win32-devprops: a "Device properties" window in Nimbus Sans 10 pt with a tab control whose pages hold sliders
 * (horizontal with ticks, vertical), spin buddies, progress bars, date-time pickers, SysLinks, a check-box list view,
 * a check-box tree, a hot-key field and an IP-address field. Argument: page=N (0..3) starts on that tab; disabled. */
#include "app_tabs.h"

static HWND spin_for(int page, HWND buddy, int lo, int hi, int pos) {
  return updown_buddy(add(page, updown_plain(UDS_ALIGNRIGHT | UDS_SETBUDDYINT | UDS_ARROWKEYS)), buddy, lo, hi, pos);
}

static void page_general(void) {
  add(0, ctl(L"Static", L"Volume", 0, 30, 60, 80, 18));
  HWND t1 = add(0, ctl(TRACKBAR_CLASSW, L"", TBS_AUTOTICKS | TBS_HORZ | WS_TABSTOP, 120, 54, 260, 34));
  SendMessageW(t1, TBM_SETRANGE, TRUE, MAKELONG(0, 10));
  SendMessageW(t1, TBM_SETPOS, TRUE, 7);
  add(0, ctl(L"Static", L"Balance", 0, 30, 104, 80, 18));
  HWND t2 = add(0, ctl(TRACKBAR_CLASSW, L"", TBS_BOTH | TBS_NOTICKS | WS_TABSTOP, 120, 98, 260, 28));
  SendMessageW(t2, TBM_SETPOS, TRUE, 40);
  HWND t3 = add(0, ctl(TRACKBAR_CLASSW, L"", TBS_VERT | TBS_AUTOTICKS | WS_TABSTOP, 420, 50, 40, 150));
  SendMessageW(t3, TBM_SETPOS, TRUE, 30);
  add(0, ctl(L"Static", L"Retries", 0, 30, 146, 80, 18));
  spin_for(0, add(0, edit(L"3", ES_NUMBER, 120, 142, 70, 24)), 0, 10, 3);
  add(0, ctl(L"Static", L"Timeout (s)", 0, 210, 146, 90, 18));
  spin_for(0, add(0, edit(L"30", ES_NUMBER, 300, 142, 80, 24)), 1, 600, 30);
  add(0, ctl(L"Static", L"Firmware update", 0, 30, 190, 120, 18));
  HWND p1 = add(0, ctl(PROGRESS_CLASSW, L"", 0, 160, 188, 220, 20));
  SendMessageW(p1, PBM_SETPOS, 65, 0);
  HWND p2 = add(0, ctl(PROGRESS_CLASSW, L"", PBS_SMOOTH, 160, 216, 220, 14));
  SendMessageW(p2, PBM_SETPOS, 30, 0);
  add(0, ctl(L"Static", L"Next service", 0, 30, 248, 120, 18));
  add(0, ctl(DATETIMEPICK_CLASSW, L"", DTS_SHORTDATEFORMAT | WS_TABSTOP, 160, 244, 160, 26));
  add(0, ctl(L"Static", L"At", 0, 330, 248, 30, 18));
  add(0, ctl(DATETIMEPICK_CLASSW, L"", DTS_TIMEFORMAT | DTS_UPDOWN | WS_TABSTOP, 360, 244, 120, 26));
  add(0, ctl(L"SysLink", L"<a>Open the device manual</a>", WS_TABSTOP, 30, 290, 220, 20));
  add(0, ctl(L"SysLink", L"<a>Check for updates</a>", WS_TABSTOP, 270, 290, 180, 20));
}

static void page_channels(void) {
  HWND lv = add(1, ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, 30, 50, 440, 180, 0));
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_CHECKBOXES | LVS_EX_FULLROWSELECT | LVS_EX_GRIDLINES);
  static const wchar_t *const cols[] = { L"Channel", L"Rate", L"Format", NULL };
  static const int widths[] = { 150, 100, 150 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const ch[] = { L"Front left", L"Front right", L"Centre", L"Subwoofer", L"Rear left", L"Rear right",
    L"Side left", L"Side right", L"Height left", L"Height right", NULL };
  for (int i = 0; ch[i]; i++) {
    const wchar_t *cells[] = { ch[i], i % 2 ? L"48000 Hz" : L"44100 Hz", i % 3 ? L"24-bit PCM" : L"16-bit PCM", NULL };
    lv_row(lv, i, cells, 0);
    ListView_SetCheckState(lv, i, i % 4 != 3);
  }
  add(1, ctl(L"Button", L"Test all", WS_TABSTOP, 30, 244, 100, 28));
  add(1, ctl(L"Button", L"Swap left/right", BS_AUTOCHECKBOX | WS_TABSTOP, 150, 248, 160, 20));
  add(1, ctl(L"Button", L"Mute", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 330, 244, 90, 28));
}

static void page_advanced(void) {
  HWND tv = add(2, ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASBUTTONS | TVS_HASLINES | TVS_LINESATROOT | WS_TABSTOP,
                          30, 50, 250, 230, 0));
  /* TVS_CHECKBOXES set after creation, as the SDK asks: only then does the tree make its state images (Wine too) */
  SetWindowLongW(tv, GWL_STYLE, GetWindowLongW(tv, GWL_STYLE) | TVS_CHECKBOXES);
  static const wchar_t *const groups[] = { L"Power management", L"Diagnostics", L"Compatibility", NULL };
  static const wchar_t *const opts[] = { L"Allow wake-up", L"Selective suspend", L"Verbose log", L"Legacy mode", NULL };
  for (int g = 0; groups[g]; g++) {
    HTREEITEM p = tv_add(tv, TVI_ROOT, groups[g], 0);
    for (int k = 0; opts[k]; k++) {
      HTREEITEM it = tv_add(tv, p, opts[k], 0);
      if ((g + k) % 2) TreeView_SetCheckState(tv, it, TRUE);
    }
    SendMessageW(tv, TVM_EXPAND, TVE_EXPAND, (LPARAM)p);
  }
  SendMessageW(tv, TVM_ENSUREVISIBLE, 0, SendMessageW(tv, TVM_GETNEXTITEM, TVGN_ROOT, 0));
  add(2, ctl(L"Static", L"Shortcut", 0, 300, 54, 100, 18));
  HWND hk = add(2, ctl_ex(WS_EX_CLIENTEDGE, HOTKEY_CLASSW, L"", WS_TABSTOP, 300, 76, 170, 24, 0));
  SendMessageW(hk, HKM_SETHOTKEY, MAKEWORD('K', HOTKEYF_CONTROL | HOTKEYF_ALT), 0);
  add(2, ctl(L"Static", L"Gateway", 0, 300, 112, 100, 18));
  HWND ip = add(2, ctl(WC_IPADDRESSW, L"", WS_TABSTOP, 300, 134, 170, 24));
  SendMessageW(ip, IPM_SETADDRESS, 0, MAKEIPADDRESS(192, 168, 1, 1));
  add(2, ctl(L"Button", L"Restore defaults", WS_TABSTOP, 300, 250, 170, 28));
}

static void page_info(void) {
  add(3, ctl(L"Static", L"Driver details", 0, 30, 54, 200, 18));
  HWND lb = add(3, ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_MULTICOLUMN | WS_HSCROLL | WS_TABSTOP, 30, 76, 440, 120, 0));
  SendMessageW(lb, LB_SETCOLUMNWIDTH, S(140), 0);
  for (int i = 0; i < 24; i++) {
    wchar_t s[40];
    swprintf(s, 40, L"module_%02d.sys", i);
    SendMessageW(lb, LB_ADDSTRING, 0, (LPARAM)s);
  }
  add(3, ctl(L"Button", L"Update driver...", WS_TABSTOP, 30, 214, 140, 28));
  add(3, ctl(L"Button", L"Roll back", WS_TABSTOP | WS_DISABLED, 184, 214, 120, 28));
  add(3, ctl(L"Button", L"Uninstall", WS_TABSTOP, 318, 214, 120, 28));
  add(3, ctl(L"SysLink", L"<a>Vendor support site</a>", WS_TABSTOP, 30, 260, 200, 20));
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"Nimbus Sans", 10, FW_NORMAL);
  HWND top = main_window(L"RpaDevProps", L"Audio device properties", tabs_proc, 540, 430, NULL);
  static const wchar_t *const names[] = { L"General", L"Channels", L"Advanced", L"Driver" };
  tabs(WS_CLIPSIBLINGS | WS_TABSTOP, 12, 12, 500, 300, names);
  page_general();
  page_channels();
  page_advanced();
  page_info();
  ctl(L"Button", L"OK", BS_DEFPUSHBUTTON | WS_TABSTOP, 232, 330, 90, 30);
  ctl(L"Button", L"Cancel", WS_TABSTOP, 328, 330, 90, 30);
  ctl(L"Button", L"Apply", WS_TABSTOP, 424, 330, 90, 30);
  tabs_start();
  apply_disabled(top);
  return run_loop(top);
}
