/* win32-datagrid: a dense order-entry form in DejaVu Serif 8 pt — menu bar, text toolbar (list style with labels),
 * a grid of labelled edits and combos, a large report list view with grid lines, a status bar with parts.
 * Arguments: scrolled (list scrolled down), disabled. */
#include "app_common.h"

static HWND g_tb, g_list, g_status;

static HMENU build_menu(void) {
  static const wchar_t *const tops[] = { L"&Order", L"&Customer", L"&Reports", L"&Tools", L"&Window", L"&Help", NULL };
  static const wchar_t *const items[] = { L"&New order\tCtrl+N", L"&Find...\tCtrl+F", L"&Print\tCtrl+P", L"Export to &CSV",
    L"&Archive", NULL };
  return menu_bar(tops, items, 3, 4, -1, MF_GRAYED);
}

int WINAPI wWinMain(HINSTANCE inst, HINSTANCE prev, PWSTR cmd, int show) {
  app_init(L"DejaVu Serif", 8, FW_NORMAL);
  HWND top = main_window(L"RpaDataGrid", L"Order entry - Northwind", quit_proc, 1000, 700, build_menu());
  g_tb = toolbar(TBSTYLE_FLAT | TBSTYLE_LIST | CCS_TOP, IDB_STD_SMALL_COLOR);
  TBBUTTON b[] = {
    { STD_FILENEW, 1, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"New" },
    { STD_FILESAVE, 2, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Save" },
    { STD_DELETE, 3, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Delete" },
    { 0, 0, 0, BTNS_SEP, {0}, 0, 0 },
    { STD_PRINT, 4, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Print" },
    { STD_PRINTPRE, 5, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Preview" },
    { STD_FIND, 6, TBSTATE_ENABLED, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Find" },
    { STD_UNDO, 7, 0, BTNS_AUTOSIZE | BTNS_SHOWTEXT, {0}, 0, (INT_PTR)L"Undo" },
  };
  SendMessageW(g_tb, TB_ADDBUTTONSW, sizeof b / sizeof *b, (LPARAM)b);
  SendMessageW(g_tb, TB_AUTOSIZE, 0, 0);

  static const wchar_t *const labels[] = { L"Order no.", L"Date", L"Customer", L"Contact", L"Street", L"City", L"Postcode",
    L"Country", L"Carrier", L"Payment", L"Reference", L"Discount %", NULL };
  static const wchar_t *const values[] = { L"10248", L"2026-11-04", L"Vins et alcools Chevalier", L"Paul Henriot", L"59 rue de l'Abbaye",
    L"Reims", L"51100", L"France", L"", L"", L"PO-7731", L"5", NULL };
  static const wchar_t *const carriers[] = { L"Speedy Express", L"United Package", L"Federal Shipping", NULL };
  static const wchar_t *const pays[] = { L"Invoice 30 days", L"Card", L"Prepaid", NULL };
  for (int i = 0; labels[i]; i++) {
    int col = i % 3, row = i / 3, x = 12 + col * 325, y = 42 + row * 28;
    ctl(L"Static", labels[i], SS_RIGHT, x, y + 3, 85, 16);
    if (i == 8 || i == 9) {
      HWND cb = ctl(L"ComboBox", L"", CBS_DROPDOWNLIST | WS_VSCROLL | WS_TABSTOP, x + 92, y, 215, 160);
      add_strings(cb, CB_ADDSTRING, i == 8 ? carriers : pays);
      SendMessageW(cb, CB_SETCURSEL, 1, 0);
    } else {
      edit(values[i], ES_AUTOHSCROLL | (i == 0 ? ES_READONLY : 0), x + 92, y, 215, 22);
    }
  }
  ctl(L"Button", L"Rush order", BS_AUTOCHECKBOX | WS_TABSTOP, 104, 156, 120, 18);
  ctl(L"Button", L"Gift wrap", BS_AUTOCHECKBOX | WS_TABSTOP, 240, 156, 120, 18);
  ctl(L"Button", L"Add line", WS_TABSTOP, 700, 152, 90, 24);
  ctl(L"Button", L"Remove line", WS_TABSTOP, 800, 152, 100, 24);

  g_list = ctl_ex(WS_EX_CLIENTEDGE, WC_LISTVIEWW, L"", LVS_REPORT | LVS_SHOWSELALWAYS | WS_TABSTOP, 12, 186, 960, 400, 0);
  SendMessageW(g_list, LVM_SETEXTENDEDLISTVIEWSTYLE, 0, LVS_EX_FULLROWSELECT | LVS_EX_GRIDLINES | LVS_EX_HEADERDRAGDROP);
  static const wchar_t *const cols[] = { L"Line", L"Product", L"Unit price", L"Qty", L"Discount", L"Total", L"Warehouse", NULL };
  static const int widths[] = { 50, 260, 100, 60, 80, 110, 160 };
  lv_columns(g_list, cols, widths);
  static const wchar_t *const products[] = { L"Queso Cabrales", L"Singaporean Hokkien", L"Mozzarella di Giovanni", L"Chai", L"Chang",
    L"Aniseed Syrup", L"Chef Anton's Cajun", L"Grandma's Boysenberry", L"Uncle Bob's Pears", L"Northwoods Cranberry", L"Mishi Kobe Niku",
    L"Ikura", L"Queso Manchego", L"Konbu", L"Tofu", L"Genen Shouyu", L"Pavlova", L"Alice Mutton", L"Carnarvon Tigers", L"Teatime Biscuits",
    L"Sir Rodney's Marmalade", L"Gustaf's Knäckebröd", L"Tunnbröd", L"Guaraná Fantástica", L"NuNuCa Nuß-Nougat", L"Gumbär Gummibärchen",
    L"Schoggi Schokolade", L"Rössle Sauerkraut", L"Thüringer Rostbratwurst", L"Nord-Ost Matjeshering", NULL };
  for (int i = 0; products[i]; i++) {
    wchar_t line[8], price[16], qty[8], disc[8], total[16];
    swprintf(line, 8, L"%d", i + 1);
    swprintf(price, 16, L"%d.%02d", 5 + i * 3 % 40, i * 17 % 100);
    swprintf(qty, 8, L"%d", 1 + i * 7 % 20);
    swprintf(disc, 8, L"%d%%", i % 4 * 5);
    swprintf(total, 16, L"%d.00", (5 + i * 3 % 40) * (1 + i * 7 % 20));
    const wchar_t *cells[] = { line, products[i], price, qty, disc, total, i % 2 ? L"Lyon" : L"Hamburg", NULL };
    lv_row(g_list, i, cells, 0);
  }
  if (has_arg(L"scrolled")) ListView_EnsureVisible(g_list, 29, FALSE);
  ListView_SetItemState(g_list, 3, LVIS_SELECTED, LVIS_SELECTED);
  g_status = status_bar(300, 600, L"30 lines", L"Total 4 812.50 EUR", L"Connected");
  apply_disabled(top);
  return run_loop(top);
}
