/* A small reader for the YAML files flowseq writes and users edit (configs, progress.yaml):
 * nested mappings whose leaves are scalars or sequences of scalars. Every leaf reaches a callback
 * with its dotted key ("train.lr"), its text and "file:line" for error messages; a sequence
 * arrives as its items joined by ", " with is_list set. Anything else (anchors aside, which
 * libyaml resolves) is a syntax error naming the file and line. */
#ifndef FLOWSEQ_CORE_YAML_LEAVES_H
#define FLOWSEQ_CORE_YAML_LEAVES_H

#include <stdbool.h>

#include "core/status.h"

typedef struct {
  const char *key;   /* dotted path of mapping keys */
  const char *value; /* scalar text, or the joined items of a sequence */
  bool is_list;
  const char *where; /* "path:line" */
} fs_yaml_leaf;

typedef fs_status (*fs_yaml_leaf_fn)(void *ctx, const fs_yaml_leaf *leaf);

/* Calls fn for every leaf in document order; stops at the first error fn returns. */
fs_status fs_yaml_read_leaves(const char *path, fs_yaml_leaf_fn fn, void *ctx);

#endif
