#define _GNU_SOURCE
#include "eval/pytext.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

int py_space_len(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  if ((s[0] >= 0x09 && s[0] <= 0x0D) || (s[0] >= 0x1C && s[0] <= 0x20)) return 1;
  if (s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) return 2;             /* U+0085, U+00A0 */
  if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;               /* U+1680 */
  if (s[0] == 0xE2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8A) ||    /* U+2000..200A */
                                       s[2] == 0xA8 || s[2] == 0xA9 ||      /* U+2028, 2029 */
                                       s[2] == 0xAF))                       /* U+202F */
    return 3;
  if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) return 3; /* U+205F */
  if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3; /* U+3000 */
  return 0;
}

/* Start of the code point that ends just before s + end (UTF-8 continuation bytes skipped). */
static size_t previous_code_point(const char *s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  return i;
}

size_t py_rstrip(char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    size_t start = previous_code_point(s, n);
    if (py_space_len(s + start) != (int)(n - start)) break;
    n = start;
  }
  s[n] = '\0';
  return n;
}

int py_split(const char *s, const char ***tokens, int **lengths) {
  int count = 0, capacity = 16;
  *tokens = malloc(sizeof **tokens * capacity);
  *lengths = malloc(sizeof **lengths * capacity);
  const char *p = s;
  while (*p) {
    int w;
    while (*p && (w = py_space_len(p)) > 0) p += w;
    if (!*p) break;
    const char *start = p;
    while (*p && py_space_len(p) == 0) p++;
    if (count == capacity) {
      capacity *= 2;
      *tokens = realloc(*tokens, sizeof **tokens * capacity);
      *lengths = realloc(*lengths, sizeof **lengths * capacity);
    }
    (*tokens)[count] = start;
    (*lengths)[count++] = (int)(p - start);
  }
  return count;
}

/* Joins the tokens of s with `sep` (NULL: no separator). */
static char *join_tokens(const char *s, const char *sep) {
  const char **tok;
  int *len, n = py_split(s, &tok, &len);
  char *out = malloc(strlen(s) + 1), *o = out;
  for (int i = 0; i < n; i++) {
    if (i && sep) *o++ = *sep;
    memcpy(o, tok[i], len[i]);
    o += len[i];
  }
  *o = '\0';
  free(tok);
  free(len);
  return out;
}

char *py_normalize_space(const char *s) { return join_tokens(s, " "); }
char *py_strip_all_space(const char *s) { return join_tokens(s, NULL); }

char *py_lower(const char *s) {
  /* the multibyte and case functions follow the thread's locale: switch to UTF-8 for this call */
  static locale_t utf8;
  if (!utf8) utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  locale_t previous = utf8 ? uselocale(utf8) : (locale_t)0;
  size_t n = strlen(s);
  char *out = malloc(n * 2 + 8), *o = out; /* a lowered code point takes at most 2x its bytes */
  mbstate_t in_state, out_state;
  memset(&in_state, 0, sizeof in_state);
  memset(&out_state, 0, sizeof out_state);
  const char *p = s;
  while (*p) {
    wchar_t wc;
    size_t used = mbrtowc(&wc, p, n - (p - s), &in_state);
    if (used == (size_t)-1 || used == (size_t)-2 || used == 0) { /* not UTF-8: copy the byte */
      *o++ = *p++;
      memset(&in_state, 0, sizeof in_state);
      continue;
    }
    wint_t lower = towlower((wint_t)wc);
    size_t wrote = wcrtomb(o, (wchar_t)lower, &out_state);
    if (wrote == (size_t)-1) {
      memcpy(o, p, used);
      wrote = used;
    }
    o += wrote;
    p += used;
  }
  *o = '\0';
  if (utf8) uselocale(previous);
  return out;
}

int utf8_code_points(const char *s, int n, int *starts) {
  int count = 0;
  for (int i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) {
      if (starts) starts[count] = i;
      count++;
    }
  return count;
}
