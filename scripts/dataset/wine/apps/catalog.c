/* win32-catalog: a media catalogue in Nimbus Sans 8 pt — list rows are the family's second-weakest type on held-out
 * programs, so rows of every kind: a category list box, a multi-select list box, a list view of 45 titles shown as a
 * report (small icons, sort arrow), a list, small icons or large icons, a header-less check-box tag list, and the
 * rows of an open drop-down list. Added in round 7 (2026-12-07, batch split by the sha256 rule). Arguments: list,
 * small, icons (the view), scrolled (titles scrolled to the end), disabled. */
#include "app_common.h"

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&Catalogue", L"&Edit", L"&View", L"&Tools", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&Details\tCtrl+1", L"&List\tCtrl+2", L"&Small icons\tCtrl+3", L"&Large icons\tCtrl+4",
    L"&Refresh\tF5", NULL };
  return menu_bar(tops, items, 4, 0, 2, MF_CHECKED);
}

static void titles(HWND lv) {
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | LVS_EX_LABELTIP);
  ListView_SetImageList(lv, icons_small(), LVSIL_SMALL);
  ListView_SetImageList(lv, icons_large(), LVSIL_NORMAL);
  static const wchar_t *const cols[] = { L"Title", L"Artist", L"Year", L"Length", L"Rating", NULL };
  static const int widths[] = { 180, 150, 50, 60, 60 };
  lv_columns(lv, cols, widths);
  HWND hdr = ListView_GetHeader(lv);
  HDITEMW hi = { HDI_FORMAT };
  SendMessageW(hdr, HDM_GETITEMW, 2, (LPARAM)&hi);
  hi.fmt |= HDF_SORTUP;
  SendMessageW(hdr, HDM_SETITEMW, 2, (LPARAM)&hi);
  static const wchar_t *const words[] = { L"Blue", L"Night", L"River", L"Silver", L"Morning", L"Paper", L"Glass", L"Winter",
    L"Golden", L"Quiet", NULL };
  static const wchar_t *const nouns[] = { L"Road", L"Garden", L"Harbour", L"Train", L"Letters", L"Lights", L"Mountain", NULL };
  static const wchar_t *const artists[] = { L"The Northern Set", L"Ada Lind", L"Marco Bellini", L"Quartet Nine", L"Sola",
    L"Hendrik & Co.", L"June Okafor", NULL };
  for (int i = 0; i < 45; i++) {
    wchar_t title[48], year[8], len[8], rating[8];
    swprintf(title, 48, L"%ls %ls", words[(i * 3) % 10], nouns[(i * 5) % 7]);
    swprintf(year, 8, L"%d", 1968 + (i * 7) % 57);
    swprintf(len, 8, L"%d:%02d", 2 + i % 6, (i * 17) % 60);
    swprintf(rating, 8, L"%ls", (const wchar_t *[]){ L"*", L"**", L"***", L"****", L"*****" }[(i * 2) % 5]);
    const wchar_t *cells[] = { title, artists[i % 7], year, len, rating, NULL };
    lv_row(lv, i, cells, i % 6);
  }
  ListView_SetItemState(lv, 3, LVIS_SELECTED, LVIS_SELECTED);
  DWORD view = has_arg(L"list") ? LVS_LIST : has_arg(L"small") ? LVS_SMALLICON : has_arg(L"icons") ? LVS_ICON : LVS_REPORT;
  SetWindowLongPtrW(lv, GWL_STYLE, (GetWindowLongPtrW(lv, GWL_STYLE) & ~LVS_TYPEMASK) | view);
  if (has_arg(L"scrolled")) ListView_EnsureVisible(lv, 44, FALSE);
}

static void tags(HWND lv) {
  SendMessageW(lv, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_CHECKBOXES | LVS_EX_FULLROWSELECT);
  static const wchar_t *const cols[] = { L"Tag", NULL };
  static const int widths[] = { 180 };
  lv_columns(lv, cols, widths);
  static const wchar_t *const names[] = { L"Favourite", L"Live recording", L"Remastered", L"Instrumental", L"Soundtrack",
    L"Compilation", L"Bonus track", L"Explicit", L"Acoustic", L"Single", NULL };
  for (int i = 0; names[i]; i++) {
    const wchar_t *cells[] = { names[i], NULL };
    lv_row(lv, i, cells, 0);
    if (i % 3 == 0) ListView_SetCheckState(lv, i, TRUE);
  }
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"Nimbus Sans", 8, FW_NORMAL);
  HWND top = main_window(L"RpaCatalog", L"Catalogue - Music library", quit_proc, 1000, 640, build_menu());
  ctl(L"Static", L"Categories", 0, 8, 8, 160, 16);
  HWND cats = ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_NOTIFY | WS_VSCROLL | WS_TABSTOP, 8, 26, 170, 300, 0);
  static const wchar_t *const cat[] = { L"All music", L"Recently added", L"Most played", L"Albums", L"Artists", L"Composers",
    L"Genres", L"Years", L"Playlists", L"Podcasts", L"Audio books", L"Radio", L"Videos", L"Concerts", L"Imports",
    L"Duplicates", L"Missing files", L"Trash", NULL };
  add_strings(cats, LB_ADDSTRING, cat);
  SendMessageW(cats, LB_SETCURSEL, 3, 0);
  ctl(L"Static", L"Devices", 0, 8, 336, 160, 16);
  HWND devs = ctl_ex(WS_EX_CLIENTEDGE, L"ListBox", L"", LBS_MULTIPLESEL | WS_VSCROLL | WS_TABSTOP, 8, 354, 170, 150, 0);
  static const wchar_t *const dev[] = { L"Phone", L"Car stereo", L"Kitchen speaker", L"Laptop", L"Backup drive", L"Tablet",
    L"Study speaker", L"Headphones", L"Watch", L"TV", NULL };
  add_strings(devs, LB_ADDSTRING, dev);
  SendMessageW(devs, LB_SETSEL, TRUE, 0);
  SendMessageW(devs, LB_SETSEL, TRUE, 2);
  SendMessageW(devs, LB_SETSEL, TRUE, 3);
  ctl(L"Static", L"Show:", 0, 190, 10, 40, 16);
  HWND show_cb = ctl(L"ComboBox", L"", CBS_DROPDOWNLIST | WS_VSCROLL | WS_TABSTOP, 232, 6, 170, 240);
  static const wchar_t *const shows[] = { L"All titles", L"Rated 3 or more", L"Never played", L"Added this month",
    L"Without artwork", L"Lossless only", NULL };
  add_strings(show_cb, CB_ADDSTRING, shows);
  SendMessageW(show_cb, CB_SETCURSEL, 0, 0);
  ctl(L"Static", L"Search:", 0, 420, 10, 50, 16);
  HWND find = ctl(L"ComboBox", L"", CBS_DROPDOWN | WS_VSCROLL | WS_TABSTOP, 472, 6, 280, 200);
  static const wchar_t *const recent[] = { L"harbour", L"live 1979", L"quartet", NULL };
  add_strings(find, CB_ADDSTRING, recent);
  HWND lv = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | LVS_AUTOARRANGE | WS_TABSTOP, 190, 36, 560,
                   510, 0);
  titles(lv);
  ctl(L"Static", L"Tags", 0, 762, 8, 160, 16);
  HWND tl = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_NOCOLUMNHEADER | WS_TABSTOP, 762, 26, 210, 250, 0);
  tags(tl);
  ctl(L"Button", L"Play", BS_DEFPUSHBUTTON | WS_TABSTOP, 762, 290, 100, 28);
  ctl(L"Button", L"Enqueue", WS_TABSTOP, 872, 290, 100, 28);
  ctl(L"Button", L"Edit tags...", WS_TABSTOP, 762, 326, 100, 28);
  ctl(L"Button", L"Remove", WS_TABSTOP, 872, 326, 100, 28);
  ctl(L"Button", L"Shuffle", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 762, 366, 100, 28);
  ctl(L"Button", L"Repeat", BS_AUTOCHECKBOX | BS_PUSHLIKE | WS_TABSTOP, 872, 366, 100, 28);
  ctl(L"Button", L"Show artwork", BS_AUTOCHECKBOX | WS_TABSTOP, 762, 406, 200, 18);
  ctl(L"Button", L"Group by album", BS_AUTOCHECKBOX | WS_TABSTOP, 762, 430, 200, 18);
  status_bar(300, 620, L"45 titles", L"3 h 12 min", L"Library: D:\\Music");
  apply_disabled(top);
  return run_loop(top);
}
