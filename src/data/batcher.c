/* Token-based, length-bucketed batches over an encoded corpus:
 * the implementation; data/batcher.h describes the interface. */
#include "data/batcher.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/philox.h"

int fs_padded_target_length(int tokens, int unit) { return (tokens + unit - 1) / unit * unit; }

static void shuffle(int *v, int n, uint64_t seed, uint64_t stream) {
  for (int i = n - 1; i > 0; i--) { /* Fisher-Yates on the Philox stream */
    int j = (int)(fs_rand_uniform(seed, stream + (uint64_t)i) * (i + 1));
    if (j > i) j = i;
    int t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

static const fs_pairs *sort_pairs; /* qsort has no context argument */
static int by_length(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  int lx = sort_pairs->tgt_len[x] + sort_pairs->src_len[x], ly = sort_pairs->tgt_len[y] + sort_pairs->src_len[y];
  return lx != ly ? lx - ly : x - y;
}

static void plan(fs_batcher *b) {
  const fs_pairs *p = b->pairs;
  int n = p->count;
  for (int i = 0; i < n; i++) b->order[i] = i;
  uint64_t stream = (uint64_t)b->epoch << 40;
  if (b->o.shuffle) {
    shuffle(b->order, n, b->o.seed, stream);
    long total = 0; /* sort windows of about 100 batches of pairs of average length */
    for (int i = 0; i < n; i++) total += p->tgt_len[i] + 1;
    long avg = n ? total / n + 1 : 1, wide = 100 * ((long)b->o.max_tokens / avg + 1);
    int window = wide < n ? (int)wide : (n ? n : 1);
    sort_pairs = p;
    for (int start = 0; start < n; start += window)
      qsort(b->order + start, (size_t)(n - start < window ? n - start : window), sizeof(int), by_length);
  }
  /* cut into batches whose rows x longest padded target stay within max_tokens */
  b->n_batches = 0;
  int rows = 0, longest = 0;
  for (int i = 0; i < n; i++) {
    int t = fs_padded_target_length(p->tgt_len[b->order[i]] + 1, b->o.unit);
    int s = p->src_len[b->order[i]] + 1;
    int width = (t > longest ? t : longest) > s ? (t > longest ? t : longest) : s;
    bool full =
        rows > 0 && ((long)(rows + 1) * width > b->o.max_tokens || (b->o.max_sentences && rows == b->o.max_sentences));
    if (rows == 0 || full) {
      b->batch_start[b->n_batches++] = i;
      rows = 0;
      longest = 0;
    }
    rows++;
    if (t > longest) longest = t;
  }
  b->batch_start[b->n_batches] = n;
  if (b->o.shuffle) { /* shuffle batch order: permute the batch spans */
    int *perm = fs_malloc(sizeof(int) * (b->n_batches ? b->n_batches : 1)),
        *order = fs_malloc(sizeof(int) * (n ? n : 1));
    int *starts = fs_malloc(sizeof(int) * (b->n_batches + 1));
    for (int k = 0; k < b->n_batches; k++) perm[k] = k;
    shuffle(perm, b->n_batches, b->o.seed, stream | ((uint64_t)1 << 39));
    int w = 0;
    for (int k = 0; k < b->n_batches; k++) {
      starts[k] = w;
      for (int i = b->batch_start[perm[k]]; i < b->batch_start[perm[k] + 1]; i++) order[w++] = b->order[i];
    }
    starts[b->n_batches] = n;
    memcpy(b->order, order, sizeof(int) * n);
    memcpy(b->batch_start, starts, sizeof(int) * (b->n_batches + 1));
    free(perm);
    free(order);
    free(starts);
  }
}

fs_status fs_batcher_init(fs_batcher *b, const fs_pairs *pairs, const fs_batcher_options *o, int epoch) {
  memset(b, 0, sizeof *b);
  if (o->max_tokens < 1 || o->unit < 1) return fs_error(FS_ERR_ARG, "batcher: max_tokens and unit must be positive");
  b->o = *o;
  b->pairs = pairs;
  b->order = fs_malloc(sizeof(int) * (pairs->count ? pairs->count : 1));
  b->batch_start = fs_malloc(sizeof(int) * (pairs->count + 2));
  fs_batcher_set_epoch(b, epoch);
  return FS_OK;
}

void fs_batcher_set_epoch(fs_batcher *b, int epoch) {
  b->epoch = epoch;
  plan(b);
}

static void *grow(void *p, int *capacity, int need, size_t size) {
  if (need <= *capacity) return p;
  *capacity = need * 2;
  return fs_realloc(p, size * (size_t)*capacity);
}

void fs_batcher_get(fs_batcher *b, int k, fs_batch *out, const int **indices) {
  const fs_pairs *p = b->pairs;
  int first = b->batch_start[k], rows = b->batch_start[k + 1] - first, S = 0, T = 0;
  for (int r = 0; r < rows; r++) {
    int i = b->order[first + r];
    if (p->src_len[i] + 1 > S) S = p->src_len[i] + 1;
    int t = fs_padded_target_length(p->tgt_len[i] + 1, b->o.unit);
    if (t > T) T = t;
  }
  int cap_s = b->capacity_src, cap_t = b->capacity_tgt;
  b->src = grow(b->src, &b->capacity_src, rows * S, sizeof(int32_t));
  b->src_mask = grow(b->src_mask, &cap_s, rows * S, sizeof(float));
  b->tgt = grow(b->tgt, &b->capacity_tgt, rows * T, sizeof(int32_t));
  b->tgt_mask = grow(b->tgt_mask, &cap_t, rows * T, sizeof(float));
  b->indices = grow(b->indices, &b->capacity_rows, rows, sizeof(int));
  for (int r = 0; r < rows; r++) {
    int i = b->order[first + r], ls = p->src_len[i], lt = fs_padded_target_length(p->tgt_len[i] + 1, b->o.unit);
    b->indices[r] = i;
    for (int t = 0; t < S; t++) {
      b->src[r * S + t] = t < ls ? p->src[i][t] : t == ls ? b->o.eos_id : b->o.pad_id;
      b->src_mask[r * S + t] = t <= ls ? 1.0f : 0.0f;
    }
    for (int t = 0; t < T; t++) {
      b->tgt[r * T + t] = t < p->tgt_len[i] ? p->tgt[i][t] : t < lt ? b->o.eos_id : b->o.pad_id;
      b->tgt_mask[r * T + t] = t < lt ? 1.0f : 0.0f;
    }
  }
  *out = (fs_batch){rows, S, T, b->src, b->tgt, b->src_mask, b->tgt_mask};
  if (indices) *indices = b->indices;
}

void fs_batcher_free(fs_batcher *b) {
  free(b->order);
  free(b->batch_start);
  free(b->src);
  free(b->tgt);
  free(b->src_mask);
  free(b->tgt_mask);
  free(b->indices);
  memset(b, 0, sizeof *b);
}
