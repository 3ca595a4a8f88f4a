/* JSON-lines output: UTF-8, escaped. */
#include "enum.h"

void json_str(FILE *f, const wchar_t *s) {
  char buf[4096];
  int n = s ? WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, sizeof buf - 1, NULL, NULL) : 0;
  if (n <= 0) buf[0] = 0; else buf[n - 1] = 0;
  fputc('"', f);
  for (unsigned char *p = (unsigned char *)buf; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

void emit_element(EnumCtx *c, const char *type, RECT box, const char *role, const wchar_t *text, int checked) {
  fprintf(c->out, "{\"kind\":\"element\",\"top\":%d,\"type\":\"%s\",\"box\":[%ld,%ld,%ld,%ld],\"role\":\"%s\"", c->top, type,
          box.left, box.top, box.right, box.bottom, role);
  if (checked == 0 || checked == 1) fprintf(c->out, ",\"checked\":%s", checked ? "true" : "false");
  if (checked == 2) fprintf(c->out, ",\"mixed\":true");
  fprintf(c->out, ",\"text\":");
  json_str(c->out, text);
  fprintf(c->out, "}\n");
}
