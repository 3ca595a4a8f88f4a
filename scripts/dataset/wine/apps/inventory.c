/* win32-inventory: an asset inventory in Nimbus Mono PS 9 pt (a developer tool's monospaced face) — a location tree
 * with tall rows and 24-px icons (single-expand, full-row select: Building > Floor > Room > Rack), a multi-row tab
 * control of eight asset classes, a report list of assets with grid lines, rows of radios without a group box
 * (one row with left text), push-like toggles, check boxes, a drop-down and a spin buddy. Added in round 7
 * (2026-12-07, batch split by the sha256 rule). Arguments: deep (the tree opened on another room), scrolled (assets
 * scrolled to the end), alt (other radios and toggles), disabled. */
#include "app_common.h"

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&Inventory", L"&Edit", L"&View", L"&Audit", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&New asset...\tIns", L"&Move to...", L"&Retire", L"&Print labels", L"E&xit", NULL };
  return menu_bar(tops, items, 4, 2, 1, MF_GRAYED);
}

static void location_tree(HWND tv) {
  TreeView_SetImageList(tv, icons(24), TVSIL_NORMAL);
  TreeView_SetItemHeight(tv, S(28));
  static const wchar_t *const floors[] = { L"Ground floor", L"First floor", L"Second floor", NULL };
  static const wchar_t *const rooms[] = { L"Server room", L"Office A", L"Office B", L"Lab", NULL };
  HTREEITEM pick = NULL;
  for (int b = 0; b < 2; b++) {
    HTREEITEM bl = tv_add(tv, TVI_ROOT, b ? L"Building B" : L"Building A", 0);
    for (int f = 0; floors[f]; f++) {
      HTREEITEM fl = tv_add(tv, bl, floors[f], 1);
      for (int r = 0; rooms[r] && r < 2 + (f + b) % 3; r++) {
        HTREEITEM rm = tv_add(tv, fl, rooms[r], 2 + r % 3);
        for (int k = 0; k < 1 + (r + f) % 3; k++) {
          wchar_t rack[16];
          swprintf(rack, 16, L"Rack %c%d", 'A' + f, k + 1);
          tv_add(tv, rm, rack, 5);
        }
        if (b == (has_arg(L"deep") ? 1 : 0) && f == 1 && r == 0) pick = rm;
      }
    }
  }
  if (pick) {
    TreeView_Expand(tv, TreeView_GetParent(tv, TreeView_GetParent(tv, pick)), TVE_EXPAND);
    TreeView_Expand(tv, TreeView_GetParent(tv, pick), TVE_EXPAND);
    TreeView_Expand(tv, pick, TVE_EXPAND);
    TreeView_SelectItem(tv, pick);
  }
}

static void asset_list(HWND lv) {
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | LVS_EX_GRIDLINES);
  static const wchar_t *const cols[] = { L"Tag", L"Model", L"Serial", L"Owner", L"Warranty", NULL };
  static const int widths[] = { 80, 170, 110, 100, 90 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const models[] = { L"PowerEdge R650", L"ThinkSystem SR630", L"ProLiant DL360", L"UPS 3000VA",
    L"Switch 48p PoE", L"NAS 8-bay", NULL };
  static const wchar_t *const owners[] = { L"IT ops", L"Research", L"Finance", L"Facilities", NULL };
  for (int i = 0; i < 30; i++) {
    wchar_t tag[16], serial[16], until[16];
    swprintf(tag, 16, L"AS-%04d", 1100 + i * 7);
    swprintf(serial, 16, L"SN%07d", 4410000 + i * 3181);
    swprintf(until, 16, L"%d-%02d", 2026 + i % 4, 1 + (i * 5) % 12);
    const wchar_t *cells[] = { tag, models[i % 6], serial, owners[(i * 3) % 4], until, NULL };
    lv_row(lv, i, cells, 0);
  }
  ListView_SetItemState(lv, 2, LVIS_SELECTED, LVIS_SELECTED);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(lv, 29, FALSE);
}

static void radio_row(const wchar_t *label, const wchar_t *const *names, DWORD style, int x, int y, int w, int pick) {
  ctl(L"Static", label, 0, x, y + 2, 90, 18);
  for (int i = 0; names[i]; i++) {
    HWND r = ctl(L"Button", names[i], BS_AUTORADIOBUTTON | style | WS_TABSTOP | (i == 0 ? WS_GROUP : 0), x + 96 + i * (w + 6), y, w, 20);
    if (i == pick) SendMessageW(r, BM_SETCHECK, BST_CHECKED, 0);
  }
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  int alt = has_arg(L"alt");
  app_init(L"Nimbus Mono PS", 9, FW_NORMAL);
  HWND top = main_window(L"RpaInventory", L"Inventory - Head office", quit_proc, 1060, 680, build_menu());
  HWND tv = ctl_ex(WS_EX_CLIENTEDGE, WC_TREEVIEWW, L"", TVS_HASBUTTONS | TVS_HASLINES | TVS_LINESATROOT | TVS_SINGLEEXPAND |
                   TVS_SHOWSELALWAYS | WS_TABSTOP, 8, 8, 300, 600, 0);
  location_tree(tv);
  HWND tabs = ctl(WC_TABCONTROLW, L"", TCS_MULTILINE | WS_TABSTOP | WS_CLIPSIBLINGS, 320, 8, 710, 330);
  static const wchar_t *const classes[] = { L"Servers", L"Network", L"Storage", L"Power", L"Laptops", L"Monitors",
    L"Phones", L"Licences", NULL };
  for (int i = 0; classes[i]; i++) {
    TCITEMW it = { TCIF_TEXT, 0, 0, (wchar_t *)classes[i] };
    SendMessageW(tabs, TCM_INSERTITEMW, i, (LPARAM)&it);
  }
  SendMessageW(tabs, TCM_SETCURSEL, alt ? 5 : 0, 0);
  RECT rc = { 0, 0, S(710), S(330) };
  SendMessageW(tabs, TCM_ADJUSTRECT, FALSE, (LPARAM)&rc);
  HWND lv = CreateWindowExW(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", WS_CHILD | WS_VISIBLE | LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP,
                            S(320) + rc.left, S(8) + rc.top, rc.right - rc.left, rc.bottom - rc.top, top, NULL, inst, NULL);
  SendMessageW(lv, WM_SETFONT, (WPARAM)g_font, TRUE);
  SetWindowPos(lv, HWND_TOP, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE);
  asset_list(lv);
  static const wchar_t *const status[] = { L"In use", L"Spare", L"Repair", L"Retired", NULL };
  radio_row(L"Status:", status, 0, 320, 352, 100, alt ? 2 : 0);
  static const wchar_t *const cond[] = { L"New", L"Good", L"Worn", L"Faulty", NULL };
  radio_row(L"Condition:", cond, BS_LEFTTEXT, 320, 380, 100, alt ? 3 : 1);
  static const wchar_t *const lease[] = { L"Owned", L"Leased", L"Rented", NULL };
  radio_row(L"Ownership:", lease, 0, 320, 408, 100, alt);
  ctl(L"Static", L"Cost centre:", 0, 320, 442, 100, 18);
  HWND cb = ctl(L"ComboBox", L"", CBS_DROPDOWNLIST | WS_VSCROLL | WS_TABSTOP, 416, 438, 200, 200);
  static const wchar_t *const centres[] = { L"CC-100 IT", L"CC-210 Research", L"CC-300 Finance", L"CC-410 Facilities", NULL };
  add_strings(cb, CB_ADDSTRING, centres);
  SendMessageW(cb, CB_SETCURSEL, alt ? 2 : 0, 0);
  ctl(L"Static", L"Quantity:", 0, 640, 442, 80, 18);
  HWND e = edit(L"", ES_NUMBER, 720, 438, 60, 22);
  updown_buddy(updown_plain(UDS_SETBUDDYINT | UDS_ALIGNRIGHT | UDS_ARROWKEYS), e, 1, 99, 1);
  static const wchar_t *const flags[] = { L"Tagged", L"Insured", L"Encrypted", L"Audited this year", NULL };
  for (int i = 0; flags[i]; i++) {
    HWND c = ctl(L"Button", flags[i], BS_AUTOCHECKBOX | WS_TABSTOP, 320 + (i % 2) * 230, 476 + (i / 2) * 24, 220, 18);
    if ((i + alt) % 2 == 0) SendMessageW(c, BM_SETCHECK, BST_CHECKED, 0);
  }
  static const wchar_t *const pins[] = { L"Watch", L"Pin", L"Lock", NULL };
  for (int i = 0; pins[i]; i++) {
    HWND t = ctl(L"Button", pins[i], BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 800 + i * 78, 476, 72, 28);
    if ((i + alt) % 3 == 0) SendMessageW(t, BM_SETCHECK, BST_CHECKED, 0);
  }
  ctl(L"Button", L"Save", BS_DEFPUSHBUTTON | WS_TABSTOP, 800, 540, 110, 28);
  ctl(L"Button", L"Revert", WS_TABSTOP, 920, 540, 110, 28);
  status_bar(360, 700, L"30 assets", L"Building A / First floor", L"Audit due 2027-01");
  apply_disabled(top);
  return run_loop(top);
}
