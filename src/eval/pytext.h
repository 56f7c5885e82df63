/* The slice of Python's str semantics that sacreBLEU's results depend on, on UTF-8 bytes:
 * the Unicode whitespace set of str.split()/str.rstrip() (29 code points, not C's isspace),
 * str.lower(), and splitting into tokens. */
#ifndef FLOWSEQ_EVAL_PYTEXT_H
#define FLOWSEQ_EVAL_PYTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Byte length of the Python whitespace code point starting at s (0 if there is none). */
int py_space_len(const char *s);

/* Removes trailing Python whitespace in place; returns the new length. */
size_t py_rstrip(char *s);

/* str.split(): token start pointers and lengths into s (not copied). Returns the count; *tokens
 * and *lengths are malloc'd (caller frees). */
int py_split(const char *s, const char ***tokens, int **lengths);

/* str.split() then ' '.join(): a new malloc'd string. */
char *py_normalize_space(const char *s);

/* ''.join(s.split()): the text with all whitespace removed, malloc'd. */
char *py_strip_all_space(const char *s);

/* str.lower() (valid UTF-8 in): the C library's Unicode case tables plus Python's special cases
 * (U+0130, the final sigma); malloc'd. */
char *py_lower(const char *s);

/* Number of code points in valid UTF-8 s of byte length n; fills starts (if not NULL) with the
 * byte offset of each code point. */
int fs_utf8_code_points(const char *s, int n, int *starts);

/* Decodes the code point at s (valid UTF-8); returns its byte length. */
int fs_utf8_decode(const unsigned char *s, uint32_t *cp);

#endif
