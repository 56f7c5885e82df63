/* Decoding either model type through one call: FlowSeq decodes in parallel (decode/decode.h:
 * argmax, npd, iwd), the Transformer left to right (decode/beam.h: greedy when the beam is 1,
 * else beam search). Translate, sample, validation BLEU and distillation go through here. */
#ifndef FLOWSEQ_DECODE_SEARCH_H
#define FLOWSEQ_DECODE_SEARCH_H

#include "decode/beam.h"
#include "decode/decode.h"
#include "model/model.h"

typedef struct {
  fs_decode_options flowseq; /* used for a FlowSeq model */
  fs_beam_options beam;      /* used for a Transformer */
} fs_search_options;

/* FlowSeq argmax and Transformer greedy: the cheapest decoding of each (validation BLEU). */
fs_search_options fs_search_fastest(void);

/* Candidates of B sources as fs_decode describes (grouped by sentence, best[b] the chosen
 * one of sentence b). */
fs_status fs_search(fs_engine *e, fs_model *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                    const fs_search_options *o, fs_candidate **candidates, int *n, int *best);

/* Decoder rows one sentence occupies at the widest point (batches are sized by it). */
int fs_search_rows_per_sentence(const fs_model *m, const fs_search_options *o);

#endif
