/* The text pipeline on the real corpora: newstest2013 extracted from SGML equals the plain-text
 * release line for line; a joint SentencePiece model trained on Multi30k round-trips Multi30k
 * val; Tatoeba's TSV columns equal its split files. Skips when the corpora are absent. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "data/batcher.h"
#include "data/dataset.h"
#include "eval/pytext.h"
#include "text/corpus.h"
#include "text/spm.h"

static char corpora[4096];

static const char *in_corpora(const char *rel) {
  static char buf[4][8192];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", corpora, rel);
  return buf[k];
}

static void check_equal(const char *a_spec, const char *b_spec) {
  fs_text a, b;
  CHECK_MSG(fs_parallel_read(a_spec, b_spec, &a, &b) == FS_OK, "%s", fs_last_error());
  int differ = 0;
  for (int i = 0; i < a.count && i < b.count; i++)
    if (strcmp(a.lines[i], b.lines[i])) {
      if (!differ) fprintf(stderr, "%s line %d differs:\n  %s\n  %s\n", a_spec, i + 1, a.lines[i], b.lines[i]);
      differ++;
    }
  CHECK_MSG(differ == 0 && a.count > 0, "%d of %d lines differ", differ, a.count);
  fs_text_free(&a);
  fs_text_free(&b);
}

int main(void) {
  snprintf(corpora, sizeof corpora, "%s", test_corpora_dir());
  if (access(in_corpora("wmt/newstest2013-src.de.sgm"), R_OK)) SKIP("corpora not found under %s", corpora);
  check_equal(in_corpora("wmt/newstest2013-src.de.sgm"), in_corpora("wmt/newstest2013.de.gz"));
  check_equal(in_corpora("wmt/newstest2013-ref.en.sgm"), in_corpora("wmt/newstest2013.en.gz"));
  check_equal(in_corpora("tatoeba-anki/deu-eng.tsv.gz:2"), in_corpora("tatoeba-anki/tatoeba.de.gz"));

  /* a joint model on the raw Multi30k training text (plain files: SentencePiece reads no gzip) */
  char dir[] = "/tmp/flowseq-spm-XXXXXX", de[64], en[64], prefix[64], model[80];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(de, sizeof de, "%s/train.de", dir);
  snprintf(en, sizeof en, "%s/train.en", dir);
  snprintf(prefix, sizeof prefix, "%s/spm", dir);
  snprintf(model, sizeof model, "%s.model", prefix);
  fs_text t;
  const char *outs[2] = {de, en}, *ins[2] = {"multi30k/train.de.gz", "multi30k/train.en.gz"};
  for (int k = 0; k < 2; k++) {
    CHECK(fs_text_read(in_corpora(ins[k]), &t) == FS_OK && t.count == 29000);
    FILE *f = fopen(outs[k], "w");
    for (int i = 0; i < t.count; i++) fprintf(f, "%s\n", t.lines[i]);
    fclose(f);
    fs_text_free(&t);
  }
  fs_spm_train_options o = {outs, 2, prefix, 4000, "unigram", 1.0, 0, 1, false, false};
  CHECK_MSG(fs_spm_train(&o) == FS_OK, "%s", fs_last_error());
  fs_spm *spm;
  CHECK_MSG(fs_spm_load(model, &spm) == FS_OK, "%s", fs_last_error());
  CHECK(fs_spm_vocab_size(spm) == 4000);
  CHECK(fs_spm_piece_to_id(spm, "<unk>") == FS_SPM_UNK && fs_spm_piece_to_id(spm, "</s>") == FS_SPM_EOS);
  int mismatches = 0, lines = 0;
  for (int k = 0; k < 2; k++) {
    CHECK(fs_text_read(in_corpora(k ? "multi30k/val.en.gz" : "multi30k/val.de.gz"), &t) == FS_OK);
    for (int i = 0; i < t.count; i++, lines++) {
      int32_t *ids;
      int n;
      char *back;
      fs_spm_encode(spm, t.lines[i], &ids, &n);
      fs_spm_decode(spm, ids, n, &back);
      /* SentencePiece normalises whitespace runs; compare with runs collapsed */
      char *want = py_normalize_space(t.lines[i]);
      if (strcmp(back, want)) {
        if (!mismatches) fprintf(stderr, "round trip: '%s' -> '%s'\n", t.lines[i], back);
        mismatches++;
      }
      free(want);
      free(ids);
      free(back);
    }
    fs_text_free(&t);
  }
  CHECK_MSG(mismatches == 0, "%d of %d val lines did not round-trip", mismatches, lines);
  fs_spm_free(spm);

  /* prep of the whole Multi30k training set, then one epoch of batches holds every pair once */
  char data[80];
  snprintf(data, sizeof data, "%s/train.fsd", dir);
  fs_clean_options clean = {100, 0, false};
  fs_clean_counts counts;
  CHECK_MSG(fs_dataset_prep(model, in_corpora("multi30k/train.de.gz"), in_corpora("multi30k/train.en.gz"), &clean, data,
                            &counts) == FS_OK,
            "%s", fs_last_error());
  CHECK(counts.read == 29000 && counts.kept == 29000);
  fs_pairs pairs;
  CHECK_MSG(fs_dataset_load(data, model, 4000, &pairs) == FS_OK, "%s", fs_last_error());
  fs_batcher batcher;
  fs_batcher_options bo = {2048, 0, 4, 0, 2, 7, true};
  CHECK(fs_batcher_init(&batcher, &pairs, &bo, 0) == FS_OK);
  int *seen = calloc(pairs.count, sizeof(int)), once = 1;
  for (int k = 0; k < batcher.n_batches; k++) {
    fs_batch b;
    const int *rows;
    fs_batcher_get(&batcher, k, &b, &rows);
    for (int r = 0; r < b.batch; r++) seen[rows[r]]++;
  }
  for (int i = 0; i < pairs.count; i++) once &= seen[i] == 1;
  CHECK_MSG(once, "an epoch must hold every one of the %d pairs exactly once", pairs.count);
  free(seen);
  fs_batcher_free(&batcher);
  fs_pairs_free(&pairs);
  /* the other raw forms go through prep too: WMT SGML on both sides, Tatoeba's TSV columns */
  fs_clean_options none = {0, 0, false};
  CHECK_MSG(fs_dataset_prep(model, in_corpora("wmt/newstest2013-src.de.sgm"), in_corpora("wmt/newstest2013-ref.en.sgm"),
                            &none, data, &counts) == FS_OK &&
                counts.read == 3000 && counts.kept == 3000,
            "newstest2013 SGML: %s", fs_last_error());
  CHECK_MSG(fs_dataset_prep(model, in_corpora("tatoeba-anki/deu-eng.tsv.gz:2"),
                            in_corpora("tatoeba-anki/deu-eng.tsv.gz:1"), &none, data, &counts) == FS_OK &&
                counts.read == 169813 && counts.kept == 169813,
            "Tatoeba TSV: %s", fs_last_error());
  CHECK(fs_spm_load("/nonexistent/spm.model", &spm) != FS_OK && strstr(fs_last_error(), "/nonexistent/spm.model"));
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
  return test_summary();
}
