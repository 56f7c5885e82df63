/* A small reader for the YAML files flowseq writes and users edit:
 * the implementation; core/yaml_leaves.h describes the interface. */
#include "core/yaml_leaves.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "core/fileio.h"

#define MAX_DEPTH 8
#define KEY_MAX 256
#define LIST_MAX 1024

typedef struct {
  const char *path;
  char key[KEY_MAX];            /* dotted path of the current position */
  size_t prefix[MAX_DEPTH + 1]; /* key length at the start of each mapping level */
  int depth;                    /* open mappings */
  bool have_key;                /* inside the innermost mapping: a key waits for its value */
  bool in_list;
  char list[LIST_MAX];
  size_t list_line;
} reader;

static fs_status syntax(const reader *r, size_t line, const char *what) {
  return fs_error(FS_ERR_FORMAT, "%s:%zu: %s", r->path, line + 1, what);
}

/* A scalar in key position: extends the dotted path. */
static fs_status push_key(reader *r, const char *name, size_t line) {
  size_t base = r->prefix[r->depth];
  if (base + strlen(name) + 2 > KEY_MAX) return syntax(r, line, "key path too long");
  snprintf(r->key + base, KEY_MAX - base, "%s%s", base ? "." : "", name);
  r->have_key = true;
  return FS_OK;
}

static fs_status leaf(reader *r, fs_yaml_leaf_fn fn, void *ctx, const char *value, bool is_list, size_t line) {
  char where[1100];
  snprintf(where, sizeof where, "%s:%zu", r->path, line + 1);
  fs_yaml_leaf l = {r->key, value, is_list, where};
  r->have_key = false;
  return fn(ctx, &l);
}

static fs_status on_event(reader *r, const yaml_event_t *ev, fs_yaml_leaf_fn fn, void *ctx) {
  size_t line = ev->start_mark.line;
  switch (ev->type) {
    case YAML_MAPPING_START_EVENT:
      if (r->in_list) return syntax(r, line, "a list may only hold plain values");
      if (r->depth > 0 && !r->have_key) return syntax(r, line, "a mapping cannot be a key");
      if (r->depth == MAX_DEPTH) return syntax(r, line, "mappings nested too deeply");
      r->depth++;
      r->prefix[r->depth] = strlen(r->key);
      r->have_key = false;
      return FS_OK;
    case YAML_MAPPING_END_EVENT:
      r->depth--;
      r->key[r->prefix[r->depth]] = '\0';
      r->have_key = false;
      return FS_OK;
    case YAML_SEQUENCE_START_EVENT:
      if (r->in_list) return syntax(r, line, "a list may only hold plain values");
      if (!r->have_key) return syntax(r, line, "a list is only allowed as the value of a key");
      r->in_list = true;
      r->list[0] = '\0';
      r->list_line = line;
      return FS_OK;
    case YAML_SEQUENCE_END_EVENT:
      r->in_list = false;
      fs_status s = leaf(r, fn, ctx, r->list, true, r->list_line);
      r->key[r->prefix[r->depth]] = '\0';
      return s;
    case YAML_SCALAR_EVENT: {
      const char *v = (const char *)ev->data.scalar.value;
      if (r->in_list) {
        size_t used = strlen(r->list);
        if (used + strlen(v) + 3 > LIST_MAX) return syntax(r, line, "list too long");
        snprintf(r->list + used, LIST_MAX - used, "%s%s", used ? ", " : "", v);
        return FS_OK;
      }
      if (r->depth == 0) return syntax(r, line, "expected a mapping of keys to values");
      if (!r->have_key) return push_key(r, v, line);
      fs_status s = leaf(r, fn, ctx, v, false, line);
      r->key[r->prefix[r->depth]] = '\0';
      return s;
    }
    case YAML_ALIAS_EVENT:
      return syntax(r, line, "aliases are not supported");
    default:
      return FS_OK;
  }
}

fs_status fs_yaml_read_leaves(const char *path, fs_yaml_leaf_fn fn, void *ctx) {
  FILE *f;
  FS_TRY(fs_open_read(path, &f));
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  reader r = {.path = path};
  fs_status s = FS_OK;
  for (bool done = false; s == FS_OK && !done;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      s = fs_error(FS_ERR_FORMAT, "%s:%zu: YAML syntax error: %s", path, parser.problem_mark.line + 1,
                   parser.problem ? parser.problem : "unknown problem");
      break;
    }
    s = on_event(&r, &ev, fn, ctx);
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  fclose(f);
  return s;
}
