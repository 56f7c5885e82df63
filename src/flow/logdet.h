/* Per-sentence log-determinant accumulation shared by all flow layers: each layer adds a [B]
 * tensor to the running total of its direction. */
#ifndef FLOWSEQ_FLOW_LOGDET_H
#define FLOWSEQ_FLOW_LOGDET_H

#include "ops/ops.h"

/* *total += term (total starts as NULL = 0). */
static inline void flow_logdet_add(fs_engine *e, fs_tensor **total, fs_tensor *term) {
  *total = *total ? fs_add(e, *total, term) : term;
}

#endif
