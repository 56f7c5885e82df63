/* UTF-8 validation shared by every reader of user text: the implementation; core/utf8.h describes the interface. */
#include "core/utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

bool fs_utf8_valid(const char *str, size_t n, size_t *bad_offset) {
  const unsigned char *s = (const unsigned char *)str;
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; k++) {
      ok = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    /* overlong forms, surrogates and code points past U+10FFFF are invalid too */
    if (ok)
      ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
           !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

fs_status fs_utf8_check(const char *s, size_t n, const char *where_fmt, ...) {
  size_t bad;
  if (fs_utf8_valid(s, n, &bad)) return FS_OK;
  char where[1024];
  va_list ap;
  va_start(ap, where_fmt);
  vsnprintf(where, sizeof where, where_fmt, ap);
  va_end(ap);
  return fs_error(FS_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", where, bad + 1);
}
