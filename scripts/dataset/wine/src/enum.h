/* The enumerator: runs INSIDE the target process (injected by wineinject.exe, or linked into a test program) and
 * writes one JSON line per top-level window, per child window and per element (see README.md, "Enumerator output"). */
#ifndef WINEENUM_H
#define WINEENUM_H
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <commctrl.h>
#include <stdio.h>

typedef struct {
  FILE *out;
  int top;        /* z index of the top-level window being walked (0 = topmost) */
} EnumCtx;

/* json.c */
void json_str(FILE *f, const wchar_t *s);
void emit_element(EnumCtx *c, const char *type, RECT box, const char *role, const wchar_t *text, int checked);
/* checked: 1 checked, 0 unchecked, -1 not applicable, 2 indeterminate (written as "mixed" role suffix, no checked) */

/* geometry helpers (walk.c) */
LRESULT sm(HWND h, UINT msg, WPARAM w, LPARAM l);
RECT client_screen(HWND h);
int clip_item(RECT *r, RECT clip, double minVisible);

/* items.c: a control's own items */
void items_listbox(EnumCtx *c, HWND h, RECT clip);
void items_listview(EnumCtx *c, HWND h, RECT clip);
void items_header(EnumCtx *c, HWND h, RECT clip);
void items_treeview(EnumCtx *c, HWND h, RECT clip);
void items_tab(EnumCtx *c, HWND h, RECT clip);
void items_toolbar(EnumCtx *c, HWND h, RECT clip);
/* menus.c */
void items_menubar(EnumCtx *c, HWND top);
void items_popup(EnumCtx *c, HWND popup);
void items_caption(EnumCtx *c, HWND top);

/* walk.c: everything of the current process, topmost first */
int enumerate_process(FILE *out);
#endif
