/* commdlg.exe open|save|font|color|colorfull|print|pagesetup (print and pagesetup need an installed printer; Wine shows "install a printer" here, so the dataset leaves them out): shows one of Wine's common dialogs (comdlg32), owned by
 * nothing, so the dialog itself is the program's window. */
#include "app_common.h"
#include <commdlg.h>

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"Tahoma", 8, FW_NORMAL);
  const wchar_t *what = g_argc > 1 ? g_argv[1] : L"open";
  wchar_t file[MAX_PATH] = L"report.txt";
  if (!wcscmp(what, L"open") || !wcscmp(what, L"save")) {
    OPENFILENAMEW o = { sizeof o };
    o.lpstrFilter = L"Text files (*.txt)\0*.txt\0All files (*.*)\0*.*\0";
    o.lpstrFile = file;
    o.nMaxFile = MAX_PATH;
    o.lpstrInitialDir = L"C:\\windows";
    o.Flags = OFN_EXPLORER | OFN_HIDEREADONLY;
    if (!wcscmp(what, L"open")) GetOpenFileNameW(&o); else GetSaveFileNameW(&o);
  } else if (!wcscmp(what, L"font")) {
    LOGFONTW lf = { -13 };
    wcscpy(lf.lfFaceName, L"Tahoma");
    CHOOSEFONTW f = { sizeof f };
    f.lpLogFont = &lf;
    f.Flags = CF_SCREENFONTS | CF_EFFECTS | CF_INITTOLOGFONTSTRUCT;
    ChooseFontW(&f);
  } else if (!wcscmp(what, L"color") || !wcscmp(what, L"colorfull")) {
    static COLORREF custom[16];
    CHOOSECOLORW c = { sizeof c };
    c.rgbResult = RGB(0, 120, 215);
    c.lpCustColors = custom;
    c.Flags = CC_RGBINIT | (!wcscmp(what, L"colorfull") ? CC_FULLOPEN : 0);
    ChooseColorW(&c);
  } else if (!wcscmp(what, L"print")) {
    PRINTDLGW p = { sizeof p };
    p.Flags = PD_ALLPAGES | PD_NOSELECTION;
    p.nFromPage = 1, p.nToPage = 3, p.nMinPage = 1, p.nMaxPage = 9, p.nCopies = 1;
    PrintDlgW(&p);
  } else if (!wcscmp(what, L"pagesetup")) {
    PAGESETUPDLGW p = { sizeof p };
    PageSetupDlgW(&p);
  }
  return 0;
}
