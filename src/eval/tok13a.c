/* sacreBLEU's default "13a" tokenizer: the implementation; eval/tok13a.h describes the interface. */
#include "eval/tok13a.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/pytext.h"

/* A growable output string. */
typedef struct {
  char *s;
  size_t n, cap;
} buffer;

static void put(buffer *b, const char *p, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = fs_realloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, p, n);
  b->n += n;
  b->s[b->n] = '\0';
}
static void putc1(buffer *b, char c) { put(b, &c, 1); }

/* Replaces every occurrence of `from` with `to` (one left-to-right pass); frees s. */
static char *replace_all(char *s, const char *from, const char *to) {
  if (!strstr(s, from)) return s;
  buffer b = {0};
  size_t fl = strlen(from);
  for (const char *p = s; *p;) {
    if (!strncmp(p, from, fl)) {
      put(&b, to, strlen(to));
      p += fl;
    } else putc1(&b, *p++);
  }
  free(s);
  return b.s ? b.s : fs_calloc(1, 1);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* R1's character set: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ / */
static bool r1_punct(char c) {
  unsigned char u = (unsigned char)c;
  return (u >= 0x7B && u <= 0x7E) || (u >= 0x5B && u <= 0x60) || (u >= 0x20 && u <= 0x26) || (u >= 0x28 && u <= 0x2B) ||
         (u >= 0x3A && u <= 0x40) || u == '/';
}

/* One regex pass of the form "(A)(B)" → "<pre>A<mid>B<post>", applied left to right without
 * overlaps (Python re.sub): after a match the scan resumes after both characters. Working on
 * bytes is exact because both classes are ASCII or "anything but an ASCII digit". */
typedef bool (*char_class)(char);
static bool dot_comma(char c) { return c == '.' || c == ','; }
static bool non_digit(char c) { return !is_digit(c); }
static bool hyphen(char c) { return c == '-'; }

static char *pair_pass(char *s, char_class first, char_class second, const char *pre, const char *mid,
                       const char *post) {
  buffer b = {0};
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    if (i + 1 < n && first(s[i]) && second(s[i + 1])) {
      put(&b, pre, strlen(pre));
      putc1(&b, s[i]);
      put(&b, mid, strlen(mid));
      putc1(&b, s[i + 1]);
      put(&b, post, strlen(post));
      i += 2;
    } else putc1(&b, s[i++]);
  }
  free(s);
  return b.s ? b.s : fs_calloc(1, 1);
}

char *fs_tok13a(const char *line) {
  char *s = fs_strdup(line);
  s = replace_all(s, "<skipped>", "");
  s = replace_all(s, "-\n", "");
  s = replace_all(s, "\n", " ");
  if (strchr(s, '&')) { /* this order: "&amp;lt;" becomes "<" */
    s = replace_all(s, "&quot;", "\"");
    s = replace_all(s, "&amp;", "&");
    s = replace_all(s, "&lt;", "<");
    s = replace_all(s, "&gt;", ">");
  }
  buffer b = {0};
  putc1(&b, ' ');
  for (const char *p = s; *p; p++) { /* R1: space around ASCII punctuation and symbols */
    if (r1_punct(*p)) {
      putc1(&b, ' ');
      putc1(&b, *p);
      putc1(&b, ' ');
    } else putc1(&b, *p);
  }
  putc1(&b, ' ');
  free(s);
  s = b.s;
  s = pair_pass(s, non_digit, dot_comma, "", " ", " "); /* R2: period/comma unless preceded by a digit */
  s = pair_pass(s, dot_comma, non_digit, " ", " ", ""); /* R3: period/comma unless followed by a digit */
  s = pair_pass(s, is_digit, hyphen, "", " ", " ");     /* R4: dash preceded by a digit */
  char *out = py_normalize_space(s);
  free(s);
  return out;
}
