/* win32-mixer: a sound mixer in DejaVu Sans Condensed 9 pt — eight channel strips (vertical trackbar with ticks,
 * vertical level meter, push-like Mute toggle), balance and master trackbars, up-down buddies (right, left, stand-alone
 * horizontal), smooth / stepped / vertical progress bars, push-like radio toggles, a channel list box.
 * Added after the wine family's split (issue 15 §1, round 3): train only.
 * Arguments: muted (some Mute toggles down), noticks (trackbars without ticks, top/left ticks on the others),
 * disabled. */
#include "app_common.h"

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&Options", L"&Devices", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&Properties", L"&Advanced controls", L"E&xit", NULL };
  return menu_bar(tops, items, -1, 1, -1, MF_CHECKED);
}

static HWND trackbar(DWORD style, int x, int y, int w, int h, int lo, int hi, int pos, int freq) {
  return trackbar_set(ctl(TRACKBAR_CLASSW, L"", WS_TABSTOP | style, x, y, w, h), lo, hi, freq, pos);
}

static void spin(const wchar_t *label, int x, int y, int value, DWORD align) {
  ctl(L"Static", label, SS_RIGHT, x, y + 3, 90, 16);
  HWND e = edit(L"", ES_NUMBER, x + 96, y, 70, 22);
  updown_buddy(ctl(UPDOWN_CLASSW, L"", UDS_SETBUDDYINT | UDS_ARROWKEYS | align, 0, 0, 0, 0), e, 0, 48000, value);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"DejaVu Sans Condensed", 9, FW_NORMAL);
  HWND top = main_window(L"RpaMixer", L"Mixer - Line out", quit_proc, 940, 640, build_menu());
  int noticks = has_arg(L"noticks"), muted = has_arg(L"muted");
  static const wchar_t *const names[] = { L"Master", L"Wave", L"MIDI", L"CD audio", L"Line in", L"Mic", L"Aux", L"Phone", NULL };
  for (int c = 0; names[c]; c++) {
    int x = 12 + c * 74;
    ctl(L"Button", names[c], BS_GROUPBOX, x, 4, 68, 330);
    ctl(L"Static", L"Balance", SS_CENTER, x + 4, 22, 60, 14);
    trackbar(TBS_HORZ | (noticks ? TBS_NOTICKS : TBS_BOTTOM | TBS_AUTOTICKS), x + 4, 38, 60, 26, -10, 10, (c * 7) % 21 - 10, 5);
    trackbar(TBS_VERT | (noticks ? TBS_NOTICKS : (c % 2 ? TBS_BOTH : TBS_LEFT) | TBS_AUTOTICKS), x + 6, 70, 34, 190, 0, 100,
             (c * 23) % 100, 10);
    HWND meter = ctl(PROGRESS_CLASSW, L"", PBS_VERTICAL | PBS_SMOOTH, x + 46, 74, 12, 180);
    SendMessageW(meter, PBM_SETPOS, 20 + (c * 31) % 80, 0);
    HWND mute = ctl(L"Button", L"Mute", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, x + 6, 270, 56, 24);
    if (muted && c % 3 == 1) SendMessageW(mute, BM_SETCHECK, BST_CHECKED, 0);
    ctl(L"Button", L"Solo", BS_AUTOCHECKBOX | WS_TABSTOP, x + 8, 302, 56, 18);
  }
  ctl(L"Button", L"Output", BS_GROUPBOX, 610, 4, 310, 150);
  ctl(L"Static", L"Master volume", 0, 622, 24, 120, 16);
  trackbar(TBS_HORZ | (noticks ? TBS_NOTICKS : TBS_TOP | TBS_AUTOTICKS), 618, 42, 290, 32, 0, 100, 70, 5);
  ctl(L"Static", L"Bass", 0, 622, 84, 60, 16);
  trackbar(TBS_HORZ | TBS_AUTOTICKS, 680, 80, 228, 28, -12, 12, 3, 3);
  ctl(L"Static", L"Treble", 0, 622, 118, 60, 16);
  trackbar(TBS_HORZ | TBS_AUTOTICKS | TBS_ENABLESELRANGE, 680, 114, 228, 28, -12, 12, -2, 3);
  ctl(L"Button", L"Format", BS_GROUPBOX, 610, 160, 310, 174);
  spin(L"Sample rate:", 616, 180, 44100, UDS_ALIGNRIGHT);
  spin(L"Buffer (ms):", 616, 210, 20, UDS_ALIGNRIGHT);
  spin(L"Latency (ms):", 616, 240, 12, UDS_ALIGNLEFT);
  ctl(L"Static", L"Channels:", SS_RIGHT, 616, 273, 90, 16);
  HWND h = ctl(UPDOWN_CLASSW, L"", UDS_HORZ | UDS_WRAP, 712, 270, 40, 22);
  SendMessageW(h, UDM_SETRANGE32, 1, 8);
  ctl(L"Button", L"Stereo", BS_AUTORADIOBUTTON | BS_PUSHLIKE | WS_GROUP | WS_TABSTOP, 622, 302, 90, 24);
  HWND surround = ctl(L"Button", L"5.1", BS_AUTORADIOBUTTON | BS_PUSHLIKE, 716, 302, 90, 24);
  ctl(L"Button", L"7.1", BS_AUTORADIOBUTTON | BS_PUSHLIKE, 810, 302, 90, 24);
  SendMessageW(surround, BM_SETCHECK, BST_CHECKED, 0);

  ctl(L"Static", L"Devices", 0, 12, 344, 120, 16);
  HWND lb = ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_NOTIFY | WS_VSCROLL | WS_TABSTOP, 12, 362, 290, 170, 0);
  static const wchar_t *const devs[] = { L"Speakers (High Definition Audio)", L"Headphones (USB)", L"HDMI output 1",
    L"HDMI output 2", L"Digital output (S/PDIF)", L"Line out (rear)", L"Bluetooth headset", L"Virtual cable A",
    L"Virtual cable B", L"Null output", NULL };
  add_strings(lb, LB_ADDSTRING, devs);
  SendMessageW(lb, LB_SETCURSEL, 1, 0);
  ctl(L"Static", L"Test tone", 0, 320, 344, 120, 16);
  HWND p1 = ctl(PROGRESS_CLASSW, L"", PBS_SMOOTH, 320, 364, 280, 20);
  SendMessageW(p1, PBM_SETPOS, 45, 0);
  ctl(L"Static", L"Calibration", 0, 320, 394, 120, 16);
  HWND p2 = ctl(PROGRESS_CLASSW, L"", 0, 320, 412, 280, 16);
  SendMessageW(p2, PBM_SETPOS, 80, 0);
  ctl(L"Static", L"Peak hold", 0, 320, 436, 120, 16);
  HWND p3 = ctl(PROGRESS_CLASSW, L"", PBS_SMOOTH, 320, 454, 280, 12);
  SendMessageW(p3, PBM_SETPOS, 15, 0);
  ctl(L"Button", L"Play test tone", WS_TABSTOP, 320, 480, 130, 26);
  ctl(L"Button", L"Loudness", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 460, 480, 140, 26);
  ctl(L"Button", L"Restore defaults", WS_TABSTOP, 620, 480, 140, 26);
  ctl(L"Button", L"Close", WS_TABSTOP, 780, 480, 140, 26);
  ctl(L"Button", L"Show advanced sliders", BS_AUTOCHECKBOX | WS_TABSTOP, 620, 350, 200, 18);
  ctl(L"Button", L"Lock balance", BS_AUTOCHECKBOX | WS_TABSTOP, 620, 374, 200, 18);
  apply_disabled(top);
  return run_loop(top);
}
