/* Sentence-level losses built on the per-row cross-entropy op:
 * the implementation; nn/losses.h describes the interface. */
#include "nn/losses.h"

fs_tensor *nn_sentence_cross_entropy(fs_engine *e, fs_tensor *logits, const fs_ids *targets, fs_tensor *mask,
                                     float eps) {
  if (e->status != FS_OK) return NULL;
  if (!logits || !targets || !mask || logits->ndim != 3 ||
      mask->numel != (int64_t)logits->shape[0] * logits->shape[1] || targets->n != mask->numel)
    return fs_fail(e, FS_ERR_ARG, "sentence cross-entropy: logits must be [B, T, V] with B·T targets and mask entries");
  int batch = logits->shape[0], length = logits->shape[1], vocab = logits->shape[2];
  fs_tensor *rows = fs_reshape(e, logits, 2, (int[]){batch * length, vocab});
  fs_tensor *per_token = fs_reshape(e, fs_cross_entropy(e, rows, targets, eps), 2, (int[]){batch, length});
  fs_tensor *mask2 = fs_reshape(e, mask, 2, (int[]){batch, length});
  return fs_sum(e, fs_mul(e, per_token, mask2), 1, false);
}
