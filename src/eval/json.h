/* JSON string output as Python's json.dumps writes it (default ensure_ascii: every non-ASCII
 * code point as \uXXXX, astral ones as surrogate pairs). */
#ifndef FLOWSEQ_EVAL_JSON_H
#define FLOWSEQ_EVAL_JSON_H

#include <stdio.h>

/* Writes s as a quoted JSON string. Bytes that are not valid UTF-8 (a system name is a file name,
 * which need not be) come out as \udcXX, as Python writes a name it decoded with surrogateescape. */
void fs_json_string(FILE *out, const char *s);

#endif
