/* Reading evaluation text as sacreBLEU does: files split on '\n' only with each line rstripped of
 * Python whitespace; standard input with universal newlines, split on TAB into systems. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "eval/json.h"
#include "eval/lines.h"
#include "test.h"

static int read_columns(const char *text, fs_lines **systems, int *n) {
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  fs_status s = fs_lines_read_columns(f, systems, n);
  fclose(f);
  return s == FS_OK;
}

static void free_columns(fs_lines *systems, int n) {
  for (int k = 0; k < n; k++) fs_lines_free(&systems[k]);
  free(systems);
}

/* fs_json_string's output for s (static). */
static const char *json(const char *s) {
  static char buf[256];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  fs_json_string(f, s);
  fclose(f);
  return buf;
}

/* JSON output escapes as Python's json.dumps; system names are file names from the command line,
 * and invalid UTF-8 in one was decoded past its end (fuzz_eval, ASan: a lead byte before the NUL
 * read the bytes after it). Such bytes are written as Python's surrogateescape gives them. */
static void test_json(void) {
  CHECK(!strcmp(json("a\"\\\n\t\x7f \xc3\xa4\xf0\x9f\x98\x80"), "\"a\\\"\\\\\\n\\t\\u007f \\u00e4\\ud83d\\ude00\""));
  CHECK(!strcmp(json("hyp\xe0"), "\"hyp\\udce0\""));
  CHECK(!strcmp(json("\xf0\x9f\x98x"), "\"\\udcf0\\udc9f\\udc98x\""));
  CHECK(!strcmp(json("\xc0\xaf\xed\xa0\x80"), "\"\\udcc0\\udcaf\\udced\\udca0\\udc80\"")); /* overlong, surrogate */
}

int main(void) {
  test_json();
  fs_lines *sys;
  int n;
  /* "\r" and "\r\n" end lines too; the first line keeps a field's inner trailing space */
  CHECK(read_columns("a \tb\r\nc \t d \rx\ty\u00a0\n", &sys, &n));
  CHECK(n == 2 && sys[0].count == 3 && sys[1].count == 3);
  if (n == 2 && sys[0].count == 3) {
    CHECK(!strcmp(sys[0].lines[0], "a ") && !strcmp(sys[1].lines[0], "b"));
    CHECK(!strcmp(sys[0].lines[1], "c") && !strcmp(sys[1].lines[1], " d"));
    CHECK(!strcmp(sys[0].lines[2], "x") && !strcmp(sys[1].lines[2], "y"));
    CHECK(!strcmp(sys[1].path, "System 2"));
  }
  free_columns(sys, n);
  /* empty input is one empty line of one system, as Python's readline() gives */
  CHECK(read_columns("", &sys, &n) && n == 1 && sys[0].count == 1 && sys[0].lines[0][0] == '\0');
  free_columns(sys, n);
  CHECK(!read_columns("a\tb\nc\n", &sys, &n) && strstr(fs_last_error(), "<stdin>:2") != NULL);
  CHECK(!read_columns("ok\n\xff\n", &sys, &n) && strstr(fs_last_error(), "invalid UTF-8") != NULL);

  /* files: only '\n' ends a line; "\r", U+0085 and U+2028 inside a line stay (or are stripped at its end) */
  char path[] = "/tmp/flowseq_lines_XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  fputs(
      "a\rb\xc2\x85"
      "c\xe2\x80\xa8"
      "d \r\n\nlast\xe3\x80\x80",
      f);
  fclose(f);
  fs_lines l;
  CHECK(fs_lines_read(path, &l) == FS_OK && l.count == 3);
  if (l.count == 3) {
    CHECK(!strcmp(l.lines[0],
                  "a\rb\xc2\x85"
                  "c\xe2\x80\xa8"
                  "d"));
    CHECK(l.lines[1][0] == '\0' && !strcmp(l.lines[2], "last"));
  }
  fs_lines_free(&l);
  remove(path);
  return test_summary();
}
