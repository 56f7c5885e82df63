/* N-gram counting shared by BLEU and chrF: the implementation; eval/ngrams.h describes the interface. */
#include "eval/ngrams.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/pytext.h"

static int piece_cmp(const fs_piece *a, const fs_piece *b) {
  int n = a->len < b->len ? a->len : b->len, c = memcmp(a->text, b->text, n);
  return c ? c : a->len - b->len;
}

static int ngram_cmp(const void *pa, const void *pb) {
  const fs_ngram *a = pa, *b = pb;
  for (int i = 0; i < a->n && i < b->n; i++) {
    int c = piece_cmp(&a->first[i], &b->first[i]);
    if (c) return c;
  }
  return a->n - b->n;
}

void fs_ngrams_build(fs_ngram_set *set, const fs_piece *pieces, int n_pieces, int order) {
  set->count = n_pieces >= order ? n_pieces - order + 1 : 0;
  set->items = fs_malloc(sizeof *set->items * (set->count ? set->count : 1));
  for (int i = 0; i < set->count; i++) set->items[i] = (fs_ngram){pieces + i, order};
  qsort(set->items, set->count, sizeof *set->items, ngram_cmp);
}

void fs_ngrams_free(fs_ngram_set *set) {
  free(set->items);
  set->items = NULL;
  set->count = 0;
}

/* Occurrences of g in a sorted set. */
static int occurrences(const fs_ngram_set *set, const fs_ngram *g) {
  int lo = 0, hi = set->count;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (ngram_cmp(&set->items[mid], g) < 0) lo = mid + 1;
    else hi = mid;
  }
  int n = 0;
  while (lo + n < set->count && ngram_cmp(&set->items[lo + n], g) == 0) n++;
  return n;
}

int64_t fs_ngrams_clipped_matches(const fs_ngram_set *hyp, const fs_ngram_set *refs, int n_refs) {
  int64_t matches = 0;
  for (int i = 0; i < hyp->count;) {
    int run = 1;
    while (i + run < hyp->count && ngram_cmp(&hyp->items[i], &hyp->items[i + run]) == 0) run++;
    int best = 0;
    for (int r = 0; r < n_refs; r++) {
      int c = occurrences(&refs[r], &hyp->items[i]);
      if (c > best) best = c;
    }
    matches += run < best ? run : best;
    i += run;
  }
  return matches;
}

int fs_pieces_tokens(const char *text, fs_piece **pieces) {
  const char **tok;
  int *len, n = py_split(text, &tok, &len);
  *pieces = fs_malloc(sizeof **pieces * (n ? n : 1));
  for (int i = 0; i < n; i++) (*pieces)[i] = (fs_piece){tok[i], len[i]};
  free(tok);
  free(len);
  return n;
}

int fs_pieces_chars(const char *text, fs_piece **pieces) {
  int bytes = (int)strlen(text);
  int *starts = fs_malloc(sizeof(int) * (bytes + 1));
  int n = fs_utf8_code_points(text, bytes, starts);
  starts[n] = bytes;
  *pieces = fs_malloc(sizeof **pieces * (n ? n : 1));
  for (int i = 0; i < n; i++) (*pieces)[i] = (fs_piece){text + starts[i], starts[i + 1] - starts[i]};
  free(starts);
  return n;
}
