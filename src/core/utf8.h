/* UTF-8 validation shared by every reader of user text. */
#ifndef FLOWSEQ_CORE_UTF8_H
#define FLOWSEQ_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF); otherwise *bad_offset (if not NULL) gets the offset of the first bad byte. */
bool fs_utf8_valid(const char *s, size_t n, size_t *bad_offset);

#endif
