/* Teacher rescoring: the implementation; decode/rescore.h describes the interface. */
#include "decode/rescore.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "decode/beam.h"

fs_status fs_teacher_rescore(void *context, const int32_t *src, const float *src_mask, int batch, int src_len,
                             const fs_candidate *candidates, int n, double *scores) {
  (void)batch;
  fs_teacher_rescorer *r = context;
  int rows = r->rows > 0 ? r->rows : 64;
  int32_t *ids = fs_malloc(sizeof(int32_t) * rows * src_len);
  float *mask = fs_malloc(sizeof(float) * rows * src_len);
  const int32_t **tgt = fs_malloc(sizeof *tgt * rows);
  int *len = fs_malloc(sizeof(int) * rows), *tokens = fs_malloc(sizeof(int) * rows);
  double *logprob = fs_malloc(sizeof(double) * rows);
  fs_status s = FS_OK;
  for (int first = 0; s == FS_OK && first < n; first += rows) {
    int count = n - first < rows ? n - first : rows;
    for (int k = 0; k < count; k++) { /* each candidate with its own source row */
      const fs_candidate *c = &candidates[first + k];
      for (int t = 0; t < src_len; t++) {
        ids[k * src_len + t] = src[c->sentence * src_len + t];
        mask[k * src_len + t] = src_mask[c->sentence * src_len + t];
      }
      tgt[k] = c->tokens;
      len[k] = c->output_length;
    }
    s = fs_transformer_score(r->engine, r->teacher, ids, mask, count, src_len, tgt, len, logprob, tokens);
    for (int k = 0; s == FS_OK && k < count; k++) scores[first + k] = -logprob[k] / tokens[k];
  }
  free(ids);
  free(mask);
  free(tgt);
  free(len);
  free(tokens);
  free(logprob);
  return s;
}
