/* Item rectangles of list boxes, list views, headers, tree views, tabs and toolbars, from the controls' own
 * messages. We run inside the owning process, so pointer-carrying messages need no remote memory. */
#include "enum.h"

static RECT to_screen(HWND h, RECT r) {
  MapWindowPoints(h, NULL, (POINT *)&r, 2);
  return r;
}

static RECT meet(RECT a, RECT b) {
  RECT o;
  if (!IntersectRect(&o, &a, &b)) SetRectEmpty(&o);
  return o;
}

void items_listbox(EnumCtx *c, HWND h, RECT clip) {
  int n = (int)sm(h, LB_GETCOUNT, 0, 0), top = (int)sm(h, LB_GETTOPINDEX, 0, 0);
  DWORD style = GetWindowLongW(h, GWL_STYLE);
  int hasStrings = !(style & (LBS_OWNERDRAWFIXED | LBS_OWNERDRAWVARIABLE)) || (style & LBS_HASSTRINGS);
  RECT area = meet(client_screen(h), clip);
  for (int i = top; i >= 0 && i < n && i < top + 400; i++) {
    RECT r;
    if (sm(h, LB_GETITEMRECT, i, (LPARAM)&r) == LB_ERR) continue;
    r = to_screen(h, r);
    if (!clip_item(&r, area, 0.4)) continue;
    wchar_t text[512] = L"";
    if (hasStrings && sm(h, LB_GETTEXTLEN, i, 0) < 511) sm(h, LB_GETTEXT, i, (LPARAM)text);
    emit_element(c, "list_item", r, "ListBox.item", text, -1);
  }
}

void items_listview(EnumCtx *c, HWND h, RECT clip) {
  int n = (int)sm(h, LVM_GETITEMCOUNT, 0, 0);
  DWORD view = (DWORD)sm(h, LVM_GETVIEW, 0, 0);
  int checks = (sm(h, LVM_GETEXTENDEDLISTVIEWSTYLE, 0, 0) & LVS_EX_CHECKBOXES) != 0;
  RECT area = meet(client_screen(h), clip);
  HWND hdr = (HWND)sm(h, LVM_GETHEADER, 0, 0);
  if (view == LV_VIEW_DETAILS && hdr && IsWindowVisible(hdr)) {
    RECT hr;
    GetWindowRect(hdr, &hr);
    if (hr.bottom > area.top) area.top = hr.bottom; /* rows scrolled under the header are hidden */
  }
  int start = (view == LV_VIEW_DETAILS || view == LV_VIEW_LIST) ? (int)sm(h, LVM_GETTOPINDEX, 0, 0) : 0;
  for (int i = start; i < n && i < start + 600; i++) {
    RECT r = { .left = LVIR_BOUNDS };
    if (!sm(h, LVM_GETITEMRECT, i, (LPARAM)&r)) continue;
    r = to_screen(h, r);
    if (!clip_item(&r, area, 0.4)) continue;
    wchar_t text[512] = L"";
    LVITEMW it = { .iSubItem = 0, .pszText = text, .cchTextMax = 512 };
    sm(h, LVM_GETITEMTEXTW, i, (LPARAM)&it);
    int checked = checks ? ((sm(h, LVM_GETITEMSTATE, i, LVIS_STATEIMAGEMASK) >> 12) == 2) : -1;
    emit_element(c, "list_item", r, "SysListView32.item", text, checked);
  }
}

void items_header(EnumCtx *c, HWND h, RECT clip) {
  int n = (int)sm(h, HDM_GETITEMCOUNT, 0, 0);
  RECT area = meet(client_screen(h), clip);
  for (int i = 0; i < n; i++) {
    RECT r;
    if (!sm(h, HDM_GETITEMRECT, i, (LPARAM)&r) || r.right - r.left < 4) continue;
    r = to_screen(h, r);
    if (!clip_item(&r, area, 0.4)) continue;
    wchar_t text[256] = L"";
    HDITEMW it = { .mask = HDI_TEXT, .pszText = text, .cchTextMax = 256 };
    sm(h, HDM_GETITEMW, i, (LPARAM)&it);
    emit_element(c, "header_item", r, "SysHeader32.item", text, -1);
  }
}

void items_treeview(EnumCtx *c, HWND h, RECT clip) {
  RECT area = meet(client_screen(h), clip);
  DWORD style = GetWindowLongW(h, GWL_STYLE);
  /* UIA's TreeItem covers the item's icon (and check box) with its text: widen the text rectangle by them. */
  int extra = 0, cx, cy;
  HIMAGELIST il = (HIMAGELIST)sm(h, TVM_GETIMAGELIST, TVSIL_NORMAL, 0);
  if (il && ImageList_GetIconSize(il, &cx, &cy)) extra += cx + 3;
  HIMAGELIST st = (HIMAGELIST)sm(h, TVM_GETIMAGELIST, TVSIL_STATE, 0);
  if (st && ImageList_GetIconSize(st, &cx, &cy)) extra += cx;
  HTREEITEM it = (HTREEITEM)sm(h, TVM_GETNEXTITEM, TVGN_FIRSTVISIBLE, 0);
  for (int k = 0; it && k < 600; k++, it = (HTREEITEM)sm(h, TVM_GETNEXTITEM, TVGN_NEXTVISIBLE, (LPARAM)it)) {
    RECT r;
    memcpy(&r, &it, sizeof it);
    if (!sm(h, TVM_GETITEMRECT, TRUE, (LPARAM)&r)) continue;
    r.left -= extra;
    r = to_screen(h, r);
    if (r.top >= area.bottom) break;
    if (!clip_item(&r, area, 0.4)) continue;
    wchar_t text[512] = L"";
    TVITEMW tv = { .mask = TVIF_TEXT | TVIF_STATE, .hItem = it, .pszText = text, .cchTextMax = 512, .stateMask = TVIS_STATEIMAGEMASK };
    sm(h, TVM_GETITEMW, 0, (LPARAM)&tv);
    int checked = (style & TVS_CHECKBOXES) ? ((tv.state >> 12) == 2) : -1;
    emit_element(c, "tree_item", r, "SysTreeView32.item", text, checked);
  }
}

void items_tab(EnumCtx *c, HWND h, RECT clip) {
  int n = (int)sm(h, TCM_GETITEMCOUNT, 0, 0);
  RECT area = meet(client_screen(h), clip);
  for (int i = 0; i < n; i++) {
    RECT r;
    if (!sm(h, TCM_GETITEMRECT, i, (LPARAM)&r)) continue;
    r = to_screen(h, r);
    if (!clip_item(&r, area, 0.6)) continue;
    wchar_t text[256] = L"";
    TCITEMW t = { .mask = TCIF_TEXT, .pszText = text, .cchTextMax = 256 };
    sm(h, TCM_GETITEMW, i, (LPARAM)&t);
    emit_element(c, "tab", r, "SysTabControl32.item", text, -1);
  }
}

void items_toolbar(EnumCtx *c, HWND h, RECT clip) {
  int n = (int)sm(h, TB_BUTTONCOUNT, 0, 0);
  RECT area = meet(client_screen(h), clip);
  int textRows = (int)sm(h, TB_GETTEXTROWS, 0, 0);
  for (int i = 0; i < n; i++) {
    TBBUTTON b;
    RECT r;
    if (!sm(h, TB_GETBUTTON, i, (LPARAM)&b) || (b.fsStyle & BTNS_SEP) || (b.fsState & TBSTATE_HIDDEN)) continue;
    if (!sm(h, TB_GETITEMRECT, i, (LPARAM)&r)) continue;
    r = to_screen(h, r);
    if (!clip_item(&r, area, 0.6)) continue;
    wchar_t text[256] = L"";
    LRESULT len = sm(h, TB_GETBUTTONTEXTW, b.idCommand, 0);
    if (len > 0 && len < 255) sm(h, TB_GETBUTTONTEXTW, b.idCommand, (LPARAM)text);
    int shown = text[0] && textRows > 0;
    if (b.fsStyle & BTNS_CHECK)
      emit_element(c, "toggle", r, "ToolbarWindow32.check", text, (b.fsState & TBSTATE_CHECKED) ? 1 : 0);
    else
      emit_element(c, shown ? "button" : "icon_button", r, "ToolbarWindow32.button", text, -1);
  }
}
