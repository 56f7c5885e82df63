/* Writes the seed corpora of the fuzz targets into DIR/<target>/ (run by scripts/fuzz.sh, so no
 * seed is a checked-in data file): small valid inputs made with flowseq's own writers where it has
 * them (safetensors, config dump, progress.yaml), the rest spelled out here. */
#include "fuzz.h"
#include <errno.h>
#include <sys/stat.h>
#include <zlib.h>

#include "model/config.h"
#include "train/checkpoint.h"
#include "core/safetensors.h"

static char root[1024];

static const char *at(const char *target, const char *name) {
  static char path[2048];
  snprintf(path, sizeof path, "%s/%s", root, target);
  if (mkdir(path, 0755) && errno != EEXIST) {
    perror(path);
    exit(1);
  }
  snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
  return path;
}

static void put(const char *target, const char *name, const void *data, size_t size) {
  const char *path = at(target, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
    perror(path);
    exit(1);
  }
}

static void put_text(const char *target, const char *name, const char *text) { put(target, name, text, strlen(text)); }
/* A string literal with its NUL bytes (the corpus target's form byte may be 0). */
#define PUT_LITERAL(target, name, literal) put(target, name, literal, sizeof literal - 1)

static void check(fs_status s) {
  if (s != FS_OK) {
    fprintf(stderr, "make_seeds: %s\n", fs_last_error());
    exit(1);
  }
}

static void safetensors(void) {
  float w[6] = {1, -2, 0.5f, 3, 0, -0.25f};
  int64_t steps[1] = {7};
  int shape_w[2] = {2, 3}, shape_s[1] = {1};
  fs_st_tensor t[2] = {{"encoder.w", FS_ST_F32, 2, shape_w, w}, {"steps", FS_ST_I64, 1, shape_s, steps}};
  const char *meta[] = {"format", "pt", "flowseq", "0.1.0"};
  check(fs_safetensors_write(at("safetensors", "two-tensors"), t, 2, meta, 2));
  check(fs_safetensors_write(at("safetensors", "no-metadata"), t, 1, NULL, 0));
  float scalar = 1;
  fs_st_tensor s[1] = {{"scalar \"quoted\"", FS_ST_F32, 0, NULL, &scalar}};
  check(fs_safetensors_write(at("safetensors", "scalar"), s, 1, meta, 1));
  check(fs_safetensors_write(at("safetensors", "empty"), NULL, 0, NULL, 0));
}

/* A dataset as flowseq prep lays it out (dataset.h); the harness fills in the checksums. */
static void dataset(void) {
  const uint32_t src_len[3] = {2, 0, 3}, tgt_len[3] = {1, 2, 2};
  const int32_t ids[10] = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
  uint8_t buf[64 + sizeof src_len + sizeof tgt_len + sizeof ids] = {0};
  uint32_t version = 1;
  uint64_t counts[3] = {3, 5, 5};
  memcpy(buf, "FSQDATA1", 8);
  memcpy(buf + 8, &version, 4);
  memcpy(buf + 32, counts, sizeof counts);
  memcpy(buf + 64, src_len, sizeof src_len);
  memcpy(buf + 64 + sizeof src_len, tgt_len, sizeof tgt_len);
  memcpy(buf + 64 + sizeof src_len + sizeof tgt_len, ids, sizeof ids);
  put("dataset", "three-pairs", buf, sizeof buf);
  memset(buf + 32, 0, 24);
  put("dataset", "empty", buf, 64);
}

static void config(void) {
  fs_config c;
  fs_config_defaults(&c);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  fs_config_dump(out, &c);
  fclose(out);
  put("config", "defaults", text, len);
  free(text);
  put_text("config", "tiny",
           "# a small model\nmodel:\n  vocab: 60\n  d: 32\n  ffn_hidden: 64\n  flow_levels: 2\n  flow_steps: [2, 1]\n"
           "  encoder_dropout: 0.1\n  share_embed: false\ntrain:\n  lr: 1e-3\n  schedule: inv_sqrt\n"
           "  output: \"out\\tdir \\\"x\\\"\"\n  train_src: 'data/train.de.gz'\n  train_tgt: data/train.tsv:2\n");
  PUT_LITERAL("config", "override",
              "model:\n  d: 64\n\0train.lr\0"
              "2e-3");
  put_text("config", "block-list",
           "model:\n  flow_steps:\n    - 4\n    - 2\n  flow_levels: 2\ntrain: {max_tokens: 100, amsgrad: true}\n");
}

static void progress(void) {
  fs_progress p = {FS_PHASE_MAIN, 12, 412, {3, 17}, 123456789012ull, 4.25, 13.4, 2, 1};
  check(fs_progress_save(at("progress", "main"), &p));
  fs_progress q = {0};
  check(fs_progress_save(at("progress", "init"), &q));
}

/* gzip bytes of text (for the target's raw .gz form). */
static void gzip_seed(const char *name, const char *text) {
  uint8_t out[4096];
  out[0] = 2;
  z_stream z = {0};
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)text, z.avail_in = (uInt)strlen(text);
  z.next_out = out + 1, z.avail_out = sizeof out - 1;
  deflate(&z, Z_FINISH);
  put("corpus", name, out, 1 + z.total_out);
  deflateEnd(&z);
}

static void corpus(void) {
  PUT_LITERAL("corpus", "plain",
              "\x00"
              "Ein Mann fährt Fahrrad.\nZwei\tHunde spielen.\r\n\n");
  PUT_LITERAL("corpus", "gzip",
              "\x01"
              "A man rides a bike.\nTwo dogs play.\n");
  gzip_seed("gzip-raw", "Ein Mann fährt Fahrrad.\nZwei Hunde spielen.\n");
  PUT_LITERAL(
      "corpus", "sgml",
      "\x03<srcset setid=\"t\" srclang=\"de\">\n<doc docid=\"d\">\n<seg id=\"1\">  Ein  Mann &amp; ein\tHund </seg>\n"
      "<p>\n<seg id=\"2\">Zwei</seg>\n</doc>\n</srcset>\n");
  PUT_LITERAL("corpus", "sgml-gzip", "\x04<doc>\n<seg id=1>Hallo Welt</seg>\n</doc>\n");
  PUT_LITERAL("corpus", "tsv",
              "\x05\x01"
              "de eins\ten one\nde zwei\ten two\n");
  PUT_LITERAL("corpus", "tsv-spelled",
              "\x05\xc0"
              "2\nde eins\ten one\n");
}

static void eval(void) {
  put_text("eval", "sentences", "The cat sat on the mat.\nDer Hund läuft — schnell! (1,000.5 km)\n");
  put_text("eval", "casing", "ΟΔΟΣ İstanbul ǅ straße\u00a0\nIt's \"quoted\" & <tagged>\r\n");
  put_text("eval", "systems", "sys one\tsys two  \nline two\tline 2\t\n");
  put_text("eval", "controls", "tab\there\x7f\x01 \xf0\x9f\x98\x80 emoji\n\n\n");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  snprintf(root, sizeof root, "%s", argv[1]);
  if (mkdir(root, 0755) && errno != EEXIST) {
    perror(root);
    return 1;
  }
  safetensors();
  dataset();
  config();
  progress();
  corpus();
  eval();
  return 0;
}
