/* win32-wizard: a setup wizard in URW Gothic 12 pt — a large two-line button, a radio list, a large-icon
 * list view, a progress bar, a buttons-style tab control, a password pair. Argument: step=N (0..2), disabled. */
#include "app_common.h"

static void step_choose(void) {
  ctl(L"Static", L"How do you want to install the agent?", 0, 200, 20, 460, 26);
  ctl(L"Button", L"Typical installation", BS_AUTORADIOBUTTON | WS_GROUP | WS_TABSTOP, 200, 60, 300, 26);
  HWND r = ctl(L"Button", L"Custom: choose the components", BS_AUTORADIOBUTTON, 200, 92, 360, 26);
  SendMessageW(r, BM_SETCHECK, BST_CHECKED, 0);
  ctl(L"Button", L"Portable (no registry changes)", BS_AUTORADIOBUTTON, 200, 124, 360, 26);
  HWND lv = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_ICON | LVS_AUTOARRANGE | WS_TABSTOP, 200, 164, 460, 190, 0);
  SendMessageW(lv, LVM_SETIMAGELIST, LVSIL_NORMAL, (LPARAM)icons_large());
  static const wchar_t *const comps[] = { L"Agent core", L"Tray icon", L"Bot endpoint", L"Vision models", L"Fleet tools",
    L"Samples", L"Docs", L"Updater", NULL };
  for (int i = 0; comps[i]; i++) {
    const wchar_t *cells[] = { comps[i], NULL };
    lv_row(lv, i, cells, i % 6);
  }
  ListView_SetItemState(lv, 1, LVIS_SELECTED, LVIS_SELECTED);
  ctl(L"Button", L"Include the offline model bundle (420 MB)", BS_AUTOCHECKBOX | WS_TABSTOP, 200, 366, 440, 26);
}

static void step_account(void) {
  HWND tab = ctl(WC_TABCONTROLW, L"", TCS_BUTTONS | TCS_FLATBUTTONS | WS_TABSTOP, 200, 20, 460, 40);
  static const wchar_t *const names[] = { L"Local account", L"Domain", L"Service" };
  for (int i = 0; i < 3; i++) {
    TCITEMW it = { TCIF_TEXT, 0, 0, (wchar_t *)names[i] };
    SendMessageW(tab, TCM_INSERTITEMW, i, (LPARAM)&it);
  }
  ctl(L"Static", L"Account name", 0, 200, 80, 160, 24);
  edit(L"rpa-agent", ES_AUTOHSCROLL, 370, 76, 290, 30);
  ctl(L"Static", L"Password", 0, 200, 120, 160, 24);
  edit(L"hunter2hunter2", ES_PASSWORD | ES_AUTOHSCROLL, 370, 116, 290, 30);
  ctl(L"Static", L"Confirm", 0, 200, 160, 160, 24);
  edit(L"hunter2hunter2", ES_PASSWORD | ES_AUTOHSCROLL, 370, 156, 290, 30);
  ctl(L"Button", L"Start the agent when Windows starts", BS_AUTOCHECKBOX | WS_TABSTOP, 200, 204, 440, 26);
  ctl(L"Button", L"Open the status window after installing", BS_AUTOCHECKBOX | WS_TABSTOP, 200, 236, 440, 26);
  /* Command links and split buttons need comctl32 v6, which Wine only draws with a manifest: multi-line and plain
   * push buttons in their place. */
  ctl(L"Button", L"Test the connection\nChecks the broker and the model server", BS_MULTILINE | WS_TABSTOP, 200, 276, 460, 70);
  ctl(L"Button", L"Advanced...", WS_TABSTOP, 200, 360, 160, 34);
}

static void step_progress(void) {
  ctl(L"Static", L"Installing the RPA Edge Agent...", 0, 200, 20, 460, 26);
  HWND p = ctl(PROGRESS_CLASSW, L"", 0, 200, 60, 460, 26);
  SendMessageW(p, PBM_SETPOS, 42, 0);
  ctl(L"Static", L"Copying files: vision/detector-2.0.onnx", 0, 200, 96, 460, 24);
  HWND lb = ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", WS_VSCROLL | WS_TABSTOP, 200, 130, 460, 180, 0);
  for (int i = 0; i < 30; i++) {
    wchar_t s[64];
    swprintf(s, 64, L"%02d:%02d  copied assets/part-%03d.bin", 10 + i / 60, i % 60, i);
    SendMessageW(lb, LB_ADDSTRING, 0, (LPARAM)s);
  }
  SendMessageW(lb, LB_SETTOPINDEX, 12, 0);
  ctl(L"Button", L"Show details", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 200, 324, 160, 34);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"URW Gothic", 12, FW_NORMAL);
  HWND top = main_window(L"RpaWizard", L"RPA Edge Agent Setup", quit_proc, 720, 520, NULL);
  HWND pic = ctl(L"Static", L"", SS_ICON | SS_CENTERIMAGE, 20, 20, 160, 380);
  SendMessageW(pic, STM_SETICON, (WPARAM)LoadIconW(NULL, IDI_SHIELD), 0);
  int step = arg_int(L"step=", 0);
  if (step == 0) step_choose(); else if (step == 1) step_account(); else step_progress();
  ctl(L"Button", L"< &Back", WS_TABSTOP | (step == 0 ? WS_DISABLED : 0), 330, 420, 110, 34);
  ctl(L"Button", L"&Next >", BS_DEFPUSHBUTTON | WS_TABSTOP, 446, 420, 110, 34);
  ctl(L"Button", L"Cancel", WS_TABSTOP, 570, 420, 110, 34);
  apply_disabled(top);
  return run_loop(top);
}
