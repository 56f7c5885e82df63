#include "eval/json.h"

#include <stdint.h>

#include "eval/pytext.h"

void fs_json_string(FILE *out, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  fputc('"', out);
  while (*s) {
    uint32_t cp;
    s += utf8_decode(s, &cp);
    switch (cp) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\n': fputs("\\n", out); break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      case '\b': fputs("\\b", out); break;
      case '\f': fputs("\\f", out); break;
      default:
        if (cp >= 0x20 && cp < 0x7F) fputc((int)cp, out);
        else if (cp < 0x10000) fprintf(out, "\\u%04x", (unsigned)cp);
        else fprintf(out, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)), (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    }
  }
  fputc('"', out);
}
