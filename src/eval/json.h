/* JSON string output as Python's json.dumps writes it (default ensure_ascii: every non-ASCII
 * code point as \uXXXX, astral ones as surrogate pairs). */
#ifndef FLOWSEQ_EVAL_JSON_H
#define FLOWSEQ_EVAL_JSON_H

#include <stdio.h>

/* Writes valid UTF-8 s as a quoted JSON string. */
void fs_json_string(FILE *out, const char *s);

#endif
