/* wineinject.exe DLL TARGET OUT
 *   DLL    Windows path of wineenum.dll
 *   TARGET a top-level window title substring ("title:Notepad"), a window class ("class:Notepad") or "pid:N"
 *   OUT    Windows path of the JSON-lines file the enumerator writes
 * Loads wineenum.dll into the target process once (CreateRemoteThread on LoadLibraryW), then runs its WineEnumRun
 * there on a new remote thread; Wine implements both. Exit code 0 = done. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <psapi.h>
#include <stdio.h>
#include <wchar.h>

typedef struct { const wchar_t *title, *cls; DWORD pid; } Find;

static BOOL CALLBACK find_window(HWND h, LPARAM p) {
  Find *f = (Find *)p;
  wchar_t buf[512];
  if (!IsWindowVisible(h)) return TRUE;
  if (f->title) { GetWindowTextW(h, buf, 512); if (!wcsstr(buf, f->title)) return TRUE; }
  if (f->cls) { GetClassNameW(h, buf, 512); if (_wcsicmp(buf, f->cls)) return TRUE; }
  GetWindowThreadProcessId(h, &f->pid);
  return FALSE;
}

static void *remote_string(HANDLE proc, const wchar_t *s) {
  SIZE_T size = (wcslen(s) + 1) * sizeof(wchar_t);
  void *mem = VirtualAllocEx(proc, NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (mem && !WriteProcessMemory(proc, mem, s, size, NULL)) return NULL;
  return mem;
}

static DWORD run_remote(HANDLE proc, void *fn, void *arg) {
  HANDLE t = CreateRemoteThread(proc, NULL, 0, (LPTHREAD_START_ROUTINE)fn, arg, 0, NULL);
  DWORD code = 99;
  if (!t) return 98;
  if (WaitForSingleObject(t, 30000) != WAIT_OBJECT_0) return 97;
  GetExitCodeThread(t, &code);
  CloseHandle(t);
  return code;
}

static HMODULE remote_module(HANDLE proc, const wchar_t *name) {
  HMODULE mods[1024];
  DWORD need = 0;
  wchar_t base[MAX_PATH];
  if (!EnumProcessModulesEx(proc, mods, sizeof mods, &need, LIST_MODULES_ALL)) return NULL;
  for (DWORD i = 0; i < need / sizeof(HMODULE) && i < 1024; i++)
    if (GetModuleBaseNameW(proc, mods[i], base, MAX_PATH) && !_wcsicmp(base, name)) return mods[i];
  return NULL;
}

int wmain(int argc, wchar_t **argv) {
  if (argc != 4) { fwprintf(stderr, L"usage: wineinject DLL title:T|class:C|pid:N OUT\n"); return 64; }
  Find f = { NULL, NULL, 0 };
  if (!wcsncmp(argv[2], L"pid:", 4)) f.pid = wcstoul(argv[2] + 4, NULL, 10);
  else if (!wcsncmp(argv[2], L"title:", 6)) f.title = argv[2] + 6;
  else if (!wcsncmp(argv[2], L"class:", 6)) f.cls = argv[2] + 6;
  if (!f.pid) EnumWindows(find_window, (LPARAM)&f);
  if (!f.pid) { fwprintf(stderr, L"wineinject: no window for %ls\n", argv[2]); return 3; }
  HANDLE proc = OpenProcess(PROCESS_ALL_ACCESS, FALSE, f.pid);
  if (!proc) { fwprintf(stderr, L"wineinject: OpenProcess %lu failed\n", f.pid); return 4; }
  const wchar_t *dllName = wcsrchr(argv[1], L'\\') ? wcsrchr(argv[1], L'\\') + 1 : argv[1];
  HMODULE remote = remote_module(proc, dllName);
  if (!remote) {
    void *loadLib = (void *)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "LoadLibraryW");
    run_remote(proc, loadLib, remote_string(proc, argv[1]));
    remote = remote_module(proc, dllName);
  }
  if (!remote) { fwprintf(stderr, L"wineinject: could not load %ls into %lu\n", argv[1], f.pid); return 5; }
  HMODULE local = LoadLibraryW(argv[1]);
  FARPROC fn = local ? GetProcAddress(local, "WineEnumRun") : NULL;
  if (!fn) { fwprintf(stderr, L"wineinject: WineEnumRun not found\n"); return 6; }
  void *remoteFn = (char *)remote + ((char *)fn - (char *)local);
  DWORD code = run_remote(proc, remoteFn, remote_string(proc, argv[3]));
  printf("%lu\n", f.pid);
  return (int)code;
}
