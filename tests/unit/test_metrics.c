/* The metrics TSV: header and row layout (absent values as empty fields), appending across a
 * resume without a second header, refusal of a foreign file; scripts/plot-metrics.sh draws a
 * PNG from a file written here (skipped without gnuplot) and rejects a file that is not one. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "train/metrics.h"

static char dir[] = "/tmp/flowseq-metrics-XXXXXX";

/* A run with a pre-training, a main phase and validations, in two sessions (resume). */
static void write_run(const char *path) {
  for (int session = 0; session < 2; session++) {
    fs_metrics m;
    CHECK(fs_metrics_open(&m, path, session * 10) == FS_OK);
    for (int k = 1; k <= 10; k++) {
      long update = session * 10 + k;
      fs_metrics_row r = fs_metrics_row_empty(update, (int)update / 4, update <= 5 ? "pretrain" : "main");
      r.recon = 50.0 / update, r.kl = update <= 5 ? 0 : 3.0, r.length = 2.0 - 0.05 * update;
      r.kl_weight = update <= 5 ? 0 : (update - 5) / 15.0, r.lr = 1e-4 * update, r.grad_norm = 4.0 + 0.1 * k,
      r.tok_per_s = 1000 + update;
      CHECK(fs_metrics_append(&m, &r) == FS_OK);
      if (update % 5 == 0) {
        fs_metrics_row v = fs_metrics_row_empty(update, (int)update / 4, "valid");
        v.valid_nll = 3.0 - 0.1 * update, v.valid_ppl = exp(v.valid_nll), v.valid_bleu = update;
        CHECK(fs_metrics_append(&m, &v) == FS_OK);
      }
    }
    fs_metrics_close(&m);
  }
}

static void test_rows(void) {
  char path[600];
  snprintf(path, sizeof path, "%s/rows.tsv", dir);
  fs_metrics m;
  CHECK(fs_metrics_open(&m, path, 0) == FS_OK);
  fs_metrics_row r = fs_metrics_row_empty(7, 1, "main");
  r.recon = 1.5, r.kl = 0.25, r.length = 2, r.kl_weight = 0.5, r.lr = 5e-4, r.grad_norm = 1.25, r.tok_per_s = 1234.5;
  CHECK(fs_metrics_append(&m, &r) == FS_OK);
  fs_metrics_row v = fs_metrics_row_empty(8, 1, "valid");
  v.valid_nll = 2.5, v.valid_ppl = 12.1825, v.valid_bleu = 17.25;
  CHECK(fs_metrics_append(&m, &v) == FS_OK);
  fs_metrics_close(&m);
  CHECK(fs_metrics_open(&m, path, 8) == FS_OK); /* a resumed run appends, no second header */
  fs_metrics_close(&m);
  CHECK(test_file_equals(path, FS_METRICS_HEADER
                         "\n"
                         "7\t1\tmain\t1.500000\t0.250000\t2.000000\t0.500000\t5.000000e-04\t1.250000\t1234.5\t\t\t\n"
                         "8\t1\tvalid\t\t\t\t\t\t\t\t2.500000\t12.1825\t17.25\n"));
  snprintf(path, sizeof path, "%s/other.tsv", dir);
  FILE *f = fopen(path, "w");
  fputs("step\tloss\n1\t2\n", f);
  fclose(f);
  CHECK(fs_metrics_open(&m, path, 0) == FS_ERR_FORMAT && strstr(fs_last_error(), "not a flowseq metrics file"));
}

static void append_rows(fs_metrics *m, long from, long to) {
  for (long u = from; u <= to; u++) {
    fs_metrics_row r = fs_metrics_row_empty(u, 1, "main");
    r.recon = (double)u;
    CHECK(fs_metrics_append(m, &r) == FS_OK);
    if (u % 5 == 0)
      CHECK(fs_metrics_append(
                m,
                &(fs_metrics_row){
                    .update = u, .epoch = 1, .phase = "valid", .valid_nll = 1, .valid_ppl = 2, .valid_bleu = 3}) ==
            FS_OK);
  }
}

/* Issue 13: after a kill -9 resume, the rows logged after the last checkpoint were logged again. */
static void test_resume_after_kill(void) {
  char path[600];
  snprintf(path, sizeof path, "%s/killed.tsv", dir);
  fs_metrics m;
  CHECK(fs_metrics_open(&m, path, 0) == FS_OK);
  append_rows(&m, 1, 9); /* checkpoint at 6, killed at 9 */
  fs_metrics_close(&m);
  FILE *f = fopen(path, "a");
  fputs("10\t1\tma", f); /* and a row cut short by the kill */
  fclose(f);
  CHECK(fs_metrics_open(&m, path, 6) == FS_OK);
  append_rows(&m, 7, 12);
  fs_metrics_close(&m);
  f = fopen(path, "r");
  char line[512];
  int rows[13] = {0}, valid[13] = {0}, bad = 0;
  CHECK(fgets(line, sizeof line, f) && !strcmp(line, FS_METRICS_HEADER "\n"));
  while (fgets(line, sizeof line, f)) {
    long u = strtol(line, NULL, 10);
    if (u < 1 || u > 12 || line[strlen(line) - 1] != '\n') bad++;
    else if (strstr(line, "\tvalid\t")) valid[u]++;
    else rows[u]++;
  }
  fclose(f);
  int once = 1;
  for (int u = 1; u <= 12; u++) once &= rows[u] == 1 && valid[u] == (u % 5 == 0);
  CHECK_MSG(once && !bad, "not one row per update after the resume");
  /* nothing after the checkpoint: the file is left as it is */
  CHECK(fs_metrics_open(&m, path, 12) == FS_OK);
  fs_metrics_close(&m);
}

static void test_plot(void) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fprintf(stderr, "note: gnuplot not installed; plot-metrics.sh is not checked\n");
    return;
  }
  const char *src = getenv("FLOWSEQ_SOURCE_DIR") ? getenv("FLOWSEQ_SOURCE_DIR") : ".";
  char tsv[600], png[600], cmd[2048];
  snprintf(tsv, sizeof tsv, "%s/run.metrics.tsv", dir);
  snprintf(png, sizeof png, "%s/run.png", dir);
  write_run(tsv);
  snprintf(cmd, sizeof cmd, "bash %s/scripts/plot-metrics.sh %s %s >/dev/null", src, tsv, png);
  CHECK_MSG(system(cmd) == 0, "plot-metrics.sh failed on %s", tsv);
  unsigned char magic[8] = {0};
  FILE *f = fopen(png, "rb");
  if (f) {
    CHECK(fread(magic, 1, 8, f) == 8);
    fseek(f, 0, SEEK_END);
    CHECK(ftell(f) > 10000); /* four panels drawn, not an empty canvas */
    fclose(f);
  }
  CHECK(!memcmp(magic, "\x89PNG\r\n\x1a\n", 8));
  snprintf(cmd, sizeof cmd, "bash %s/scripts/plot-metrics.sh %s/rows.tsv %s/no.png >/dev/null 2>&1", src, dir,
           dir); /* one row of each kind */
  CHECK(system(cmd) == 0);
  snprintf(cmd, sizeof cmd, "bash %s/scripts/plot-metrics.sh %s/other.tsv %s/x.png 2>/dev/null", src, dir, dir);
  CHECK(system(cmd) != 0);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_rows();
  test_resume_after_kill();
  test_plot();
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_summary();
}
