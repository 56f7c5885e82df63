/* Fuzz target: the corpus readers (src/text/corpus.c) that `flowseq vocab`, `prep`, `train` and
 * `translate` use on user text. The first input byte picks the form, the rest is the file:
 *   0 plain text   1 gzip (the harness compresses)   2 a .gz name on raw bytes (broken streams)
 *   3 WMT SGML     4 SGML, gzip-compressed           5 FILE.tsv:N (the second byte picks N, or
 *                                                      with its top bits set, spells the ":N" text)
 * Sentences that are read must be valid UTF-8 on one line; anything else is an error status. */
#include "fuzz.h"
#include <zlib.h>

#include "core/utf8.h"
#include "text/corpus.h"

static void write_gz(const char *path, const uint8_t *data, size_t size) {
  gzFile z = gzopen(path, "wb1");
  FUZZ_ASSERT(z, "gzopen %s", path);
  FUZZ_ASSERT(!size || gzwrite(z, data, (unsigned)size) == (int)size, "gzwrite");
  FUZZ_ASSERT(gzclose(z) == Z_OK, "gzclose");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int form = data[0] % 6;
  data++, size--;
  const char *path;
  char spec[256];
  switch (form) {
    case 0:
      path = fuzz_write(".txt", data, size);
      break;
    case 1:
      write_gz(path = fuzz_temp(".gz"), data, size);
      break;
    case 2:
      path = fuzz_write("-raw.gz", data, size);
      break;
    case 3:
      path = fuzz_write(".sgm", data, size);
      break;
    case 4:
      write_gz(path = fuzz_temp(".sgm.gz"), data, size);
      break;
    default:
      path = fuzz_temp(".tsv");
      break;
  }
  snprintf(spec, sizeof spec, "%s", path);
  if (form == 5) {
    if (size < 1) return 0;
    uint8_t pick = data[0];
    data++, size--;
    size_t n = 0;
    if (pick < 0xC0) snprintf(spec, sizeof spec, "%s:%d", path, 1 + pick % 4);
    else { /* a column spelled by the input, up to its first newline */
      while (n < size && n < 24 && data[n] != '\n' && data[n]) n++;
      snprintf(spec, sizeof spec, "%s:%.*s", path, (int)n, (const char *)data);
      if (n < size) n++;
    }
    fuzz_write(".tsv", data + n, size - n);
  }
  fs_text t;
  fs_status s = fs_text_read(spec, &t);
  if (s != FS_OK) {
    fuzz_check_refusal(s);
    FUZZ_ASSERT(!t.lines && !t.count, "a refused input left %d lines", t.count);
    return 0;
  }
  for (int i = 0; i < t.count; i++) {
    const char *line = t.lines[i];
    size_t len = strlen(line);
    FUZZ_ASSERT(fs_utf8_valid(line, len, NULL), "sentence %d is not valid UTF-8", i + 1);
    FUZZ_ASSERT(!strchr(line, '\n'), "sentence %d holds a newline", i + 1);
    if (form == 0 || form == 1 || form == 2) FUZZ_ASSERT(!strchr(line, '\t'), "sentence %d holds a TAB", i + 1);
    if (form == 3 || form == 4)
      FUZZ_ASSERT(!len || (line[0] != ' ' && line[len - 1] != ' '), "sentence %d untrimmed", i + 1);
    if (form == 5) FUZZ_ASSERT(!strchr(line, '\t'), "column %d of line %d holds a TAB", i + 1, i + 1);
  }
  fs_text_free(&t);
  return 0;
}
