/* wineenum.dll: wineinject.exe starts WineEnumRun in the target process with CreateRemoteThread; the argument is
 * the Windows path of the JSON-lines file to write. Returns 0 on success. */
#include "enum.h"

__declspec(dllexport) DWORD WINAPI WineEnumRun(LPVOID param) {
  FILE *f = _wfopen((const wchar_t *)param, L"wb");
  if (!f) return 2;
  enumerate_process(f);
  fclose(f);
  return 0;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
  (void)inst; (void)reason; (void)reserved;
  return TRUE;
}
