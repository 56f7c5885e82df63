/* A batch as the model reads it (host memory): source = tokens + EOS, target = tokens + EOS
 * fillers up to a multiple of the length unit (docs/model.md#conventions), both right-padded with PAD; masks are
 * 1 on real positions (EOS fillers included). */
#ifndef FLOWSEQ_MODEL_BATCH_H
#define FLOWSEQ_MODEL_BATCH_H

#include <stdint.h>

typedef struct {
  int batch, src_len, tgt_len;
  const int32_t *src;    /* [B, S] */
  const int32_t *tgt;    /* [B, T] */
  const float *src_mask; /* [B, S] */
  const float *tgt_mask; /* [B, T] */
} fs_batch;

#endif
