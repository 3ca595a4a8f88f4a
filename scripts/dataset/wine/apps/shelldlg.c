/* shelldlg.exe browse|browse-deep|browse-new|browse-new-deep|run|about: shows one of Wine's own shell32
 * dialogs, owned by nothing, so the dialog is the program's window (as commdlg.exe does for comdlg32). browse:
 * SHBrowseForFolder (a tree view of the shell namespace; -deep opens it on C:\windows\system32, so the path down to it
 * is expanded; -new: the new dialog style with an edit box and a "Make New Folder" button); run: the Run dialog
 * (RunFileDlg, shell32 ordinal 61); about: ShellAbout. Added in round 7 (2026-12-07) for the wine-builtin programs of
 * that batch. Tried and left out: comctl32's task dialog (TaskDialogIndirect: Wine 8 drew neither its radio buttons nor
 * its verification check box, and with hyperlinks on, its whole content text is one SysLink, which the type table
 * calls a link); the Change Icon dialog (PickIconDlg, ordinal 62: Wine 8 showed no window). */
#include "app_common.h"
#include <shlobj.h>

static int CALLBACK browse_proc(HWND h, UINT msg, LPARAM l, LPARAM data) {
  if (msg == BFFM_INITIALIZED && data) SendMessageW(h, BFFM_SETSELECTIONW, TRUE, data);
  return 0;
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"Tahoma", 8, FW_NORMAL);
  CoInitialize(NULL);
  const wchar_t *what = g_argc > 1 ? g_argv[1] : L"browse";
  HMODULE shell = GetModuleHandleW(L"shell32.dll");
  if (!wcsncmp(what, L"browse", 6)) {
    wchar_t name[MAX_PATH];
    BROWSEINFOW b = { 0 };
    b.pszDisplayName = name;
    b.lpszTitle = L"Choose the folder to back up:";
    b.ulFlags = BIF_RETURNONLYFSDIRS | (wcsstr(what, L"new") ? BIF_NEWDIALOGSTYLE | BIF_EDITBOX : 0);
    b.lpfn = browse_proc;
    b.lParam = wcsstr(what, L"deep") ? (LPARAM)L"C:\\windows\\system32" : 0;
    SHBrowseForFolderW(&b);
  } else if (!wcscmp(what, L"run")) {
    void (WINAPI *run)(HWND, HICON, LPCWSTR, LPCWSTR, LPCWSTR, UINT) = (void *)GetProcAddress(shell, MAKEINTRESOURCEA(61));
    if (run) run(NULL, NULL, NULL, NULL, NULL, 0);
  } else if (!wcscmp(what, L"about")) {
    ShellAboutW(NULL, L"Backup Assistant", L"Version 3.2 (build 4411)", NULL);
  }
  return 0;
}
