/* Corpus readers on files the test writes: plain, gzip, SGML (with and without <p> wrappers, raw
 * '&', whitespace collapsing), TSV columns, and the errors for bad UTF-8, NUL bytes, missing
 * columns, missing files and mismatched sides. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"
#include "text/corpus.h"

static char dir[] = "/tmp/flowseq-corpus-XXXXXX";

static const char *path(const char *name) { return test_path_in(dir, name); }

static void write_file(const char *name, const char *content) {
  FILE *f = fopen(path(name), "wb");
  fputs(content, f);
  fclose(f);
}

static void write_bytes(const char *name, const char *content, size_t n) {
  FILE *f = fopen(path(name), "wb");
  fwrite(content, 1, n, f);
  fclose(f);
}

/* A NUL byte is one error naming file and line (issue 13: the reader joined lines at it, and
 * after a few of them took the rest of the file as the end of input). */
static void test_nul_bytes(void) {
  fs_text t;
  static const char middle[] = "eins\nzw\0ei\ndrei\n", first[] = "eins\n\0\n\0\n\0\nvier\n", last[] = "eins\nzw\0ei";
  write_bytes("nul.txt", middle, sizeof middle - 1);
  CHECK_MSG(fs_text_read(path("nul.txt"), &t) == FS_ERR_FORMAT && strstr(fs_last_error(), "nul.txt:2: NUL byte"), "%s",
            fs_last_error());
  write_bytes("nul.txt", first, sizeof first - 1);
  CHECK_MSG(fs_text_read(path("nul.txt"), &t) == FS_ERR_FORMAT && strstr(fs_last_error(), "nul.txt:2: NUL byte"), "%s",
            fs_last_error());
  write_bytes("nul.txt", last, sizeof last - 1);
  CHECK_MSG(fs_text_read(path("nul.txt"), &t) == FS_ERR_FORMAT && strstr(fs_last_error(), "nul.txt:2: NUL byte"), "%s",
            fs_last_error());
  gzFile gz = gzopen(path("nul.txt.gz"), "wb");
  gzwrite(gz, middle, sizeof middle - 1);
  gzclose(gz);
  CHECK_MSG(fs_text_read(path("nul.txt.gz"), &t) == FS_ERR_FORMAT && strstr(fs_last_error(), "nul.txt.gz:2: NUL byte"),
            "%s", fs_last_error());
  unlink(path("nul.txt"));
  unlink(path("nul.txt.gz"));
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  write_file("a.txt", "Ein Hund.\nZwei\tMänner spielen.\r\n\nletzte Zeile ohne Umbruch");
  fs_text t;
  CHECK(fs_text_read(path("a.txt"), &t) == FS_OK);
  CHECK(t.count == 4 && !strcmp(t.lines[1], "Zwei Männer spielen.") && t.lines[2][0] == '\0' &&
        !strcmp(t.lines[3], "letzte Zeile ohne Umbruch"));
  fs_text_free(&t);

  gzFile gz = gzopen(path("b.txt.gz"), "wb");
  gzputs(gz, "eins\nzwei\n");
  gzclose(gz);
  CHECK(fs_text_read(path("b.txt.gz"), &t) == FS_OK && t.count == 2 && !strcmp(t.lines[1], "zwei"));
  fs_text_free(&t);

  write_file("c.sgm",
             "<srcset setid=\"x\" srclang=\"any\">\n<doc docid=\"d\" genre=\"news\">\n<h1>\n"
             "<seg id=\"1\"> A black &  white   photo </seg>\n</h1>\n<p>\n<seg id=\"2\">Zwei\u00a0Wörter</seg>\n"
             "</p>\n<seg id=\"3\">ohne Hülle</seg>\n</doc>\n</srcset>\n");
  CHECK(fs_text_read(path("c.sgm"), &t) == FS_OK);
  CHECK(t.count == 3 && !strcmp(t.lines[0], "A black & white photo") && !strcmp(t.lines[1], "Zwei\u00a0Wörter") &&
        !strcmp(t.lines[2], "ohne Hülle"));
  fs_text_free(&t);

  write_file("d.tsv", "Go.\tGeh.\nHi.\tHallo!\n");
  CHECK(fs_text_read(path("d.tsv:2"), &t) == FS_OK && t.count == 2 && !strcmp(t.lines[1], "Hallo!"));
  fs_text_free(&t);
  CHECK(fs_text_read(path("d.tsv:3"), &t) == FS_ERR_FORMAT && strstr(fs_last_error(), "d.tsv:1:"));
  CHECK(fs_text_read(path("d.tsv"), &t) == FS_ERR_ARG && strstr(fs_last_error(), "column"));

  write_file("bad.txt", "gut\nschlecht \xff\n");
  CHECK(fs_text_read(path("bad.txt"), &t) == FS_ERR_FORMAT && strstr(fs_last_error(), "bad.txt:2: invalid UTF-8"));
  CHECK(fs_text_read(path("missing.txt"), &t) == FS_ERR_IO && strstr(fs_last_error(), "missing.txt"));

  test_nul_bytes();

  fs_text src, tgt;
  CHECK(fs_parallel_read(path("a.txt"), path("b.txt.gz"), &src, &tgt) == FS_ERR_FORMAT);
  CHECK(strstr(fs_last_error(), "4 sentences") && strstr(fs_last_error(), "has 2"));
  CHECK(fs_parallel_read(path("b.txt.gz"), path("d.tsv:1"), &src, &tgt) == FS_OK && src.count == 2);
  fs_text_free(&src);
  fs_text_free(&tgt);
  const char *names[] = {"a.txt", "b.txt.gz", "c.sgm", "d.tsv", "bad.txt"};
  for (int i = 0; i < 5; i++) unlink(path(names[i]));
  rmdir(dir);
  return test_summary();
}
