/* win32-settings: a "Preferences" window in Tahoma 8 pt — buttons (default, flat, icon), check boxes (2-state,
 * 3-state, right-aligned text, push-like), radio groups, group boxes, edits, the three combo box styles, a list box.
 * Arguments: disabled (every other control disabled), scrolled (list box scrolled), mixed (3-state boxes indeterminate). */
#include "app_common.h"

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"Tahoma", 8, FW_NORMAL);
  HWND top = main_window(L"RpaSettings", L"Preferences", quit_proc, 660, 500, NULL);
  ctl(L"Button", L"General", BS_GROUPBOX, 10, 8, 300, 150);
  HWND c1 = ctl(L"Button", L"&Start with the system", BS_AUTOCHECKBOX | WS_TABSTOP, 22, 28, 200, 18);
  SendMessageW(c1, BM_SETCHECK, BST_CHECKED, 0);
  ctl(L"Button", L"Show tray &icon", BS_AUTOCHECKBOX | WS_TABSTOP, 22, 50, 200, 18);
  HWND c3 = ctl(L"Button", L"Sync &folders (partial)", BS_AUTO3STATE | WS_TABSTOP, 22, 72, 200, 18);
  SendMessageW(c3, BM_SETCHECK, has_arg(L"mixed") ? BST_INDETERMINATE : BST_CHECKED, 0);
  ctl(L"Button", L"Right-aligned option", BS_AUTOCHECKBOX | BS_LEFTTEXT | BS_RIGHT | WS_TABSTOP, 22, 94, 180, 18);
  HWND t = ctl(L"Button", L"Toggle", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 22, 120, 80, 26);
  SendMessageW(t, BM_SETCHECK, BST_CHECKED, 0);
  ctl(L"Button", L"Pause", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 110, 120, 80, 26);

  ctl(L"Button", L"Startup", BS_GROUPBOX, 320, 8, 320, 150);
  HWND r1 = ctl(L"Button", L"&Normal window", BS_AUTORADIOBUTTON | WS_GROUP | WS_TABSTOP, 332, 28, 140, 18);
  SendMessageW(r1, BM_SETCHECK, BST_CHECKED, 0);
  ctl(L"Button", L"Mi&nimized", BS_AUTORADIOBUTTON, 332, 50, 140, 18);
  ctl(L"Button", L"Ma&ximized", BS_AUTORADIOBUTTON, 332, 72, 140, 18);
  HWND r4 = ctl(L"Button", L"Light", BS_AUTORADIOBUTTON | WS_GROUP | WS_TABSTOP, 490, 28, 130, 18);
  ctl(L"Button", L"Dark", BS_AUTORADIOBUTTON, 490, 50, 130, 18);
  SendMessageW(r4, BM_SETCHECK, BST_CHECKED, 0);
  ctl(L"Button", L"Follow system", BS_AUTORADIOBUTTON | BS_LEFTTEXT, 490, 72, 130, 18);

  ctl(L"Static", L"User name:", SS_LEFT, 14, 172, 80, 16);
  edit(L"operator01", ES_AUTOHSCROLL, 100, 168, 210, 22);
  ctl(L"Static", L"Password:", SS_LEFT, 14, 200, 80, 16);
  edit(L"secret", ES_PASSWORD | ES_AUTOHSCROLL, 100, 196, 210, 22);
  ctl(L"Static", L"Server:", SS_LEFT, 14, 228, 80, 16);
  edit(L"mqtt://fleet.local:8883", ES_READONLY | ES_AUTOHSCROLL, 100, 224, 210, 22);
  ctl(L"Static", L"Notes:", SS_LEFT, 14, 256, 80, 16);
  edit(L"First line of notes\r\nSecond line\r\nThird line\r\nFourth line\r\nFifth line", ES_MULTILINE | WS_VSCROLL | ES_AUTOVSCROLL,
       100, 252, 210, 90);

  static const wchar_t *const langs[] = { L"English", L"Deutsch", L"Français", L"Español", L"Italiano", L"Nederlands", L"Polski", NULL };
  ctl(L"Static", L"Language:", SS_LEFT, 330, 172, 80, 16);
  HWND cb1 = ctl(L"ComboBox", L"", CBS_DROPDOWNLIST | WS_VSCROLL | WS_TABSTOP, 420, 168, 210, 200);
  add_strings(cb1, CB_ADDSTRING, langs);
  SendMessageW(cb1, CB_SETCURSEL, 0, 0);
  ctl(L"Static", L"Proxy:", SS_LEFT, 330, 200, 80, 16);
  HWND cb2 = ctl(L"ComboBox", L"", CBS_DROPDOWN | WS_VSCROLL | WS_TABSTOP, 420, 196, 210, 200);
  static const wchar_t *const proxies[] = { L"none", L"system", L"http://proxy:3128", NULL };
  add_strings(cb2, CB_ADDSTRING, proxies);
  SetWindowTextW(cb2, L"system");
  ctl(L"Static", L"Units:", SS_LEFT, 330, 228, 80, 16);
  HWND cb3 = ctl(L"ComboBox", L"", CBS_SIMPLE | WS_VSCROLL | WS_TABSTOP, 420, 224, 210, 90);
  static const wchar_t *const units[] = { L"Metric", L"Imperial", L"US customary", L"Nautical", L"Astronomical", NULL };
  add_strings(cb3, CB_ADDSTRING, units);
  SendMessageW(cb3, CB_SETCURSEL, 1, 0);

  ctl(L"Static", L"Recent servers:", SS_LEFT, 330, 320, 100, 16);
  HWND lb = ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_NOTIFY | WS_VSCROLL | WS_TABSTOP, 420, 318, 210, 92, 0);
  static const wchar_t *const servers[] = { L"alpha.example.org", L"beta.example.org", L"gamma.example.org", L"delta.example.org",
    L"epsilon.example.org", L"zeta.example.org", L"eta.example.org", L"theta.example.org", L"iota.example.org", L"kappa.example.org", NULL };
  add_strings(lb, LB_ADDSTRING, servers);
  SendMessageW(lb, LB_SETCURSEL, 2, 0);
  if (has_arg(L"scrolled")) SendMessageW(lb, LB_SETTOPINDEX, 5, 0);

  HWND info = ctl(L"Button", L"", BS_ICON | WS_TABSTOP, 14, 360, 36, 36);
  SendMessageW(info, BM_SETIMAGE, IMAGE_ICON, (LPARAM)LoadIconW(NULL, IDI_INFORMATION));
  ctl(L"Button", L"Flat button", BS_FLAT | WS_TABSTOP, 60, 366, 100, 26);
  ctl(L"Button", L"Reset...", WS_TABSTOP, 170, 366, 100, 26);
  ctl(L"Button", L"OK", BS_DEFPUSHBUTTON | WS_TABSTOP, 330, 424, 90, 26);
  ctl(L"Button", L"Cancel", WS_TABSTOP, 430, 424, 90, 26);
  HWND apply = ctl(L"Button", L"&Apply", WS_TABSTOP, 530, 424, 90, 26);
  EnableWindow(apply, FALSE);
  ctl(L"Button", L"&Help", WS_TABSTOP, 14, 424, 90, 26);
  apply_disabled(top);
  return run_loop(top);
}
