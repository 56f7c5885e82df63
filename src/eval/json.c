#include "eval/json.h"

#include <stdint.h>

/* Decodes the code point at s (valid UTF-8) and returns its byte length. */
static int decode(const unsigned char *s, uint32_t *cp) {
  if (s[0] < 0x80) return *cp = s[0], 1;
  if (s[0] < 0xE0) return *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F), 2;
  if (s[0] < 0xF0) return *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F), 3;
  *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
  return 4;
}

void fs_json_string(FILE *out, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  fputc('"', out);
  while (*s) {
    uint32_t cp;
    s += decode(s, &cp);
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
