/* SentencePiece through a C API (the one C++ file of the project, spm_shim.cpp, wraps
 * libsentencepiece; no C++ type or exception crosses this header). Every call returns a status
 * and records a message on failure. */
#ifndef FLOWSEQ_TEXT_SPM_H
#define FLOWSEQ_TEXT_SPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fs_spm fs_spm;

/* The special ids every flowseq vocabulary fixes (docs/model.md#conventions wants PAD 0, UNK 1, EOS 2). */
enum { FS_SPM_PAD = 0, FS_SPM_UNK = 1, FS_SPM_EOS = 2, FS_SPM_BOS = 3 };

fs_status fs_spm_load(const char *path, fs_spm **out);
void fs_spm_free(fs_spm *spm);
int fs_spm_vocab_size(const fs_spm *spm);

/* Ids of `text` (no BOS/EOS added): *ids is malloc'd, *n its length. */
fs_status fs_spm_encode(const fs_spm *spm, const char *text, int32_t **ids, int *n);
/* The pieces of `text`, joined by single spaces, malloc'd. */
fs_status fs_spm_encode_pieces(const fs_spm *spm, const char *text, char **pieces);
/* Detokenized text of ids (specials are dropped), malloc'd. */
fs_status fs_spm_decode(const fs_spm *spm, const int32_t *ids, int n, char **text);
/* Piece of an id (malloc'd) and id of a piece (UNK when unknown). */
fs_status fs_spm_id_to_piece(const fs_spm *spm, int id, char **piece);
int fs_spm_piece_to_id(const fs_spm *spm, const char *piece);
/* True for a piece whose repetition is text, not a decoder's stutter: digits ("0", "▁7"; with
 * split digits "100" is 1 0 0) and byte pieces (<0xE2>: a character spelled in bytes). */
bool fs_spm_repeat_is_text(const fs_spm *spm, int id);

typedef struct {
  const char *const *inputs; /* text files, one sentence per line */
  int n_inputs;
  const char *model_prefix; /* writes PREFIX.model and PREFIX.vocab */
  int vocab_size;
  const char *model_type; /* "unigram" or "bpe" */
  double character_coverage;
  long input_sentence_size; /* sampled sentences for big inputs (0 = all) */
  uint64_t seed;
  bool split_digits;  /* every digit its own piece: numbers are spelled, not memorized */
  bool byte_fallback; /* 256 byte pieces <0x00>..<0xFF>: a character outside the pieces becomes
                       * its UTF-8 bytes instead of UNK, and decoding joins them back */
} fs_spm_train_options;

/* Trains a joint model with the special ids fixed as above. */
fs_status fs_spm_train(const fs_spm_train_options *o);

#ifdef __cplusplus
}
#endif

#endif
