/* Teacher rescoring of FlowSeq's candidates (docs/transformer.md#teacher-rescoring): an
 * autoregressive Transformer scores every candidate of noisy parallel decoding (or iwd) with
 * teacher forcing, in batches, and the candidates are ranked by the teacher's length-normalised
 * log-probability, log p_teacher(y|x) / (tokens + 1) (EOS counted), as FlowSeq's paper ranks NPD
 * candidates. Plugs into fs_decode_options.rescore; the teacher must share the student's
 * vocabulary. */
#ifndef FLOWSEQ_DECODE_RESCORE_H
#define FLOWSEQ_DECODE_RESCORE_H

#include "decode/decode.h"
#include "model/transformer.h"

typedef struct {
  fs_engine *engine; /* the teacher's own (the student's holds its decoding state) */
  fs_transformer *teacher;
  int rows; /* candidates scored per teacher batch */
} fs_teacher_rescorer;

/* A fs_rescorer; context is an fs_teacher_rescorer. scores[i] = −log p(y_i|x) / (|y_i| + 1). */
fs_status fs_teacher_rescore(void *context, const int32_t *src, const float *src_mask, int batch, int src_len,
                             const fs_candidate *candidates, int n, double *scores);

#endif
