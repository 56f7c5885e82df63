/* JSON string output as Python's json.dumps writes it: the implementation; eval/json.h describes the interface. */
#include "eval/json.h"

#include <stdint.h>

#include "core/utf8.h"
#include "eval/pytext.h"

/* Byte length of the valid UTF-8 sequence starting at s, or 0 when s[0] starts none. Never looks
 * past the terminating NUL (which is no continuation byte). */
static int valid_sequence(const unsigned char *s) {
  int len = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
  for (int k = 1; k < len; k++)
    if ((s[k] & 0xC0) != 0x80) return 0;
  return len && fs_utf8_valid((const char *)s, (size_t)len, NULL) ? len : 0;
}

void fs_json_string(FILE *out, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  fputc('"', out);
  while (*s) {
    uint32_t cp;
    int len = valid_sequence(s);
    if (!len) { /* as Python writes a file name decoded with surrogateescape */
      fprintf(out, "\\u%04x", 0xDC00u + *s++);
      continue;
    }
    s += fs_utf8_decode(s, &cp);
    switch (cp) {
      case '"':
        fputs("\\\"", out);
        break;
      case '\\':
        fputs("\\\\", out);
        break;
      case '\n':
        fputs("\\n", out);
        break;
      case '\r':
        fputs("\\r", out);
        break;
      case '\t':
        fputs("\\t", out);
        break;
      case '\b':
        fputs("\\b", out);
        break;
      case '\f':
        fputs("\\f", out);
        break;
      default:
        if (cp >= 0x20 && cp < 0x7F) fputc((int)cp, out);
        else if (cp < 0x10000) fprintf(out, "\\u%04x", (unsigned)cp);
        else
          fprintf(out, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                  (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    }
  }
  fputc('"', out);
}
