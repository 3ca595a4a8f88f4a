/* Walks every visible window of the current process, topmost top-level first, and maps each child window to an
 * element type with the generated table (typemap.h, from typemap.json). */
#include "enum.h"
#include <wchar.h>
#include "typemap.h"

LRESULT sm(HWND h, UINT msg, WPARAM w, LPARAM l) {
  DWORD_PTR r = 0;
  /* Another thread of the same process owns the windows: a hung owner must not hang the enumerator. */
  if (!SendMessageTimeoutW(h, msg, w, l, SMTO_ABORTIFHUNG, 3000, &r)) return 0;
  return (LRESULT)r;
}

RECT client_screen(HWND h) {
  RECT r;
  GetClientRect(h, &r);
  MapWindowPoints(h, NULL, (POINT *)&r, 2);
  return r;
}

/* Clips r to clip; 0 when less than minVisible of its area stays (a row scrolled mostly out of view). */
int clip_item(RECT *r, RECT clip, double minVisible) {
  RECT o;
  double full = (double)(r->right - r->left) * (r->bottom - r->top);
  if (full <= 0 || !IntersectRect(&o, r, &clip)) return 0;
  if ((double)(o.right - o.left) * (o.bottom - o.top) < minVisible * full) return 0;
  *r = o;
  return 1;
}

static const TypeRule *classify(const wchar_t *cls, unsigned style, const wchar_t *text) {
  for (int i = 0; i < TYPE_RULE_COUNT; i++) {
    const TypeRule *r = &TYPE_RULES[i];
    if (wcscmp(r->cls, L"*") != 0 && _wcsicmp(r->cls, cls) != 0) continue;
    if (r->nvalues > 0) {
      int hit = 0;
      for (int k = 0; k < r->nvalues; k++) hit |= (style & r->mask) == r->values[k];
      if (!hit) continue;
    }
    if (r->anyBits && !(style & r->anyBits)) continue;
    if (r->textEmpty && text[0]) continue;
    return r;
  }
  return &TYPE_RULES[TYPE_RULE_COUNT - 1];
}

static void run_items(EnumCtx *c, const char *items, HWND h, RECT clip) {
  if (!strcmp(items, "listbox")) items_listbox(c, h, clip);
  else if (!strcmp(items, "listview")) items_listview(c, h, clip);
  else if (!strcmp(items, "header")) items_header(c, h, clip);
  else if (!strcmp(items, "treeview")) items_treeview(c, h, clip);
  else if (!strcmp(items, "tab")) items_tab(c, h, clip);
  else if (!strcmp(items, "toolbar")) items_toolbar(c, h, clip);
}

static void walk(EnumCtx *c, HWND parent, RECT clip) {
  for (HWND h = GetWindow(parent, GW_CHILD); h; h = GetWindow(h, GW_HWNDNEXT)) {
    if (!IsWindowVisible(h)) continue;
    wchar_t cls[128] = L"", text[512] = L"";
    char role[160];
    GetClassNameW(h, cls, 128);
    GetWindowTextW(h, text, 512);
    unsigned style = (unsigned)GetWindowLongW(h, GWL_STYLE);
    const TypeRule *r = classify(cls, style, text);
    RECT wr;
    GetWindowRect(h, &wr);
    WideCharToMultiByte(CP_UTF8, 0, cls, -1, role, sizeof role, NULL, NULL);
    fprintf(c->out, "{\"kind\":\"window\",\"top\":%d,\"cls\":", c->top);
    json_str(c->out, cls);
    fprintf(c->out, ",\"style\":%u,\"text\":", style);
    json_str(c->out, text);
    fprintf(c->out, ",\"type\":%s%s%s,\"enabled\":%s,\"box\":[%ld,%ld,%ld,%ld]}\n", r->type ? "\"" : "", r->type ? r->type : "null",
            r->type ? "\"" : "", IsWindowEnabled(h) ? "true" : "false", wr.left, wr.top, wr.right, wr.bottom);
    if (r->type) {
      RECT box = wr;
      SIZE ideal = { 0, 0 };
      /* UIA's Hyperlink is the link text, not the SysLink window, which is often wider than its text */
      if (!wcscmp(cls, L"SysLink") && sm(h, LM_GETIDEALHEIGHT /* = LM_GETIDEALSIZE with a SIZE */, wr.right - wr.left, (LPARAM)&ideal) && ideal.cx > 0 &&
          ideal.cx < wr.right - wr.left)
        box.right = box.left + ideal.cx;
      if (clip_item(&box, clip, 0.5)) {
        int checked = -1;
        if (!strcmp(r->type, "checkbox") || !strcmp(r->type, "radio") || !strcmp(r->type, "toggle")) {
          LRESULT s = sm(h, BM_GETCHECK, 0, 0);
          checked = s == BST_CHECKED ? 1 : s == BST_INDETERMINATE ? 2 : 0;
        }
        /* a password field's text is not data to keep */
        emit_element(c, r->type, box, role, (!wcscmp(cls, L"Edit") && (style & ES_PASSWORD)) ? L"" : text, checked);
      }
    }
    if (r->items) run_items(c, r->items, h, clip);
    if (r->walkChildren) {
      RECT inner, cr = client_screen(h);
      if (IntersectRect(&inner, &cr, &clip)) walk(c, h, inner);
    }
  }
}

typedef struct { HWND list[256]; int n; } TopList;

static BOOL CALLBACK collect_top(HWND h, LPARAM p) {
  TopList *t = (TopList *)p;
  DWORD pid = 0;
  GetWindowThreadProcessId(h, &pid);
  if (pid == GetCurrentProcessId() && IsWindowVisible(h) && t->n < 256) t->list[t->n++] = h;
  return TRUE;
}

int enumerate_process(FILE *out) {
  TopList t = { .n = 0 };
  EnumWindows(collect_top, (LPARAM)&t); /* z order, topmost first */
  EnumCtx c = { out, 0 };
  for (int i = 0; i < t.n; i++) {
    HWND h = t.list[i];
    wchar_t cls[128] = L"", title[512] = L"";
    RECT wr;
    GetClassNameW(h, cls, 128);
    GetWindowTextW(h, title, 512);
    GetWindowRect(h, &wr);
    c.top = i;
    fprintf(out, "{\"kind\":\"top\",\"top\":%d,\"hwnd\":%llu,\"cls\":", i, (unsigned long long)(ULONG_PTR)h);
    json_str(out, cls);
    fprintf(out, ",\"title\":");
    json_str(out, title);
    fprintf(out, ",\"style\":%u,\"box\":[%ld,%ld,%ld,%ld]}\n", (unsigned)GetWindowLongW(h, GWL_STYLE), wr.left, wr.top, wr.right, wr.bottom);
    if (!wcscmp(cls, L"#32768")) { items_popup(&c, h); continue; }
    if (!wcscmp(cls, L"ComboLBox")) { items_listbox(&c, h, client_screen(h)); continue; }
    items_caption(&c, h);
    items_menubar(&c, h);
    walk(&c, h, client_screen(h));
  }
  return t.n;
}
