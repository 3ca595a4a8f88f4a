/* Menu-bar items, open pop-up menu items, and the caption buttons Wine draws on a top-level window. */
#include "enum.h"

static void menu_text(HMENU m, int i, wchar_t *text, int cap) {
  text[0] = 0;
  GetMenuStringW(m, i, text, cap, MF_BYPOSITION);
  for (wchar_t *p = text; *p; p++) if (*p == L'\t') { *p = 0; break; } /* drop the accelerator column */
}

void items_menubar(EnumCtx *c, HWND top) {
  if (GetWindowLongW(top, GWL_STYLE) & WS_CHILD) return;
  HMENU m = GetMenu(top);
  if (!m) return;
  int n = GetMenuItemCount(m);
  RECT win;
  GetWindowRect(top, &win);
  for (int i = 0; i < n; i++) {
    RECT r;
    wchar_t text[256];
    if (!GetMenuItemRect(top, m, i, &r) || r.right <= r.left) continue;
    if (!clip_item(&r, win, 0.6)) continue;
    menu_text(m, i, text, 256);
    /* A maximized MDI child puts its system-menu icon and its minimize/restore/close buttons into the frame's menu bar
     * as bitmap items: the buttons are buttons (UIA: Button), the icon is an image. */
    MENUITEMINFOW mi = { .cbSize = sizeof mi, .fMask = MIIM_FTYPE | MIIM_BITMAP | MIIM_SUBMENU };
    GetMenuItemInfoW(m, i, TRUE, &mi);
    if ((mi.fType & MFT_BITMAP) || (mi.hbmpItem && !text[0])) {
      if (!mi.hSubMenu) emit_element(c, "icon_button", r, "MenuBar.mdibutton", text, -1);
      continue;
    }
    emit_element(c, "menu_bar_item", r, "MenuBar.item", text, -1);
  }
}

void items_popup(EnumCtx *c, HWND popup) {
  HMENU m = (HMENU)sm(popup, MN_GETHMENU, 0, 0);
  if (!m) return;
  int n = GetMenuItemCount(m);
  RECT win;
  GetWindowRect(popup, &win);
  for (int i = 0; i < n; i++) {
    MENUITEMINFOW mi = { .cbSize = sizeof mi, .fMask = MIIM_FTYPE | MIIM_STATE };
    RECT r;
    wchar_t text[256];
    if (!GetMenuItemInfoW(m, i, TRUE, &mi) || (mi.fType & MFT_SEPARATOR)) continue;
    if (!GetMenuItemRect(NULL, m, i, &r) || !clip_item(&r, win, 0.6)) continue;
    menu_text(m, i, text, 256);
    emit_element(c, "menu_item", r, "Menu.item", text, (mi.fState & MFS_CHECKED) ? 1 : -1);
  }
}

/* Wine's classic non-client painting (dlls/win32u/defwnd.c): caption buttons are SM_CXSIZE x SM_CYSIZE cells at the
 * right end of the caption, each drawn inset by 2 px; close, then maximize/restore and minimize to its left. */
void items_caption(EnumCtx *c, HWND top) {
  DWORD style = GetWindowLongW(top, GWL_STYLE), ex = GetWindowLongW(top, GWL_EXSTYLE);
  if ((style & WS_CAPTION) != WS_CAPTION || !(style & WS_SYSMENU)) return;
  RECT w;
  GetWindowRect(top, &w);
  int tool = (ex & WS_EX_TOOLWINDOW) != 0;
  int fx = (style & WS_THICKFRAME) ? GetSystemMetrics(SM_CXFRAME) : GetSystemMetrics(SM_CXDLGFRAME);
  int fy = (style & WS_THICKFRAME) ? GetSystemMetrics(SM_CYFRAME) : GetSystemMetrics(SM_CYDLGFRAME);
  int bw = GetSystemMetrics(tool ? SM_CXSMSIZE : SM_CXSIZE), bh = GetSystemMetrics(tool ? SM_CYSMSIZE : SM_CYSIZE);
  int right = w.right - fx, topY = w.top + fy;
  RECT r = { right - bw - 1, topY + 2, right - 2, topY + bh - 2 };
  emit_element(c, "icon_button", r, "TitleBar.close", L"Close", -1);
  if (tool || !(style & (WS_MAXIMIZEBOX | WS_MINIMIZEBOX))) return;
  r.right = r.left - 2;
  r.left = r.right - bw + 2;
  emit_element(c, "icon_button", r, "TitleBar.maximize", L"Maximize", -1);
  r.right = r.left;
  r.left = r.right - bw + 2;
  emit_element(c, "icon_button", r, "TitleBar.minimize", L"Minimize", -1);
}
