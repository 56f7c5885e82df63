/* The slice of Python's str semantics that sacreBLEU's results depend on, on UTF-8 bytes:
 * the implementation; eval/pytext.h describes the interface. */
#define _GNU_SOURCE
#include "eval/pytext.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "core/alloc.h"
#include "eval/casing.h"

int py_space_len(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  if ((s[0] >= 0x09 && s[0] <= 0x0D) || (s[0] >= 0x1C && s[0] <= 0x20)) return 1;
  if (s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) return 2; /* U+0085, U+00A0 */
  if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;   /* U+1680 */
  if (s[0] == 0xE2 && s[1] == 0x80 &&
      ((s[2] >= 0x80 && s[2] <= 0x8A) || /* U+2000..200A */
       s[2] == 0xA8 || s[2] == 0xA9 ||   /* U+2028, 2029 */
       s[2] == 0xAF))                    /* U+202F */
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
  *tokens = fs_malloc(sizeof **tokens * capacity);
  *lengths = fs_malloc(sizeof **lengths * capacity);
  const char *p = s;
  while (*p) {
    int w;
    while (*p && (w = py_space_len(p)) > 0) p += w;
    if (!*p) break;
    const char *start = p;
    while (*p && py_space_len(p) == 0) p++;
    if (count == capacity) {
      capacity *= 2;
      *tokens = fs_realloc(*tokens, sizeof **tokens * capacity);
      *lengths = fs_realloc(*lengths, sizeof **lengths * capacity);
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
  char *out = fs_malloc(strlen(s) + 1), *o = out;
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

int fs_utf8_decode(const unsigned char *s, uint32_t *cp) {
  if (s[0] < 0x80) return *cp = s[0], 1;
  if (s[0] < 0xE0) return *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F), 2;
  if (s[0] < 0xF0) return *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F), 3;
  *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
  return 4;
}

static char *fs_utf8_encode(uint32_t cp, char *o) {
  if (cp < 0x80) *o++ = (char)cp;
  else if (cp < 0x800) *o++ = (char)(0xC0 | cp >> 6), *o++ = (char)(0x80 | (cp & 0x3F));
  else if (cp < 0x10000)
    *o++ = (char)(0xE0 | cp >> 12), *o++ = (char)(0x80 | (cp >> 6 & 0x3F)), *o++ = (char)(0x80 | (cp & 0x3F));
  else
    *o++ = (char)(0xF0 | cp >> 18), *o++ = (char)(0x80 | (cp >> 12 & 0x3F)), *o++ = (char)(0x80 | (cp >> 6 & 0x3F)),
    *o++ = (char)(0x80 | (cp & 0x3F));
  return o;
}

/* Python's Final_Sigma context for the capital sigma at cps[i]: a cased letter before it and none
 * after it, looking past case-ignorable characters on both sides. */
static bool final_sigma(const uint32_t *cps, int n, int i) {
  int j = i - 1;
  while (j >= 0 && fs_case_ignorable(cps[j])) j--;
  if (j < 0 || !fs_cased(cps[j])) return false;
  j = i + 1;
  while (j < n && fs_case_ignorable(cps[j])) j++;
  return j == n || !fs_cased(cps[j]);
}

char *py_lower(const char *s) {
  /* simple case mappings from the C library's UTF-8 tables (the same Unicode version as Python
   * 3.11); Python's two context or length changes on top: U+0130 and the final sigma */
  static locale_t utf8;
  if (!utf8) utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  size_t n = strlen(s);
  uint32_t *cps = fs_malloc(sizeof *cps * (n + 1));
  int count = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p;) p += fs_utf8_decode(p, &cps[count++]);
  char *out = fs_malloc(n * 2 + 8), *o = out; /* a lowered code point takes at most 2x its bytes */
  for (int i = 0; i < count; i++) {
    uint32_t cp = cps[i];
    if (cp == 0x130) { /* İ becomes i + COMBINING DOT ABOVE */
      o = fs_utf8_encode('i', o);
      cp = 0x307;
    } else if (cp == 0x3A3) {
      cp = final_sigma(cps, count, i) ? 0x3C2 : 0x3C3;
    } else if (utf8) {
      cp = (uint32_t)towlower_l((wint_t)cp, utf8);
    }
    o = fs_utf8_encode(cp, o);
  }
  *o = '\0';
  free(cps);
  return out;
}

int fs_utf8_code_points(const char *s, int n, int *starts) {
  int count = 0;
  for (int i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) {
      if (starts) starts[count] = i;
      count++;
    }
  return count;
}
