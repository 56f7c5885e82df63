#include "model/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum { KEY_INT, KEY_FLOAT, KEY_DOUBLE, KEY_BOOL, KEY_STRING, KEY_INT_LIST } key_type;

typedef struct {
  const char *section, *name;
  key_type type;
  size_t offset; /* into fs_config */
  int size;      /* string capacity or list length */
} config_key;

#define M(field, type) {"model", #field, type, offsetof(fs_config, model.field), 0}
#define T(field, type) {"train", #field, type, offsetof(fs_config, train.field), 0}
#define TS(field) {"train", #field, KEY_STRING, offsetof(fs_config, train.field), sizeof(((fs_train_config *)0)->field)}

static const config_key keys[] = {
    M(vocab, KEY_INT), M(pad_id, KEY_INT), M(eos_id, KEY_INT), M(d, KEY_INT), M(ffn_hidden, KEY_INT),
    M(encoder_layers, KEY_INT), M(encoder_heads, KEY_INT), M(encoder_dropout, KEY_FLOAT),
    M(posterior_layers, KEY_INT), M(posterior_heads, KEY_INT), M(posterior_dropout, KEY_FLOAT),
    M(posterior_token_dropout, KEY_FLOAT), M(decoder_layers, KEY_INT), M(decoder_heads, KEY_INT),
    M(decoder_dropout, KEY_FLOAT), M(label_smoothing, KEY_FLOAT), M(length_range, KEY_INT),
    M(length_dropout, KEY_FLOAT), M(flow_levels, KEY_INT),
    {"model", "flow_steps", KEY_INT_LIST, offsetof(fs_config, model.flow_steps), FLOW_MAX_LEVELS},
    M(flow_hidden, KEY_INT), M(flow_heads, KEY_INT), M(max_length, KEY_INT), M(share_embed, KEY_BOOL),
    M(tie_weights, KEY_BOOL),
    TS(train_src), TS(train_tgt), TS(train_data), TS(valid_src), TS(valid_tgt), TS(spm), TS(output), T(max_tokens, KEY_INT), T(accumulate, KEY_INT),
    T(max_length, KEY_INT), T(max_ratio, KEY_DOUBLE), T(seed, KEY_INT), T(lr, KEY_DOUBLE), T(beta1, KEY_DOUBLE),
    T(beta2, KEY_DOUBLE), T(eps, KEY_DOUBLE), T(weight_decay, KEY_DOUBLE), T(amsgrad, KEY_BOOL), TS(schedule),
    T(gamma, KEY_DOUBLE), T(warmup, KEY_INT), T(grad_clip, KEY_DOUBLE), T(init_steps, KEY_INT),
    T(init_batch_size, KEY_INT), T(kl_warmup_steps, KEY_INT), T(max_updates, KEY_INT), T(log_every, KEY_INT),
    T(valid_every, KEY_INT), T(patience, KEY_INT), T(valid_samples, KEY_INT), T(arena_mb, KEY_INT),
};
static const int n_keys = (int)(sizeof keys / sizeof keys[0]);

void fs_config_defaults(fs_config *c) {
  memset(c, 0, sizeof *c);
  flowseq_hparams *m = &c->model;
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
}

static const config_key *find_key(const char *section, const char *name) {
  for (int i = 0; i < n_keys; i++)
    if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) return &keys[i];
  return NULL;
}

/* Parses `value` into the key's field; `where` prefixes error messages ("file:line"). */
static fs_status set_value(fs_config *c, const config_key *k, const char *value, const char *where) {
  char *field = (char *)c + k->offset, *end = NULL;
  errno = 0;
  switch (k->type) {
    case KEY_INT: {
      long v = strtol(value, &end, 10);
      if (!*value || *end || errno) goto bad;
      *(int *)field = (int)v;
      return FS_OK;
    }
    case KEY_FLOAT:
    case KEY_DOUBLE: {
      double v = strtod(value, &end);
      if (!*value || *end || errno) goto bad;
      if (k->type == KEY_FLOAT) *(float *)field = (float)v;
      else *(double *)field = v;
      return FS_OK;
    }
    case KEY_BOOL:
      if (!strcmp(value, "true") || !strcmp(value, "yes")) *(bool *)field = true;
      else if (!strcmp(value, "false") || !strcmp(value, "no")) *(bool *)field = false;
      else goto bad;
      return FS_OK;
    case KEY_STRING:
      if ((int)strlen(value) >= k->size)
        return fs_error(FS_ERR_FORMAT, "%s: %s.%s: value longer than %d characters", where, k->section, k->name, k->size - 1);
      strcpy(field, value);
      return FS_OK;
    case KEY_INT_LIST: { /* "[4, 4, 2]" or "4,4,2" */
      int *list = (int *)field, n = 0;
      for (const char *p = value; *p;) {
        while (*p == '[' || *p == ' ' || *p == ',') p++;
        if (!*p || *p == ']') break;
        long v = strtol(p, &end, 10);
        if (end == p || n == k->size) goto bad;
        list[n++] = (int)v;
        p = end;
      }
      if (!n) goto bad;
      return FS_OK;
    }
  }
bad:;
  static const char *expected[] = {"an integer", "a number", "a number", "true or false", "a string",
                                   "a list of integers like [4, 4, 2]"};
  return fs_error(FS_ERR_FORMAT, "%s: %s.%s: expected %s, got \"%s\"", where, k->section, k->name, expected[k->type], value);
}

fs_status fs_config_override(fs_config *c, const char *dotted, const char *value) {
  char section[64];
  const char *dot = strchr(dotted, '.');
  if (!dot || dot - dotted >= (long)sizeof section)
    return fs_error(FS_ERR_ARG, "--%s: expected --model.KEY or --train.KEY", dotted);
  memcpy(section, dotted, dot - dotted);
  section[dot - dotted] = '\0';
  const config_key *k = find_key(section, dot + 1);
  if (!k) return fs_error(FS_ERR_ARG, "--%s: unknown configuration key", dotted);
  return set_value(c, k, value, "command line");
}

/* Reads "section: {key: value ...}" mappings; flow-style sequences are read as one scalar. */
fs_status fs_config_load(fs_config *c, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  fs_status s = FS_OK;
  int depth = 0;
  char section[64] = "", key[128] = "", list[256] = "";
  bool in_list = false, have_key = false;
  yaml_event_t ev;
  while (s == FS_OK) {
    if (!yaml_parser_parse(&parser, &ev)) {
      s = fs_error(FS_ERR_FORMAT, "%s:%zu: YAML syntax error: %s", path, parser.problem_mark.line + 1,
                   parser.problem ? parser.problem : "?");
      break;
    }
    char where[FS_PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%zu", path, ev.start_mark.line + 1);
    yaml_event_type_t type = ev.type;
    if (type == YAML_MAPPING_START_EVENT) {
      depth++;
      if (depth > 2) s = fs_error(FS_ERR_FORMAT, "%s: nesting deeper than section: key", where);
    } else if (type == YAML_MAPPING_END_EVENT) {
      depth--;
      if (depth == 1) section[0] = '\0';
    } else if (type == YAML_SEQUENCE_START_EVENT) {
      if (depth != 2 || !have_key) s = fs_error(FS_ERR_FORMAT, "%s: a list is only allowed as a value", where);
      in_list = true;
      list[0] = '\0';
    } else if (type == YAML_SEQUENCE_END_EVENT) {
      in_list = false;
      const config_key *k = find_key(section, key);
      if (!k) s = fs_error(FS_ERR_FORMAT, "%s: unknown key %s.%s", where, section, key);
      else s = set_value(c, k, list, where);
      have_key = false;
    } else if (type == YAML_SCALAR_EVENT) {
      const char *v = (const char *)ev.data.scalar.value;
      if (in_list) {
        if (strlen(list) + strlen(v) + 2 < sizeof list) strcat(strcat(list, v), ",");
      } else if (depth == 1) {
        if (strcmp(v, "model") && strcmp(v, "train"))
          s = fs_error(FS_ERR_FORMAT, "%s: unknown section \"%s\" (expected model or train)", where, v);
        snprintf(section, sizeof section, "%s", v);
      } else if (depth == 2 && !have_key) {
        snprintf(key, sizeof key, "%s", v);
        have_key = true;
      } else if (depth == 2) {
        const config_key *k = find_key(section, key);
        if (!k) s = fs_error(FS_ERR_FORMAT, "%s: unknown key %s.%s", where, section, key);
        else s = set_value(c, k, v, where);
        have_key = false;
      }
    }
    yaml_event_delete(&ev);
    if (type == YAML_STREAM_END_EVENT) break;
  }
  yaml_parser_delete(&parser);
  fclose(f);
  return s;
}

fs_status fs_config_validate(const fs_config *c) {
  const flowseq_hparams *m = &c->model;
  if (m->d < 16 || m->d % 2) return fs_error(FS_ERR_ARG, "model.d = %d: must be even and at least 16", m->d);
  int heads[] = {m->encoder_heads, m->posterior_heads, m->decoder_heads};
  for (int i = 0; i < 3; i++)
    if (heads[i] < 1 || m->d % heads[i]) return fs_error(FS_ERR_ARG, "model: %d heads do not divide d = %d", heads[i], m->d);
  if (m->flow_levels < 1 || m->flow_levels > FLOW_MAX_LEVELS)
    return fs_error(FS_ERR_ARG, "model.flow_levels = %d: expected 1..%d", m->flow_levels, FLOW_MAX_LEVELS);
  for (int k = 0; k < m->flow_levels; k++)
    if (m->flow_steps[k] < 0) return fs_error(FS_ERR_ARG, "model.flow_steps[%d] must be >= 0", k);
  if ((m->d / 2) % 8 || (m->d / 2) % m->flow_heads)
    return fs_error(FS_ERR_ARG, "model: d/2 = %d must be divisible by 8 and by flow_heads = %d", m->d / 2, m->flow_heads);
  if (strcmp(c->train.schedule, "expo") && strcmp(c->train.schedule, "inv_sqrt"))
    return fs_error(FS_ERR_ARG, "train.schedule = %s: expected expo or inv_sqrt", c->train.schedule);
  if (c->train.max_tokens < 1 || c->train.accumulate < 1 || c->train.arena_mb < 16)
    return fs_error(FS_ERR_ARG, "train.max_tokens, train.accumulate and train.arena_mb must be positive");
  return FS_OK;
}

void fs_config_dump(FILE *out, const fs_config *c) {
  const char *section = "";
  for (int i = 0; i < n_keys; i++) {
    const config_key *k = &keys[i];
    if (strcmp(section, k->section)) fprintf(out, "%s:\n", section = k->section);
    const char *field = (const char *)c + k->offset;
    fprintf(out, "  %s: ", k->name);
    switch (k->type) {
      case KEY_INT: fprintf(out, "%d\n", *(const int *)field); break;
      case KEY_FLOAT: fprintf(out, "%.9g\n", *(const float *)field); break;
      case KEY_DOUBLE: fprintf(out, "%.17g\n", *(const double *)field); break;
      case KEY_BOOL: fprintf(out, "%s\n", *(const bool *)field ? "true" : "false"); break;
      case KEY_STRING: fprintf(out, "\"%s\"\n", field); break;
      case KEY_INT_LIST:
        fprintf(out, "[");
        for (int j = 0; j < c->model.flow_levels; j++) fprintf(out, j ? ", %d" : "%d", ((const int *)field)[j]);
        fprintf(out, "]\n");
        break;
    }
  }
}
