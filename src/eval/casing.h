/* Unicode case properties that Python's str.lower() needs beyond simple case mapping (the
 * final-sigma rule); see casing.c for their source. */
#ifndef FLOWSEQ_EVAL_CASING_H
#define FLOWSEQ_EVAL_CASING_H

#include <stdbool.h>
#include <stdint.h>

bool fs_case_ignorable(uint32_t cp);
/* Cased and not Case_Ignorable. */
bool fs_cased(uint32_t cp);

#endif
