/* N-gram counting shared by BLEU (word n-grams) and chrF (character and word n-grams).
 * A text is a sequence of pieces (tokens, or code points); an n-gram is n consecutive pieces,
 * compared exactly by content. Sets are kept sorted, so counting and matching are binary
 * searches: exact, with no hash collisions to worry about. */
#ifndef FLOWSEQ_EVAL_NGRAMS_H
#define FLOWSEQ_EVAL_NGRAMS_H

#include <stdint.h>

typedef struct {
  const char *text;
  int len; /* bytes */
} fs_piece;

typedef struct {
  const fs_piece *first;
  int n;
} fs_ngram;

typedef struct {
  fs_ngram *items; /* sorted */
  int count;
} fs_ngram_set;

/* All n-grams of exactly `order` pieces (count = n_pieces - order + 1, or 0). */
void fs_ngrams_build(fs_ngram_set *set, const fs_piece *pieces, int n_pieces, int order);
void fs_ngrams_free(fs_ngram_set *set);

/* Σ over distinct n-grams g of hyp of min(count_hyp(g), max_r count_ref_r(g)): the clipped
 * matches against several references (one reference: plain clipped matches). */
int64_t fs_ngrams_clipped_matches(const fs_ngram_set *hyp, const fs_ngram_set *refs, int n_refs);

/* The text's whitespace-separated tokens (Python str.split()) as pieces; malloc'd. */
int fs_pieces_tokens(const char *text, fs_piece **pieces);
/* The text's code points as pieces; malloc'd. */
int fs_pieces_chars(const char *text, fs_piece **pieces);

#endif
