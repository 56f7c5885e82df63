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

/* Streaming: one sentence at a time (bounded memory for corpora of any size). */
typedef struct fs_line_reader fs_line_reader;
fs_status fs_line_reader_open(const char *spec, fs_line_reader **out);
/* *sentence receives the next sentence (malloc'd), or NULL at the end. */
fs_status fs_line_reader_next(fs_line_reader *r, char **sentence);
void fs_line_reader_close(fs_line_reader *r);
void fs_text_free(fs_text *t);

/* The file a spec reads: FILE.tsv for FILE.tsv:N, else the spec itself (malloc'd). */
char *fs_corpus_file(const char *spec);

/* Both sides of a parallel corpus; differing line counts are an error naming both. */
fs_status fs_parallel_read(const char *src_spec, const char *tgt_spec, fs_text *src, fs_text *tgt);

#endif
