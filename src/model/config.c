/* The YAML configuration of a model and its training: the implementation; model/config.h describes the interface. */
#include "model/config.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/yaml_leaves.h"

typedef enum {
  KEY_INT,
  KEY_FLOAT,
  KEY_DOUBLE,
  KEY_BOOL,
  KEY_STRING,
  KEY_INT_LIST,
  KEY_MODEL_TYPE,
  KEY_PRECISION
} key_type;

/* Allowed values of a number, checked where the value is read so the error names file:line. */
typedef enum { ANY, NONNEG, POSITIVE, FRACTION /* [0, 1) */, DECAY /* (0, 1] */ } key_range;

typedef struct {
  const char *name; /* "section.key" */
  key_type type;
  key_range range;
  size_t offset; /* into fs_config */
  int size;      /* string capacity or list capacity */
} config_key;

#define M(field, type, range) \
  { "model." #field, type, range, offsetof(fs_config, model.field), 0 }
#define T(field, type, range) \
  { "train." #field, type, range, offsetof(fs_config, train.field), 0 }
#define TS(field) \
  { "train." #field, KEY_STRING, ANY, offsetof(fs_config, train.field), FS_PATH_MAX }

static const config_key keys[] = {
    M(type, KEY_MODEL_TYPE, ANY),
    M(vocab, KEY_INT, POSITIVE),
    M(pad_id, KEY_INT, NONNEG),
    M(eos_id, KEY_INT, NONNEG),
    M(d, KEY_INT, POSITIVE),
    M(ffn_hidden, KEY_INT, POSITIVE),
    M(encoder_layers, KEY_INT, POSITIVE),
    M(encoder_heads, KEY_INT, POSITIVE),
    M(encoder_dropout, KEY_FLOAT, FRACTION),
    M(posterior_layers, KEY_INT, POSITIVE),
    M(posterior_heads, KEY_INT, POSITIVE),
    M(posterior_dropout, KEY_FLOAT, FRACTION),
    M(posterior_token_dropout, KEY_FLOAT, FRACTION),
    M(decoder_layers, KEY_INT, POSITIVE),
    M(decoder_heads, KEY_INT, POSITIVE),
    M(decoder_dropout, KEY_FLOAT, FRACTION),
    M(label_smoothing, KEY_FLOAT, FRACTION),
    M(length_range, KEY_INT, POSITIVE),
    M(length_dropout, KEY_FLOAT, FRACTION),
    M(flow_levels, KEY_INT, POSITIVE),
    {"model.flow_steps", KEY_INT_LIST, NONNEG, offsetof(fs_config, model.flow_steps), FLOW_MAX_LEVELS},
    M(flow_hidden, KEY_INT, POSITIVE),
    M(flow_heads, KEY_INT, POSITIVE),
    M(max_length, KEY_INT, POSITIVE),
    M(share_embed, KEY_BOOL, ANY),
    M(tie_weights, KEY_BOOL, ANY),
    TS(train_src),
    TS(train_tgt),
    TS(train_data),
    TS(valid_src),
    TS(valid_tgt),
    TS(spm),
    TS(output),
    TS(init_from),
    T(max_tokens, KEY_INT, POSITIVE),
    T(max_sentences, KEY_INT, NONNEG),
    T(accumulate, KEY_INT, POSITIVE),
    T(max_length, KEY_INT, POSITIVE),
    T(max_ratio, KEY_DOUBLE, NONNEG),
    T(seed, KEY_INT, NONNEG),
    T(lr, KEY_DOUBLE, POSITIVE),
    T(beta1, KEY_DOUBLE, FRACTION),
    T(beta2, KEY_DOUBLE, FRACTION),
    T(eps, KEY_DOUBLE, POSITIVE),
    T(weight_decay, KEY_DOUBLE, NONNEG),
    T(amsgrad, KEY_BOOL, ANY),
    {"train.schedule", KEY_STRING, ANY, offsetof(fs_config, train.schedule), sizeof(((fs_train_config *)0)->schedule)},
    T(gamma, KEY_DOUBLE, DECAY),
    T(warmup, KEY_INT, NONNEG),
    T(grad_clip, KEY_DOUBLE, NONNEG),
    T(init_steps, KEY_INT, NONNEG),
    T(init_batch_size, KEY_INT, POSITIVE),
    T(kl_warmup_steps, KEY_INT, NONNEG),
    T(max_updates, KEY_INT, NONNEG),
    T(log_every, KEY_INT, POSITIVE),
    T(valid_every, KEY_INT, POSITIVE),
    T(save_every, KEY_INT, NONNEG),
    T(patience, KEY_INT, NONNEG),
    T(keep_last, KEY_INT, NONNEG),
    T(valid_samples, KEY_INT, POSITIVE),
    T(arena_mb, KEY_INT, POSITIVE),
    T(precision, KEY_PRECISION, ANY),
};
static const int n_keys = (int)(sizeof keys / sizeof keys[0]);

void fs_config_defaults(fs_config *c) {
  memset(c, 0, sizeof *c);
  fs_hparams *m = &c->model;
  m->vocab = 8000;
  m->pad_id = 0;
  m->eos_id = 2;
  m->d = 256;
  m->ffn_hidden = 1024;
  m->encoder_layers = 6, m->encoder_heads = 8, m->encoder_dropout = 0.1f;
  m->posterior_layers = 4, m->posterior_heads = 8, m->posterior_dropout = 0.1f, m->posterior_token_dropout = 0.2f;
  m->decoder_layers = 4, m->decoder_heads = 8, m->decoder_dropout = 0.1f;
  m->label_smoothing = 0.1f;
  m->length_range = 20, m->length_dropout = 0.33f;
  m->flow_levels = 3, m->flow_steps[0] = 4, m->flow_steps[1] = 4, m->flow_steps[2] = 2;
  c->n_flow_steps = 3;
  m->flow_hidden = 512, m->flow_heads = 8, m->max_length = 250;
  m->share_embed = m->tie_weights = true;
  fs_train_config *t = &c->train;
  strcpy(t->output, "model");
  t->max_tokens = 4096, t->accumulate = 1, t->max_length = 80, t->max_ratio = 3.0, t->seed = 1;
  t->lr = 5e-4, t->beta1 = 0.9, t->beta2 = 0.999, t->eps = 1e-8, t->weight_decay = 1e-3, t->amsgrad = true;
  strcpy(t->schedule, "expo");
  t->gamma = 0.999995, t->warmup = 4000, t->grad_clip = 1.0;
  t->init_steps = 30000, t->init_batch_size = 512, t->kl_warmup_steps = 10000, t->max_updates = 500000;
  t->log_every = 100, t->valid_every = 1000, t->patience = 10, t->valid_samples = 3, t->arena_mb = 2048;
  t->precision = FS_FP32;
}

static const config_key *find_key(const char *name) {
  for (int i = 0; i < n_keys; i++)
    if (!strcmp(keys[i].name, name)) return &keys[i];
  return NULL;
}

static bool in_range(key_range r, double v) {
  switch (r) {
    case NONNEG:
      return v >= 0;
    case POSITIVE:
      return v > 0;
    case FRACTION:
      return v >= 0 && v < 1;
    case DECAY:
      return v > 0 && v <= 1;
    default:
      return true;
  }
}

/* What a key accepts, for error messages. */
static const char *expected(const config_key *k) {
  static const char *ints[] = {"an integer", "an integer >= 0", "an integer >= 1", "", ""};
  static const char *numbers[] = {"a number", "a number >= 0", "a number > 0", "a number in [0, 1)",
                                  "a number in (0, 1]"};
  switch (k->type) {
    case KEY_INT:
      return ints[k->range];
    case KEY_FLOAT:
    case KEY_DOUBLE:
      return numbers[k->range];
    case KEY_BOOL:
      return "true or false";
    case KEY_STRING:
      return "a string";
    case KEY_MODEL_TYPE:
      return "flowseq or transformer";
    case KEY_PRECISION:
      return "fp32 or bf16";
    default:
      return "a list of integers >= 0 like [4, 4, 2]";
  }
}

static bool parse_int(const char *text, const char **end, int *out) {
  char *e;
  errno = 0;
  long v = strtol(text, &e, 10);
  *end = e;
  if (e == text || errno || v < INT_MIN || v > INT_MAX) return false;
  *out = (int)v;
  return true;
}

/* "[4, 4, 2]", "4, 4, 2" (a YAML sequence as fs_yaml_read_leaves joins it) or "4". */
static bool parse_int_list(const char *text, int *list, int capacity, int *count) {
  int n = 0;
  const char *p = text + strspn(text, " [");
  while (*p && *p != ']') {
    const char *end;
    if (n == capacity || !parse_int(p, &end, &list[n]) || list[n] < 0) return false;
    n++;
    p = end + strspn(end, " ");
    if (*p == ',') p += 1 + strspn(p + 1, " ");
    else if (*p && *p != ']') return false;
  }
  if (*p == ']' && p[1 + strspn(p + 1, " ")]) return false;
  *count = n;
  return n > 0;
}

/* Parses `value` into the key's field; `where` prefixes error messages ("file:line"). */
static fs_status set_value(fs_config *c, const config_key *k, const char *value, bool is_list, const char *where) {
  char *field = (char *)c + k->offset;
  const char *end;
  bool ok = !is_list || k->type == KEY_INT_LIST;
  double v = 0;
  if (ok) switch (k->type) {
      case KEY_INT: {
        int i = 0;
        ok = parse_int(value, &end, &i) && !*end && in_range(k->range, i);
        if (ok) *(int *)field = i;
        break;
      }
      case KEY_FLOAT:
      case KEY_DOUBLE: {
        char *e;
        errno = 0;
        v = strtod(value, &e);
        ok = e != value && !*e && !errno && isfinite(v) && (k->type == KEY_DOUBLE || fabs(v) <= FLT_MAX);
        if (ok && k->type == KEY_FLOAT) v = (float)v; /* checked as stored: 0.99999999 rounds to 1 */
        ok = ok && in_range(k->range, v);
        if (ok && k->type == KEY_FLOAT) *(float *)field = (float)v;
        else if (ok) *(double *)field = v;
        break;
      }
      case KEY_MODEL_TYPE:
        ok = !strcmp(value, "flowseq") || !strcmp(value, "transformer");
        if (ok) *(fs_model_type *)field = !strcmp(value, "flowseq") ? FS_MODEL_FLOWSEQ : FS_MODEL_TRANSFORMER;
        break;
      case KEY_PRECISION:
        ok = !strcmp(value, "fp32") || !strcmp(value, "bf16");
        if (ok) *(fs_precision *)field = !strcmp(value, "bf16") ? FS_BF16 : FS_FP32;
        break;
      case KEY_BOOL:
        ok = !strcmp(value, "true") || !strcmp(value, "false");
        if (ok) *(bool *)field = !strcmp(value, "true");
        break;
      case KEY_STRING:
        if ((int)strlen(value) >= k->size)
          return fs_error(FS_ERR_FORMAT, "%s: %s: value longer than %d characters", where, k->name, k->size - 1);
        if (!fs_utf8_valid(value, strlen(value), NULL)) /* YAML cannot hold it: the dump would not load */
          return fs_error(FS_ERR_FORMAT, "%s: %s: value is not valid UTF-8", where, k->name);
        strcpy(field, value);
        break;
      case KEY_INT_LIST: {
        int list[FLOW_MAX_LEVELS], n = 0;
        ok = parse_int_list(value, list, k->size, &n);
        if (!ok) break;
        memset(field, 0, sizeof(int) * k->size); /* no stale entries beyond the list */
        memcpy(field, list, sizeof(int) * n);
        c->n_flow_steps = n;
        break;
      }
    }
  if (ok) return FS_OK;
  return fs_error(FS_ERR_FORMAT, "%s: %s: expected %s, got %s%s%s", where, k->name, expected(k), is_list ? "[" : "\"",
                  value, is_list ? "]" : "\"");
}

fs_status fs_config_override(fs_config *c, const char *dotted, const char *value) {
  const config_key *k = find_key(dotted);
  if (!k) return fs_error(FS_ERR_ARG, "--%s: unknown configuration key (expected --model.KEY or --train.KEY)", dotted);
  return set_value(c, k, value, false, "command line");
}

static fs_status load_leaf(void *ctx, const fs_yaml_leaf *leaf) {
  const config_key *k = find_key(leaf->key);
  if (!k) return fs_error(FS_ERR_FORMAT, "%s: unknown key %s", leaf->where, leaf->key);
  return set_value(ctx, k, leaf->value, leaf->is_list, leaf->where);
}

fs_status fs_config_load(fs_config *c, const char *path) { return fs_yaml_read_leaves(path, load_leaf, c); }

/* FlowSeq's structure: heads must divide the width they split, d/2 for the flow's feature-half
 * couplings; the MH-linear cuts d into heads of 32, 16 or 8 (docs/model.md#multi-head-linear,
 * docs/model.md#affine-coupling); one flow_steps entry per level. */
static fs_status validate_flowseq(const fs_config *c) {
  const fs_hparams *m = &c->model;
  if (m->d % 2) return fs_error(FS_ERR_ARG, "model.d = %d: must be even (the flow splits features in halves)", m->d);
  if (!flow_mhlinear_head_dim(m->d))
    return fs_error(FS_ERR_ARG, "model.d = %d: the flow's multi-head linear needs d divisible by 8", m->d);
  if (m->d % m->posterior_heads)
    return fs_error(FS_ERR_ARG, "model.posterior_heads = %d: does not divide model.d = %d", m->posterior_heads, m->d);
  if ((m->d / 2) % m->flow_heads)
    return fs_error(FS_ERR_ARG, "model.flow_heads = %d: does not divide d/2 = %d", m->flow_heads, m->d / 2);
  if (m->flow_levels > FLOW_MAX_LEVELS)
    return fs_error(FS_ERR_ARG, "model.flow_levels = %d: at most %d are supported", m->flow_levels, FLOW_MAX_LEVELS);
  if (c->n_flow_steps != m->flow_levels)
    return fs_error(FS_ERR_ARG, "model.flow_steps has %d entries but model.flow_levels = %d (one per level)",
                    c->n_flow_steps, m->flow_levels);
  return FS_OK;
}

fs_status fs_config_validate(const fs_config *c) {
  const fs_hparams *m = &c->model;
  if (m->type == FS_MODEL_FLOWSEQ) FS_TRY(validate_flowseq(c));
  const char *stacks[] = {"encoder", "decoder"};
  int heads[] = {m->encoder_heads, m->decoder_heads};
  for (int i = 0; i < 2; i++)
    if (m->d % heads[i])
      return fs_error(FS_ERR_ARG, "model.%s_heads = %d: does not divide model.d = %d", stacks[i], heads[i], m->d);
  if (m->pad_id == m->eos_id || m->pad_id >= m->vocab || m->eos_id >= m->vocab)
    return fs_error(FS_ERR_ARG, "model.pad_id = %d, model.eos_id = %d: must differ and lie below model.vocab = %d",
                    m->pad_id, m->eos_id, m->vocab);
  int unit = fs_length_unit(m);
  if (m->max_length <
      c->train.max_length + unit) /* tokens + EOS, padded to the length unit (docs/model.md#conventions) */
    return fs_error(FS_ERR_ARG, "model.max_length = %d: must be at least train.max_length + %d = %d", m->max_length,
                    unit, c->train.max_length + unit);
  if (strcmp(c->train.schedule, "expo") && strcmp(c->train.schedule, "inv_sqrt"))
    return fs_error(FS_ERR_ARG, "train.schedule = %s: expected expo or inv_sqrt", c->train.schedule);
  if (c->train.arena_mb < 16) return fs_error(FS_ERR_ARG, "train.arena_mb = %d: at least 16 MB", c->train.arena_mb);
  return FS_OK;
}

/* A double-quoted YAML scalar: escapes what would end or change the string, and every control
 * character (YAML allows none raw; a newline would be folded into a space on loading), the C1 ones
 * U+0080..U+009F included (NEL is a line break too), and the BOM, line/paragraph separators and
 * non-characters U+FFFE/U+FFFF, which YAML does not take raw either. s is valid UTF-8. */
static void dump_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s, c1 = c ? (unsigned char)s[1] : 0, c2 = c1 ? (unsigned char)s[2] : 0;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c == '\n') fputs("\\n", out);
    else if (c == '\t') fputs("\\t", out);
    else if (c < 0x20 || c == 0x7f) fprintf(out, "\\x%02x", c);
    else if (c == 0xC2 && c1 >= 0x80 && c1 < 0xA0) fprintf(out, "\\x%02x", c1), s++;
    else if ((c == 0xE2 && c1 == 0x80 && (c2 == 0xA8 || c2 == 0xA9)) || (c == 0xEF && c1 == 0xBB && c2 == 0xBF) ||
             (c == 0xEF && c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
      fprintf(out, "\\u%04x", (unsigned)((c & 0x0F) << 12 | (c1 & 0x3F) << 6 | (c2 & 0x3F))), s += 2;
    else fputc(c, out);
  }
  fputs("\"\n", out);
}

/* The shortest decimal that reads back as the same float (0.1, not %.9g's 0.100000001), or
 * with `is_double` the same double (at most 17 digits: 0.0005, not 0.00050000000000000001). */
static void dump_number(FILE *out, double v, bool is_double) {
  char text[40];
  for (int digits = 1; digits <= (is_double ? 17 : 9); digits++) {
    snprintf(text, sizeof text, "%.*g", digits, v);
    /* a float key loads as (float)strtod: both readings must give it back */
    if (is_double ? strtod(text, NULL) == v : strtof(text, NULL) == (float)v && (float)strtod(text, NULL) == (float)v)
      break;
  }
  fprintf(out, "%s\n", text);
}

void fs_config_dump(FILE *out, const fs_config *c) {
  const char *section = "";
  size_t section_len = 0;
  for (int i = 0; i < n_keys; i++) {
    const config_key *k = &keys[i];
    const char *dot = strchr(k->name, '.');
    if ((size_t)(dot - k->name) != section_len || strncmp(section, k->name, section_len)) {
      section = k->name, section_len = (size_t)(dot - k->name);
      fprintf(out, "%.*s:\n", (int)section_len, section);
    }
    const char *field = (const char *)c + k->offset;
    fprintf(out, "  %s: ", dot + 1);
    switch (k->type) {
      case KEY_INT:
        fprintf(out, "%d\n", *(const int *)field);
        break;
      case KEY_FLOAT:
        dump_number(out, *(const float *)field, false);
        break;
      case KEY_DOUBLE:
        dump_number(out, *(const double *)field, true);
        break;
      case KEY_BOOL:
        fprintf(out, "%s\n", *(const bool *)field ? "true" : "false");
        break;
      case KEY_MODEL_TYPE:
        fprintf(out, "%s\n", *(const fs_model_type *)field == FS_MODEL_FLOWSEQ ? "flowseq" : "transformer");
        break;
      case KEY_PRECISION:
        fprintf(out, "%s\n", *(const fs_precision *)field == FS_BF16 ? "bf16" : "fp32");
        break;
      case KEY_STRING:
        dump_string(out, field);
        break;
      case KEY_INT_LIST:
        fputc('[', out);
        for (int j = 0; j < c->n_flow_steps; j++) fprintf(out, j ? ", %d" : "%d", ((const int *)field)[j]);
        fputs("]\n", out);
        break;
    }
  }
}
