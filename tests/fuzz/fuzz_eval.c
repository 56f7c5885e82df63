/* Fuzz target: the evaluation input path of `flowseq bleu` (src/eval): files read as sacreBLEU
 * reads them (fs_lines_read) and standard input split into systems (fs_lines_read_columns), then
 * per line Python's str.lower(), the 13a tokenizer, BLEU and chrF statistics against the next
 * line, and the JSON string escaping of the output. fs_json_string also gets the raw input bytes:
 * system names are file names from the command line, which need not be UTF-8. Its output must be
 * printable ASCII that decodes (as Python's json.loads with surrogateescape) to the input. */
#include "fuzz.h"

#include "core/utf8.h"
#include "eval/json.h"
#include "eval/lines.h"
#include "eval/metric.h"
#include "eval/pytext.h"
#include "eval/tok13a.h"

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    FUZZ_ASSERT(d >= 0, "bad \\u escape digit '%c'", c);
    v = v << 4 | d;
  }
  return v;
}

static char *put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) *o++ = (char)cp;
  else if (cp < 0x800) *o++ = (char)(0xC0 | cp >> 6), *o++ = (char)(0x80 | (cp & 0x3F));
  else if (cp < 0x10000)
    *o++ = (char)(0xE0 | cp >> 12), *o++ = (char)(0x80 | (cp >> 6 & 0x3F)), *o++ = (char)(0x80 | (cp & 0x3F));
  else
    *o++ = (char)(0xF0 | cp >> 18), *o++ = (char)(0x80 | (cp >> 12 & 0x3F)), *o++ = (char)(0x80 | (cp >> 6 & 0x3F)),
    *o++ = (char)(0x80 | (cp & 0x3F));
  return o;
}

/* Writes s with fs_json_string and checks that the JSON decodes back to exactly s. */
static void check_json(const char *s) {
  char *json = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&json, &len);
  fs_json_string(out, s);
  fclose(out);
  FUZZ_ASSERT(len >= 2 && json[0] == '"' && json[len - 1] == '"', "not a JSON string: %s", json);
  char *decoded = malloc(len * 2 + 1), *o = decoded;
  for (size_t i = 1; i + 1 < len; i++) {
    unsigned char c = (unsigned char)json[i];
    FUZZ_ASSERT(c >= 0x20 && c < 0x7F && c != '"', "raw byte 0x%02x in JSON output", c);
    if (c != '\\') {
      *o++ = (char)c;
      continue;
    }
    FUZZ_ASSERT(i + 2 < len, "escape at the end of %s", json);
    char e = json[++i];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *k = strchr(from, e);
    if (e != 'u') {
      FUZZ_ASSERT(e && k, "unknown escape \\%c", e);
      *o++ = to[k - from];
      continue;
    }
    FUZZ_ASSERT(i + 5 < len, "short \\u escape");
    uint32_t cp = (uint32_t)hex4(json + i + 1);
    i += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && i + 7 < len && json[i + 1] == '\\' && json[i + 2] == 'u') {
      uint32_t low = (uint32_t)hex4(json + i + 3);
      FUZZ_ASSERT(low >= 0xDC00 && low < 0xE000, "high surrogate without a low one");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i += 6;
    } else if (cp >= 0xDC80 && cp < 0xDD00) { /* surrogateescape: an undecodable byte */
      *o++ = (char)(cp - 0xDC00);
      continue;
    }
    FUZZ_ASSERT(cp < 0xD800 || cp >= 0xE000, "lone surrogate \\u%04x", (unsigned)cp);
    o = put_utf8(o, cp);
  }
  *o = '\0';
  FUZZ_ASSERT(!strcmp(decoded, s), "JSON %s does not decode to the input", json);
  free(decoded);
  free(json);
}

static void check_lines(const fs_lines *l, bool rstripped) {
  fs_metric bleu = {FS_METRIC_BLEU, fs_bleu_defaults(), fs_chrf_defaults()};
  fs_metric bleu_lc = bleu, chrf = bleu;
  bleu_lc.bleu.lowercase = true;
  chrf.kind = FS_METRIC_CHRF;
  double stats[64];
  for (int i = 0; i < l->count && i < 32; i++) {
    const char *line = l->lines[i];
    size_t len = strlen(line);
    FUZZ_ASSERT(fs_utf8_valid(line, len, NULL), "line %d is not valid UTF-8", i + 1);
    char *copy = strdup(line);
    FUZZ_ASSERT(!rstripped || py_rstrip(copy) == len, "line %d is not rstripped", i + 1);
    free(copy);
    char *lower = py_lower(line);
    FUZZ_ASSERT(fs_utf8_valid(lower, strlen(lower), NULL), "lowercased line %d is not valid UTF-8", i + 1);
    char *tok = fs_tok13a(line), *tok_lower = fs_tok13a(lower);
    FUZZ_ASSERT(fs_utf8_valid(tok, strlen(tok), NULL), "tokenized line %d is not valid UTF-8", i + 1);
    free(tok), free(tok_lower), free(lower);
    check_json(line);
    const char *ref = l->lines[(i + 1) % l->count];
    FUZZ_ASSERT(fs_metric_width(&bleu) <= 64 && fs_metric_width(&chrf) <= 64, "metric width");
    fs_metric_segment(&bleu, line, &ref, 1, stats);
    fs_metric_segment(&bleu_lc, line, &ref, 1, stats);
    fs_metric_segment(&chrf, line, &ref, 1, stats);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write(".txt", data, size);
  fs_lines l;
  fs_status s = fs_lines_read(path, &l);
  if (s == FS_OK) {
    check_lines(&l, true);
    fs_lines_free(&l);
  } else fuzz_check_refusal(s);

  FILE *in = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
  FUZZ_ASSERT(in, "fmemopen");
  fs_lines *systems;
  int n_systems;
  s = fs_lines_read_columns(in, &systems, &n_systems);
  fclose(in);
  if (s == FS_OK) {
    FUZZ_ASSERT(n_systems >= 1, "%d systems", n_systems);
    for (int k = 0; k < n_systems; k++) {
      if (k < 4) check_lines(&systems[k], false); /* the first line is rstripped as a whole */
      fs_lines_free(&systems[k]);
    }
    free(systems);
  } else fuzz_check_refusal(s);

  char *raw = malloc(size + 1); /* a file name: any bytes but NUL */
  memcpy(raw, data, size);
  raw[size] = '\0';
  check_json(raw);
  free(raw);
  return 0;
}
