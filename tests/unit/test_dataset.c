/* Binarized datasets: prep then load gives exactly the pairs a direct encoding gives; the
 * cleaning counts; a corrupted, truncated or foreign-tokenizer dataset is rejected, and so is a
 * crafted one with valid checksums (lengths that do not add up, ids outside the vocabulary,
 * counts that overflow the size check), and so is a dataset without a pair. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "test.h"

static char dir[] = "/tmp/flowseq-dataset-XXXXXX";

static const char *at(const char *name) { return test_path_in(dir, name); }

static void write_lines(const char *path, const char *const *lines, int n) {
  FILE *f = fopen(path, "w");
  for (int i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
  fclose(f);
}

static void train_spm(const char *prefix, int vocab) {
  const char *inputs[2] = {at("src"), at("tgt")};
  fs_spm_train_options o = {inputs, 2, prefix, vocab, "unigram", 1.0, 0, 1, false, false};
  CHECK_MSG(fs_spm_train(&o) == FS_OK, "%s", fs_last_error());
}

/* Copies the dataset `from` to `to`, overwriting `len` bytes at `offset` and recomputing the body
 * checksum (64-bit FNV-1a of everything after the 64-byte header, stored at byte 24), the way an
 * attacker would. */
static void craft(const char *from, const char *to, long offset, const void *bytes, size_t len) {
  static char buf[1 << 16];
  FILE *f = fopen(from, "rb");
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  memcpy(buf + offset, bytes, len);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 64; i < n; i++) h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
  memcpy(buf + 24, &h, 8);
  f = fopen(to, "wb");
  fwrite(buf, 1, n, f);
  fclose(f);
}

static void expect_crafted_rejected(const char *model, long offset, const void *bytes, size_t len,
                                    const char *message) {
  fs_pairs loaded;
  craft(at("d.fsd"), at("crafted.fsd"), offset, bytes, len);
  CHECK_MSG(fs_dataset_load(at("crafted.fsd"), model, 60, &loaded) == FS_ERR_FORMAT &&
                strstr(fs_last_error(), message) && strstr(fs_last_error(), at("crafted.fsd")),
            "expected \"%s\", got \"%s\"", message, fs_last_error());
}

/* Issue 13: each of these made `flowseq train` crash. */
static void test_crafted(const char *model) {
  uint64_t pairs, src_tokens;
  FILE *f = fopen(at("d.fsd"), "rb");
  CHECK(fseek(f, 32, SEEK_SET) == 0 && fread(&pairs, 8, 1, f) == 1 && fread(&src_tokens, 8, 1, f) == 1);
  fclose(f);
  long src_ids = 64 + 8 * (long)pairs, tgt_lens = 64 + 4 * (long)pairs;
  uint32_t huge = 0x10000000;
  expect_crafted_rejected(model, 64, &huge, 4, "the pair lengths add up to");
  expect_crafted_rejected(model, tgt_lens, &huge, 4, "the pair lengths add up to");
  int32_t big = 50000000, negative = -1;
  expect_crafted_rejected(model, src_ids, &big, 4,
                          "source token 0 has id 50000000, outside the tokenizer's vocabulary [0, 60)");
  expect_crafted_rejected(model, src_ids + 4, &negative, 4, "source token 1 has id -1");
  /* 8 * 2^61 wraps to 0 in 64 bits: the old size check saw the real size */
  uint64_t wrapping = pairs + (1ull << 61);
  expect_crafted_rejected(model, 32, &wrapping, 8, "truncated or corrupted");
  uint64_t wrapping_tokens = src_tokens + (1ull << 62); /* and so does 4 * 2^62 */
  expect_crafted_rejected(model, 40, &wrapping_tokens, 8, "truncated or corrupted");
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  const char *de[] = {"Ein Hund läuft.",
                      "Zwei Katzen schlafen.",
                      "",
                      "Ein Hund läuft.",
                      "Ein sehr sehr sehr langer Satz mit vielen Wörtern hier.",
                      "Hallo."};
  const char *en[] = {"A dog runs.", "Two cats sleep.", "Empty source.", "A dog runs.", "Short.", "Hello."};
  write_lines(at("src"), de, 6);
  write_lines(at("tgt"), en, 6);
  char prefix[300], model[320], other_prefix[300], other[320];
  snprintf(prefix, sizeof prefix, "%s", at("spm"));
  snprintf(model, sizeof model, "%s.model", prefix);
  snprintf(other_prefix, sizeof other_prefix, "%s", at("other"));
  snprintf(other, sizeof other, "%s.model", other_prefix);
  train_spm(prefix, 60);
  train_spm(other_prefix, 50);

  fs_clean_options o = {30, 3.0, true};
  fs_clean_counts c;
  CHECK_MSG(fs_dataset_prep(model, at("src"), at("tgt"), &o, at("d.fsd"), &c) == FS_OK, "%s", fs_last_error());
  CHECK(c.read == 6 && c.empty == 1 && c.duplicates == 1 && c.kept + c.too_long + c.bad_ratio == 4 && c.kept >= 2 &&
        c.too_long + c.bad_ratio >= 1);
  fs_pairs loaded, direct;
  CHECK_MSG(fs_dataset_load(at("d.fsd"), model, 60, &loaded) == FS_OK, "%s", fs_last_error());
  /* the same pairs as encoding in memory (without dedupe, minus the repeat at line 4) */
  fs_text a, b;
  fs_spm *spm;
  CHECK(fs_parallel_read(at("src"), at("tgt"), &a, &b) == FS_OK && fs_spm_load(model, &spm) == FS_OK);
  fs_clean_counts c2;
  CHECK(fs_pairs_encode(spm, &a, &b, &o, &direct, &c2) == FS_OK);
  CHECK(loaded.count == direct.count && loaded.count == c.kept);
  int same = 1;
  for (int i = 0; i < loaded.count && i < direct.count; i++)
    same &= loaded.src_len[i] == direct.src_len[i] && loaded.tgt_len[i] == direct.tgt_len[i] &&
            !memcmp(loaded.src[i], direct.src[i], 4 * direct.src_len[i]) &&
            !memcmp(loaded.tgt[i], direct.tgt[i], 4 * direct.tgt_len[i]);
  CHECK(same);
  fs_pairs_free(&loaded);
  fs_pairs_free(&direct);
  fs_text_free(&a);
  fs_text_free(&b);
  fs_spm_free(spm);

  /* another tokenizer, a flipped byte, a truncated file */
  CHECK(fs_dataset_load(at("d.fsd"), other, 50, &loaded) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "another tokenizer"));
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cp %s %s && printf '\\377' | dd of=%s bs=1 seek=80 conv=notrunc 2>/dev/null", at("d.fsd"),
           at("bad.fsd"), at("bad.fsd"));
  CHECK(system(cmd) == 0);
  CHECK(fs_dataset_load(at("bad.fsd"), model, 60, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "corrupted"));
  snprintf(cmd, sizeof cmd, "head -c 100 %s > %s", at("d.fsd"), at("short.fsd"));
  CHECK(system(cmd) == 0);
  CHECK(fs_dataset_load(at("short.fsd"), model, 60, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "truncated"));
  test_crafted(model);
  /* a dataset without a pair made training crash after "0 batches per epoch": prep writes none
   * and loading refuses one */
  fs_clean_options keep_none = {1, 0, false};
  CHECK_MSG(fs_dataset_prep(model, at("src"), at("tgt"), &keep_none, at("none.fsd"), &c) == FS_ERR_ARG &&
                strstr(fs_last_error(), "no pair is left to write") && c.kept == 0,
            "%s", fs_last_error());
  CHECK(access(at("none.fsd"), F_OK) != 0);
  snprintf(cmd, sizeof cmd, "head -c 64 %s > %s", at("d.fsd"), at("header.fsd"));
  CHECK(system(cmd) == 0);
  uint64_t zeros[3] = {0, 0, 0}; /* pairs, source and target tokens; the checksum of an empty body */
  craft(at("header.fsd"), at("zero.fsd"), 32, zeros, sizeof zeros);
  CHECK_MSG(
      fs_dataset_load(at("zero.fsd"), model, 60, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "holds no pair"),
      "%s", fs_last_error());
  write_lines(at("junk.fsd"), de, 6);
  CHECK(fs_dataset_load(at("junk.fsd"), model, 60, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "magic"));
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
  return test_summary();
}
