/* UTF-8 validation shared by every reader of user text: the corpus reader (every sentence of the
 * program's input), the evaluation readers and libflowseq's sentences. */
#ifndef FLOWSEQ_CORE_UTF8_H
#define FLOWSEQ_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* True when s[0..n) is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF); otherwise *bad_offset (if not NULL) gets the offset of the first bad byte. */
bool fs_utf8_valid(const char *s, size_t n, size_t *bad_offset);

/* fs_utf8_valid as the error every reader of user text gives: FS_ERR_FORMAT with
 * "WHERE: invalid UTF-8 at byte N" (N counted from 1), WHERE formatted from where_fmt (a file and
 * line, "corpus.de:12"; a library argument, "flowseq_translate: sources[3]") only on failure. */
fs_status fs_utf8_check(const char *s, size_t n, const char *where_fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
