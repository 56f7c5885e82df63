/* The tokenizer options of issue 24 on a hand-made text: with split_digits a number is spelled
 * digit by digit although the plain model learned it as one piece; with byte_fallback a character
 * the text never had becomes byte pieces instead of UNK and decodes back to itself; and
 * fs_spm_repeat_is_text marks digit and byte pieces, not words. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "text/spm.h"

static char dir[] = "/tmp/flowseq-spm-XXXXXX";

static fs_spm *train(const char *name, bool split_digits, bool byte_fallback) {
  char text[300], prefix[300], model[320];
  snprintf(text, sizeof text, "%s/text", dir);
  snprintf(prefix, sizeof prefix, "%s/%s", dir, name);
  snprintf(model, sizeof model, "%s.model", prefix);
  const char *inputs[1] = {text};
  /* BPE: on a text this small and repetitive, unigram keeps too few pieces to learn "2019" */
  fs_spm_train_options o = {inputs, 1, prefix, 400, "bpe", 1.0, 0, 1, split_digits, byte_fallback};
  fs_spm *spm = NULL;
  CHECK_MSG(fs_spm_train(&o) == FS_OK && fs_spm_load(model, &spm) == FS_OK, "%s", fs_last_error());
  return spm;
}

/* whether some piece of `text` is `piece` */
static int has_piece(fs_spm *spm, const char *text, const char *piece) {
  char *pieces = NULL;
  CHECK(fs_spm_encode_pieces(spm, text, &pieces) == FS_OK);
  int found = 0;
  for (char *p = strtok(pieces, " "); p; p = strtok(NULL, " ")) found |= !strcmp(p, piece);
  free(pieces);
  return found;
}

/* the number of UNK ids in text's encoding, and whether it decodes back to text */
static int unknowns(fs_spm *spm, const char *text, int *round_trip) {
  int32_t *ids = NULL;
  int n = 0, unk = 0;
  char *back = NULL;
  CHECK(fs_spm_encode(spm, text, &ids, &n) == FS_OK && fs_spm_decode(spm, ids, n, &back) == FS_OK);
  for (int i = 0; i < n; i++) unk += ids[i] == FS_SPM_UNK;
  *round_trip = back && !strcmp(back, text);
  free(ids);
  free(back);
  return unk;
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  char text[300];
  snprintf(text, sizeof text, "%s/text", dir);
  FILE *f = fopen(text, "w");
  const char *names[] = {"Tom", "Maria", "Berlin", "Anna"}, *things[] = {"Hunde", "Katzen", "Bücher", "Äpfel"};
  for (int i = 0; i < 400; i++)
    fprintf(f, "%s sah 2019 %d %s, nicht %d. Is it %s's?\n", names[i % 4], i % 13, things[i % 3], i % 7,
            names[(i + 1) % 4]);
  fclose(f);
  fs_spm *plain = train("plain", false, false), *spelled = train("spelled", true, true);
  if (!plain || !spelled) return test_summary();

  CHECK_MSG(has_piece(plain, "Tom sah 2019 Hunde.", "2019") || has_piece(plain, "Tom sah 2019 Hunde.",
                                                                         "\xe2\x96\x81"
                                                                         "2019"),
            "the plain model should have learned 2019 as a piece");
  CHECK(has_piece(spelled, "Tom sah 2019 Hunde.", "2") && has_piece(spelled, "Tom sah 2019 Hunde.", "9") &&
        !has_piece(spelled, "Tom sah 2019 Hunde.", "2019") && !has_piece(spelled, "Tom sah 2019 Hunde.", "19"));

  const char *unseen = "Tom zahlt 5 € für ✓ und 日本.";
  int round_trip;
  CHECK_MSG(unknowns(plain, unseen, &round_trip) > 0 && !round_trip, "the plain model has no pieces for € ✓ 日本");
  CHECK_MSG(unknowns(spelled, unseen, &round_trip) == 0 && round_trip, "byte fallback: no UNK, and back to the text");
  CHECK(has_piece(spelled, "€", "<0xE2>") && has_piece(spelled, "€", "<0x82>") && has_piece(spelled, "€", "<0xAC>"));

  int byte_id = fs_spm_piece_to_id(spelled, "<0xE2>"), digit_id = fs_spm_piece_to_id(spelled, "7");
  int word_id = fs_spm_piece_to_id(spelled, "\xe2\x96\x81Tom");
  CHECK(byte_id != FS_SPM_UNK && digit_id != FS_SPM_UNK && word_id != FS_SPM_UNK);
  CHECK(fs_spm_repeat_is_text(spelled, byte_id) && fs_spm_repeat_is_text(spelled, digit_id));
  CHECK(!fs_spm_repeat_is_text(spelled, word_id) && !fs_spm_repeat_is_text(spelled, FS_SPM_EOS) &&
        !fs_spm_repeat_is_text(spelled, -1) && !fs_spm_repeat_is_text(spelled, 1 << 20));
  fs_spm_free(plain);
  fs_spm_free(spelled);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_summary();
}
