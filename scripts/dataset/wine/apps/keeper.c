/* keeper.exe: a 1x1 window off-screen that keeps Wine's virtual desktop (and its explorer process) alive between the
 * programs capture.py starts and stops, and tells it when the desktop is ready (it is found by class:RpaKeeper). */
#include <windows.h>

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  WNDCLASSW wc = { 0, DefWindowProcW, 0, 0, inst, NULL, NULL, NULL, NULL, L"RpaKeeper" };
  RegisterClassW(&wc);
  HWND h = CreateWindowExW(WS_EX_TOOLWINDOW, L"RpaKeeper", L"", WS_POPUP | WS_VISIBLE, -20, -20, 1, 1, NULL, NULL, inst, NULL);
  (void)h;
  MSG m;
  while (GetMessageW(&m, NULL, 0, 0) > 0) DispatchMessageW(&m);
  return 0;
}
