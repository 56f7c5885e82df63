/* Safetensors files (round trip of F32/I64 tensors and metadata, Python's safetensors/numpy
 * reading ours and ours reading theirs, rejection of truncated, corrupted or mismatched files
 * with messages naming file and tensor), progress.yaml, model directories (allocation without
 * random init, save and load round trip, a missing or mismatched file named), checkpoint
 * directories (params + optimizer state + progress round trip, stale DIR.tmp, a save interrupted
 * after the old directory moved aside, a non-checkpoint directory refused) and the stop-signal
 * flag. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/safetensors.h"
#include "model/model_dir.h"
#include "test.h"
#include "tiny_model.h"
#include "train/checkpoint.h"
#include "train/signals.h"

static char dir[] = "/tmp/flowseq-checkpoint-XXXXXX";

static const char *at(const char *name) { return test_path_in(dir, name); }

static const float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {-1, 0.5f};
static const int64_t counts[3] = {7, 1LL << 40, 0};

static void write_sample(const char *path) {
  fs_st_tensor ts[3] = {{"layer.w", FS_ST_F32, 2, (int[]){2, 3}, w},
                        {"layer \"b\"", FS_ST_F32, 1, (int[]){2}, b},
                        {"steps", FS_ST_I64, 1, (int[]){3}, counts}};
  const char *meta[] = {"format", "pt", "note", "a \"quoted\" value"};
  CHECK(fs_safetensors_write(path, ts, 3, meta, 2) == FS_OK);
}

/* Rewrites bytes [offset, offset + len) of a file. */
static void patch(const char *path, long offset, const char *bytes, size_t len) {
  FILE *f = fopen(path, "r+b");
  fseek(f, offset, SEEK_SET);
  fwrite(bytes, 1, len, f);
  fclose(f);
}

static void expect_rejected(const char *path, const char *message) {
  fs_safetensors *f = NULL;
  CHECK_MSG(fs_safetensors_open(path, &f) != FS_OK && strstr(fs_last_error(), message) && strstr(fs_last_error(), path),
            "expected \"%s\", got \"%s\"", message, fs_last_error());
  fs_safetensors_close(f);
}

static void test_safetensors_round_trip(void) {
  write_sample(at("t.safetensors"));
  fs_safetensors *f;
  CHECK(fs_safetensors_open(at("t.safetensors"), &f) == FS_OK);
  float got[6];
  int64_t got_counts[3];
  CHECK(fs_safetensors_count(f) == 3);
  CHECK(fs_safetensors_get(f, "layer.w", FS_ST_F32, 2, (int[]){2, 3}, got) == FS_OK && !memcmp(got, w, sizeof w));
  CHECK(fs_safetensors_get(f, "layer \"b\"", FS_ST_F32, 1, (int[]){2}, got) == FS_OK && !memcmp(got, b, sizeof b));
  CHECK(fs_safetensors_get(f, "steps", FS_ST_I64, 1, (int[]){3}, got_counts) == FS_OK &&
        !memcmp(got_counts, counts, sizeof counts));
  CHECK(fs_safetensors_get(f, "layer.w", FS_ST_F32, 2, (int[]){3, 2}, got) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "tensor layer.w: expected F32 [3, 2], found F32 [2, 3]"));
  CHECK(fs_safetensors_get(f, "steps", FS_ST_F32, 1, (int[]){3}, got) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "expected F32 [3], found I64 [3]"));
  CHECK(fs_safetensors_get(f, "missing", FS_ST_F32, 1, (int[]){2}, got) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "tensor missing is missing"));
  CHECK(!strcmp(fs_safetensors_metadata(f, "note"), "a \"quoted\" value") && !fs_safetensors_metadata(f, "nope"));
  fs_safetensors_close(f);
}

static void test_safetensors_rejections(void) {
  const char *path = at("bad.safetensors");
  struct stat st;
  write_sample(path);
  stat(path, &st);
  CHECK(truncate(path, st.st_size - 4) == 0);
  expect_rejected(path, "the tensors need 56 data bytes but the file has 52 (truncated or corrupted)");
  write_sample(path);
  CHECK(truncate(path, 20) == 0);
  expect_rejected(path, "not a safetensors file");
  FILE *junk = fopen(path, "w");
  fputs("not a safetensors file at all", junk);
  fclose(junk);
  expect_rejected(path, "not a safetensors file");
  write_sample(path);
  patch(path, 8, "X", 1); /* the header no longer opens with '{' */
  expect_rejected(path, "malformed safetensors header");
  /* a tensor whose offsets do not match its shape */
  fs_st_tensor one = {"x", FS_ST_F32, 1, (int[]){2}, b};
  CHECK(fs_safetensors_write(path, &one, 1, NULL, 0) == FS_OK);
  patch(path, 8 + strlen("{\"x\":{\"dtype\":\"F32\",\"shape\":["), "3", 1);
  expect_rejected(path, "tensor x: data_offsets [0, 8] hold 8 bytes, its dtype and shape need 12");
  CHECK(fs_safetensors_write(path, &one, 1, NULL, 0) == FS_OK);
  patch(path, 8 + strlen("{\"x\":{\"dtype\":\""), "F16", 3);
  expect_rejected(path, "need 4");
  CHECK(fs_safetensors_write(path, &one, 1, NULL, 0) == FS_OK);
  patch(path, 8 + strlen("{\"x\":{\"dtype\":\""), "Q32", 3);
  expect_rejected(path, "tensor x: unknown dtype Q32");
  expect_rejected(at("nonexistent.safetensors"), "cannot open");
}

/* Writes a safetensors file of the given header and no data. */
static void write_header(const char *path, const char *header) {
  uint64_t len = strlen(header);
  FILE *f = fopen(path, "wb");
  fwrite(&len, 8, 1, f);
  fwrite(header, 1, len, f);
  fclose(f);
}

/* Found by fuzzing (issue 13): a number at the very end of the header was parsed past the header
 * buffer (an ASan heap-buffer-overflow; run under FLOWSEQ_SANITIZE to see it), and a header with
 * no tensors handed qsort a NULL array. */
static void test_safetensors_fuzzed(void) {
  const char *path = at("fuzz.safetensors");
  write_header(path, "{\"a\":{\"shape\":[1");
  expect_rejected(path, "malformed safetensors header");
  write_header(path, "{\"a\":{\"shape\":[12345678");
  expect_rejected(path, "malformed safetensors header");
  /* fuzz_safetensors: the byte count of a crafted shape overflowed int64 (UBSan: signed overflow) */
  write_header(path, "{\"t\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,0]}}");
  expect_rejected(path, "its dtype and shape need -1");
  write_header(path, "{}");
  fs_safetensors *f = NULL;
  CHECK(fs_safetensors_open(path, &f) == FS_OK && fs_safetensors_count(f) == 0);
  fs_safetensors_close(f);
}

/* Python's safetensors (or a json + numpy reader when only numpy is there) reads our file, and
 * we read a file Python's safetensors wrote. */
static void test_safetensors_python(void) {
  if (system("python3 -c 'import numpy' 2>/dev/null") != 0) {
    fprintf(stderr, "note: python3 with numpy not available; the Python cross-check is skipped\n");
    return;
  }
  write_sample(at("t.safetensors"));
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "python3 - '%s' <<'PY'\n"
           "import json, struct, sys, numpy as np\n"
           "raw = open(sys.argv[1], 'rb').read()\n"
           "n = struct.unpack('<Q', raw[:8])[0]\n"
           "h = json.loads(raw[8:8 + n]); data = raw[8 + n:]\n"
           "def get(name):\n"
           "    e = h[name]; b, t = e['data_offsets']\n"
           "    return np.frombuffer(data[b:t], {'F32': '<f4', 'I64': '<i8'}[e['dtype']]).reshape(e['shape'])\n"
           "assert get('layer.w')[1, 2] == 6 and get('layer \"b\"')[0] == -1 and get('steps')[1] == 1 << 40\n"
           "assert h['__metadata__']['note'] == 'a \"quoted\" value' and n %% 8 == 0\n"
           "try:\n"
           "    import safetensors.numpy as st\n"
           "except ImportError:\n"
           "    sys.exit(0)\n"
           "t = st.load_file(sys.argv[1])\n"
           "assert t['layer.w'].shape == (2, 3) and t['layer.w'][1, 2] == 6 and t['steps'][1] == 1 << 40\n"
           "st.save_file({'a': np.arange(6, dtype=np.float32).reshape(3, 2), 'n': np.array([5], dtype=np.int64)},\n"
           "             sys.argv[1] + '.py', metadata={'k': 'v'})\n"
           "PY",
           at("t.safetensors"));
  CHECK_MSG(system(cmd) == 0, "Python could not read our safetensors file");
  char theirs[600];
  snprintf(theirs, sizeof theirs, "%s.py", at("t.safetensors"));
  fs_safetensors *f;
  if (access(theirs, F_OK) != 0) {
    fprintf(stderr, "note: Python safetensors not installed; reading its files is not checked\n");
    return;
  }
  float a[6];
  int64_t n;
  CHECK(fs_safetensors_open(theirs, &f) == FS_OK);
  CHECK(fs_safetensors_get(f, "a", FS_ST_F32, 2, (int[]){3, 2}, a) == FS_OK && a[5] == 5.0f);
  CHECK(fs_safetensors_get(f, "n", FS_ST_I64, 1, (int[]){1}, &n) == FS_OK && n == 5);
  CHECK(!strcmp(fs_safetensors_metadata(f, "k"), "v"));
  fs_safetensors_close(f);
}

static int same_progress(const fs_progress *p, const fs_progress *q) {
  return p->phase == q->phase && p->update == q->update && p->total_updates == q->total_updates &&
         p->data.epoch == q->data.epoch && p->data.next_batch == q->data.next_batch && p->rng_offset == q->rng_offset &&
         p->best_valid_nll == q->best_valid_nll && p->best_valid_bleu == q->best_valid_bleu &&
         p->bad_validations == q->bad_validations && p->skipped == q->skipped && p->window.recon == q->window.recon &&
         p->window.kl == q->window.kl && p->window.length == q->window.length && p->window.tokens == q->window.tokens &&
         p->window.sentences == q->window.sentences && p->pending_validation == q->pending_validation &&
         p->best_nll_update == q->best_nll_update && p->best_bleu_update == q->best_bleu_update &&
         p->train_seconds == q->train_seconds;
}

static void test_progress(void) {
  fs_progress p = {FS_PHASE_MAIN,           17, 117, {3, 9}, 1ULL << 50, 4.25, 12.5, 1, 2,
                   {1.5, 0.25, 3.0, 40, 4}, 1,  110, 96,     7.5},
              q;
  CHECK(fs_progress_save(at("progress.yaml"), &p) == FS_OK);
  CHECK(fs_progress_load(at("progress.yaml"), &q) == FS_OK && same_progress(&p, &q));
  /* issue 22: the keys added later (log window, pending validation, best updates, wall time) are
   * optional, so a checkpoint written before them still resumes */
  FILE *f = fopen(at("progress.yaml"), "w");
  fputs(
      "phase: main\nupdate: 3\ntotal_updates: 5\ndata:\n  epoch: 1\n  next_batch: 2\nrng_offset: 7\n"
      "best_valid_nll: 0\nbest_valid_bleu: 0\nbad_validations: 0\nskipped_updates: 0\n",
      f);
  fclose(f);
  CHECK(fs_progress_load(at("progress.yaml"), &q) == FS_OK && q.total_updates == 5 && q.window.sentences == 0 &&
        q.pending_validation == 0 && q.train_seconds == 0);
  f = fopen(at("progress.yaml"), "w");
  fputs("phase: main\nupdate: 3\n", f);
  fclose(f);
  CHECK(fs_progress_load(at("progress.yaml"), &q) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "total_updates is missing"));
  f = fopen(at("progress.yaml"), "w");
  fputs("phase: sideways\n", f);
  fclose(f);
  CHECK(fs_progress_load(at("progress.yaml"), &q) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "progress.yaml:1: phase: unreadable value \"sideways\""));
  /* fuzz_progress: negative counts were accepted (a data.next_batch of -5 indexed before the
   * batches on resume), ints were truncated and strtoull wrapped "-1" */
  const char *bad[] = {"data:\n  next_batch: -5\n", "data:\n  epoch: 4294967297\n", "update: -1\n", "rng_offset: -1\n"};
  for (int i = 0; i < 4; i++) {
    f = fopen(at("progress.yaml"), "w");
    fputs(bad[i], f);
    fclose(f);
    CHECK_MSG(fs_progress_load(at("progress.yaml"), &q) == FS_ERR_FORMAT && strstr(fs_last_error(), "unreadable value"),
              "%s: %s", bad[i], fs_last_error());
  }
}

/* Every parameter's slice of slots 0 (data) and 2..4 (moments) equal in both models. */
static int same_state(fs_model *ma, fs_model *mb, int last_slot) {
  const fs_params *a = fs_model_params(ma), *b = fs_model_params(mb);
  int same = 1;
  for (int i = 0; i < a->count; i++)
    for (int slot = 0; slot <= last_slot; slot += slot ? 1 : 2) {
      int64_t off = a->items[i]->offset, n = a->items[i]->tensor.numel;
      same &= !memcmp(fs_params_slot(a, slot) + off, fs_params_slot(b, slot) + off, sizeof(float) * n);
    }
  return same;
}

/* Whether every weight (slot 0) of the model is zero. */
static bool all_zero(fs_model *m) {
  const fs_params *p = fs_model_params(m);
  for (int64_t i = 0; i < p->total; i++)
    if (fs_params_slot(p, 0)[i] != 0.0f) return false;
  return true;
}

static void test_model_directories(void) {
  fs_config cfg;
  fs_config_defaults(&cfg);
  cfg.model = tiny_hparams();
  cfg.n_flow_steps = cfg.model.flow_levels;
  /* allocation leaves the weights zero; the random init then gives what creation gives */
  fs_model a, b, loaded;
  CHECK(fs_model_alloc(&a, &cfg.model, fs_backend_cpu(), 3) == FS_OK && all_zero(&a));
  CHECK(fs_model_init_random(&a, 4) == FS_OK && !all_zero(&a));
  CHECK(fs_model_create(&b, &cfg.model, fs_backend_cpu(), 4, 3) == FS_OK && same_state(&a, &b, 0));
  fs_model_free(&b);

  char md[512];
  snprintf(md, sizeof md, "%s", at("md"));
  mkdir(md, 0755);
  FILE *spm = fopen(at("md-spm.model"), "w");
  fputs("tokenizer bytes", spm);
  fclose(spm);
  CHECK(fs_model_dir_save(md, &cfg, &a, at("md-spm.model")) == FS_OK && access(at("md/spm.model"), F_OK) == 0);
  fs_config back;
  CHECK_MSG(fs_model_dir_load(md, fs_backend_cpu(), FS_PARAMS_NO_GRADIENTS, &back, &loaded) == FS_OK, "%s",
            fs_last_error());
  CHECK(!memcmp(&back, &cfg, sizeof cfg) && same_state(&a, &loaded, 0));
  CHECK(fs_model_params(&loaded)->n_slots == 1);
  fs_model_free(&loaded);

  /* a directory whose config declares another shape: the weights file is named, the model freed */
  fs_config other = cfg;
  other.model.ffn_hidden = 32;
  FILE *f = fopen(at("md/config.yaml"), "w");
  fs_config_dump(f, &other);
  fclose(f);
  CHECK(fs_model_dir_load(md, fs_backend_cpu(), FS_PARAMS_NO_GRADIENTS, &back, &loaded) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "md/model.safetensors: tensor"));
  fs_model_free(&loaded); /* already freed: harmless */
  remove(at("md/config.yaml"));
  CHECK(fs_model_dir_load(md, fs_backend_cpu(), FS_PARAMS_NO_GRADIENTS, &back, &loaded) != FS_OK &&
        strstr(fs_last_error(), "md/config.yaml"));
  fs_model_free(&a);
}

static void test_checkpoint_directories(void) {
  fs_config cfg;
  fs_config_defaults(&cfg);
  cfg.model = tiny_hparams();
  cfg.n_flow_steps = cfg.model.flow_levels;
  fs_model a, b;
  CHECK(fs_model_create(&a, &cfg.model, fs_backend_cpu(), 1, 3) == FS_OK);
  CHECK(fs_model_create(&b, &cfg.model, fs_backend_cpu(), 2, 3) == FS_OK);
  fs_adamw oa, ob;
  fs_adamw_options o = {0.9, 0.999, 1e-8, 0, 1, true};
  CHECK(fs_adamw_init(&oa, fs_model_params(&a), &o) == FS_OK && fs_adamw_init(&ob, fs_model_params(&b), &o) == FS_OK);
  for (int slot = 2; slot < 5; slot++)
    for (int64_t i = 0; i < fs_model_params(&a)->total; i++)
      fs_params_slot(fs_model_params(&a), slot)[i] = 0.001f * (float)((i + slot) % 97);
  oa.steps[3] = 42;
  oa.steps[0] = (1LL << 33) + 1; /* beyond float precision: counters are stored as I64 */
  fs_progress pa = {FS_PHASE_MAIN, 17, 117, {3, 9}, 12345, 4.5, 20.0, 1, 0, {0, 0, 0, 0, 0}, 0, 0, 0, 0}, pb;
  FILE *spm = fopen(at("spm.model"), "w");
  fputs("tokenizer bytes", spm);
  fclose(spm);
  char ck[512];
  snprintf(ck, sizeof ck, "%s", at("ck"));

  CHECK(fs_checkpoint_save(ck, &cfg, &a, &oa, &pa, at("spm.model")) == FS_OK);
  CHECK(access(at("ck/spm.model"), F_OK) == 0 && access(at("ck.tmp"), F_OK) != 0 && access(at("ck.prev"), F_OK) != 0);
  char *found = fs_checkpoint_find(ck);
  CHECK(found && !strcmp(found, ck));
  CHECK(fs_checkpoint_load(found, &b, &ob, &pb) == FS_OK);
  free(found);
  CHECK(same_state(&a, &b, 4));
  CHECK(ob.steps[3] == 42 && ob.steps[0] == (1LL << 33) + 1 && same_progress(&pa, &pb));
  fs_config back;
  CHECK(fs_model_dir_config(ck, &back) == FS_OK && !memcmp(&back, &cfg, sizeof cfg));

  /* a stale half-written DIR.tmp does not matter, and the next save replaces it */
  mkdir(at("ck.tmp"), 0755);
  FILE *stale = fopen(at("ck.tmp/model.safetensors"), "w");
  fputs("half", stale);
  fclose(stale);
  found = fs_checkpoint_find(ck);
  CHECK(found && !strcmp(found, ck) && fs_checkpoint_load(found, &b, NULL, NULL) == FS_OK);
  free(found);
  pa.update = 18;
  CHECK(fs_checkpoint_save(ck, &cfg, &a, &oa, &pa, NULL) == FS_OK && access(at("ck.tmp"), F_OK) != 0);

  /* killed after the old directory moved aside: loading falls back to DIR.prev, and the next
   * save keeps DIR.prev until the new DIR is in place */
  CHECK(rename(ck, at("ck.prev")) == 0);
  mkdir(ck, 0755); /* even an empty DIR left behind */
  found = fs_checkpoint_find(ck);
  CHECK(found && strstr(found, "ck.prev") && fs_checkpoint_load(found, &b, &ob, &pb) == FS_OK && pb.update == 18);
  free(found);
  pa.update = 19;
  CHECK(fs_checkpoint_save(ck, &cfg, &a, &oa, &pa, NULL) == FS_OK);
  CHECK(fs_checkpoint_load(ck, &b, &ob, &pb) == FS_OK && pb.update == 19 && access(at("ck.prev"), F_OK) != 0);

  /* a directory that is not a checkpoint is never replaced */
  mkdir(at("docs"), 0755);
  fclose(fopen(at("docs/readme.txt"), "w"));
  CHECK(fs_checkpoint_save(at("docs"), &cfg, &a, NULL, NULL, NULL) == FS_ERR_IO &&
        strstr(fs_last_error(), "not a flowseq checkpoint") && access(at("docs/readme.txt"), F_OK) == 0);

  /* a failed save names the cause (issue 13: a full disk said only "copying A to B failed"; here
   * the tokenizer is a directory, EISDIR), removes its partial DIR.tmp and keeps the checkpoint */
  CHECK_MSG(fs_checkpoint_save(ck, &cfg, &a, &oa, &pa, dir) == FS_ERR_IO && strstr(fs_last_error(), strerror(EISDIR)),
            "%s", fs_last_error());
  CHECK(access(at("ck.tmp"), F_OK) != 0 && fs_checkpoint_load(ck, &b, NULL, &pb) == FS_OK && pb.update == 19);

  /* a model of another configuration is refused with the tensor named */
  fs_hparams other = tiny_hparams();
  other.ffn_hidden = 32;
  fs_model c;
  CHECK(fs_model_create(&c, &other, fs_backend_cpu(), 1, 3) == FS_OK);
  CHECK(fs_checkpoint_load(ck, &c, NULL, NULL) == FS_ERR_FORMAT &&
        strstr(fs_last_error(), "model.safetensors: tensor") && strstr(fs_last_error(), "expected F32"));
  fs_model_free(&c);
  /* a truncated weights file is refused, not half-loaded */
  struct stat st;
  stat(at("ck/model.safetensors"), &st);
  CHECK(truncate(at("ck/model.safetensors"), st.st_size / 2) == 0);
  CHECK(fs_checkpoint_load(ck, &b, NULL, NULL) == FS_ERR_FORMAT && strstr(fs_last_error(), "truncated"));

  fs_adamw_free(&oa);
  fs_adamw_free(&ob);
  fs_model_free(&a);
  fs_model_free(&b);
}

static void test_stop_signal(void) {
  fs_signals_install();
  CHECK(!fs_stop_requested());
  raise(SIGTERM); /* the first signal only sets the flag */
  CHECK(fs_stop_requested());
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_safetensors_round_trip();
  test_safetensors_rejections();
  test_safetensors_fuzzed();
  test_safetensors_python();
  test_progress();
  test_model_directories();
  test_checkpoint_directories();
  test_stop_signal();
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_summary();
}
