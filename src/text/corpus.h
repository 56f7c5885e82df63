/* Reading one side of a corpus into memory, whatever its form:
 *   FILE            plain UTF-8 text, one sentence a line (TABs inside a line count as spaces)
 *   FILE.gz         the same, gzip-compressed
 *   FILE.sgm[.gz]   WMT SGML: the text of every <seg id=...>...</seg>, with runs of ASCII
 *                   whitespace collapsed and trimmed as Moses' input-from-sgm does (the raw '&'
 *                   and other unescaped text of these SGML files is kept as it is)
 *   FILE.tsv[.gz]:N column N (1-based) of a TAB-separated file
 * Invalid UTF-8 and missing columns are errors naming the file and line. */
#ifndef FLOWSEQ_TEXT_CORPUS_H
#define FLOWSEQ_TEXT_CORPUS_H

#include "core/status.h"

typedef struct {
  char **lines;
  int count;
} fs_text;

fs_status fs_text_read(const char *spec, fs_text *out);
void fs_text_free(fs_text *t);

/* Both sides of a parallel corpus; differing line counts are an error naming both. */
fs_status fs_parallel_read(const char *src_spec, const char *tgt_spec, fs_text *src, fs_text *tgt);

#endif
