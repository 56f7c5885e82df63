/* Binarized datasets: prep then load gives exactly the pairs a direct encoding gives; the
 * cleaning counts; a corrupted, truncated or foreign-tokenizer dataset is rejected. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "test.h"

static char dir[] = "/tmp/flowseq-dataset-XXXXXX";

static const char *at(const char *name) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void write_lines(const char *path, const char *const *lines, int n) {
  FILE *f = fopen(path, "w");
  for (int i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
  fclose(f);
}

static void train_spm(const char *prefix, int vocab) {
  const char *inputs[2] = {at("src"), at("tgt")};
  fs_spm_train_options o = {inputs, 2, prefix, vocab, "unigram", 1.0, 0, 1};
  CHECK_MSG(fs_spm_train(&o) == FS_OK, "%s", fs_last_error());
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  const char *de[] = {"Ein Hund läuft.", "Zwei Katzen schlafen.", "", "Ein Hund läuft.", "Ein sehr sehr sehr langer Satz mit vielen Wörtern hier.", "Hallo."};
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
  CHECK(c.read == 6 && c.empty == 1 && c.duplicates == 1 && c.kept + c.too_long + c.bad_ratio == 4 && c.kept >= 2 && c.too_long + c.bad_ratio >= 1);
  fs_pairs loaded, direct;
  CHECK_MSG(fs_dataset_load(at("d.fsd"), model, &loaded) == FS_OK, "%s", fs_last_error());
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
            !memcmp(loaded.src[i], direct.src[i], 4 * direct.src_len[i]) && !memcmp(loaded.tgt[i], direct.tgt[i], 4 * direct.tgt_len[i]);
  CHECK(same);
  fs_pairs_free(&loaded);
  fs_pairs_free(&direct);
  fs_text_free(&a);
  fs_text_free(&b);
  fs_spm_free(spm);

  /* another tokenizer, a flipped byte, a truncated file */
  CHECK(fs_dataset_load(at("d.fsd"), other, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "another tokenizer"));
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cp %s %s && printf '\\377' | dd of=%s bs=1 seek=80 conv=notrunc 2>/dev/null", at("d.fsd"),
           at("bad.fsd"), at("bad.fsd"));
  CHECK(system(cmd) == 0);
  CHECK(fs_dataset_load(at("bad.fsd"), model, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "corrupted"));
  snprintf(cmd, sizeof cmd, "head -c 100 %s > %s", at("d.fsd"), at("short.fsd"));
  CHECK(system(cmd) == 0);
  CHECK(fs_dataset_load(at("short.fsd"), model, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "truncated"));
  write_lines(at("junk.fsd"), de, 6);
  CHECK(fs_dataset_load(at("junk.fsd"), model, &loaded) == FS_ERR_FORMAT && strstr(fs_last_error(), "magic"));
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
  return test_summary();
}
