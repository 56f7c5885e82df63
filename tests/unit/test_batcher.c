/* Batching: every pair exactly once per epoch, the token budget, EOS fillers up to the length
 * unit (none when already a multiple), identical plans for the same seed and epoch, different
 * ones for another epoch, and cleaning counts. */
#include <stdlib.h>
#include <string.h>

#include "data/batcher.h"
#include "test.h"

enum { N = 500 };

static void make_pairs(fs_pairs *p) {
  memset(p, 0, sizeof *p);
  p->count = N;
  p->src = malloc(sizeof *p->src * N);
  p->tgt = malloc(sizeof *p->tgt * N);
  p->src_len = malloc(sizeof(int) * N);
  p->tgt_len = malloc(sizeof(int) * N);
  p->line = malloc(sizeof(int) * N);
  for (int i = 0; i < N; i++) {
    p->src_len[i] = 1 + (i * 7) % 23;
    p->tgt_len[i] = 1 + (i * 11) % 29;
    p->src[i] = malloc(sizeof(int32_t) * p->src_len[i]);
    p->tgt[i] = malloc(sizeof(int32_t) * p->tgt_len[i]);
    for (int t = 0; t < p->src_len[i]; t++) p->src[i][t] = 4 + (i + t) % 50;
    for (int t = 0; t < p->tgt_len[i]; t++) p->tgt[i][t] = 4 + (i * 3 + t) % 50;
    p->line[i] = i + 1;
  }
}

int main(void) {
  CHECK(fs_padded_target_length(5, 4) == 8 && fs_padded_target_length(8, 4) == 8 && fs_padded_target_length(1, 4) == 4);
  fs_pairs p;
  make_pairs(&p);
  fs_batcher_options o = {300, 0, 4, 0, 2, 42, true};
  fs_batcher b, c;
  CHECK(fs_batcher_init(&b, &p, &o, 0) == FS_OK && fs_batcher_init(&c, &p, &o, 0) == FS_OK);
  int *seen = calloc(N, sizeof(int)), fillers_ok = 1, budget_ok = 1;
  for (int k = 0; k < b.n_batches; k++) {
    fs_batch x;
    const int *idx;
    fs_batcher_get(&b, k, &x, &idx);
    if (x.batch > 1 && x.batch * x.tgt_len > o.max_tokens) budget_ok = 0;
    for (int r = 0; r < x.batch; r++) {
      int i = idx[r];
      seen[i]++;
      int lt = fs_padded_target_length(p.tgt_len[i] + 1, 4), count = 0;
      for (int t = 0; t < x.tgt_len; t++) count += x.tgt_mask[r * x.tgt_len + t] != 0.0f;
      /* tokens, then EOS fillers (at least the one EOS), then PAD */
      if (count != lt || x.tgt[r * x.tgt_len + p.tgt_len[i]] != 2 || x.tgt[r * x.tgt_len + lt - 1] != 2 ||
          memcmp(&x.tgt[r * x.tgt_len], p.tgt[i], sizeof(int32_t) * p.tgt_len[i]) ||
          x.src[r * x.src_len + p.src_len[i]] != 2 || x.src_mask[r * x.src_len + p.src_len[i]] != 1.0f)
        fillers_ok = 0;
    }
  }
  int once = 1;
  for (int i = 0; i < N; i++) once &= seen[i] == 1;
  CHECK(once);
  CHECK(fillers_ok);
  CHECK(budget_ok);
  CHECK(b.n_batches == c.n_batches && !memcmp(b.order, c.order, sizeof(int) * N)); /* same seed, same plan */
  fs_batcher_set_epoch(&c, 1);
  CHECK(memcmp(b.order, c.order, sizeof(int) * N) != 0); /* another epoch, another order */
  fs_batcher_set_epoch(&c, 0);
  CHECK(!memcmp(b.order, c.order, sizeof(int) * N)); /* and back: resumable from (epoch, batch) */
  fs_batcher_free(&b);
  fs_batcher_free(&c);
  o.shuffle = false; /* evaluation: corpus order */
  CHECK(fs_batcher_init(&b, &p, &o, 0) == FS_OK);
  int sorted = 1;
  for (int i = 0; i < N; i++) sorted &= b.order[i] == i;
  CHECK(sorted);
  fs_batcher_free(&b);
  free(seen);
  fs_pairs_free(&p);
  return test_summary();
}
