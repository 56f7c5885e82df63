/* Teacher rescoring: the implementation; decode/rescore.h describes the interface. */
#include "decode/rescore.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "decode/beam.h"

fs_status fs_teacher_rescore(void *context, const int32_t *src, const float *src_mask, int batch, int src_len,
                             const fs_candidate *candidates, int n, double *scores) {
  fs_teacher_rescorer *r = context;
  int rows = r->rows > 0 ? r->rows : 64;
  int32_t *sentence = fs_malloc(sizeof(int32_t) * rows);
  const int32_t **tgt = fs_malloc(sizeof *tgt * rows);
  int *len = fs_malloc(sizeof(int) * rows), *tokens = fs_malloc(sizeof(int) * rows);
  double *logprob = fs_malloc(sizeof(double) * rows);
  fs_engine_mode previous = fs_engine_enter(r->engine, fs_engine_eval());
  fs_engine_reset(r->engine);
  /* each source once; its candidates take its rows, a chunk at a time */
  fs_transformer_source sources;
  fs_status s = fs_transformer_encode(r->engine, r->teacher, src, src_mask, batch, src_len, &sources);
  fs_engine_mark encoded = fs_engine_mark_now(r->engine);
  for (int first = 0; s == FS_OK && first < n; first += rows) {
    int count = n - first < rows ? n - first : rows;
    for (int k = 0; k < count; k++) {
      const fs_candidate *c = &candidates[first + k];
      sentence[k] = c->sentence;
      tgt[k] = c->tokens;
      len[k] = c->output_length;
    }
    fs_transformer_source chunk;
    s = fs_transformer_source_rows(r->engine, r->teacher, &sources, sentence, count, &chunk);
    if (s == FS_OK) s = fs_transformer_score(r->engine, r->teacher, &chunk, tgt, len, logprob, tokens);
    for (int k = 0; s == FS_OK && k < count; k++) scores[first + k] = -logprob[k] / tokens[k];
    fs_engine_release(r->engine, encoded, 0, NULL);
  }
  fs_engine_restore(r->engine, previous);
  free(sentence);
  free(tgt);
  free(len);
  free(tokens);
  free(logprob);
  return s;
}
