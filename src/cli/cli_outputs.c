/* What a command may write over: the implementation; cli/cli_outputs.h describes the interface. */
#include "cli/cli_outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "text/corpus.h"

static void add_path(cli_inputs *in, char *path) {
  if (in->count == in->capacity) {
    in->capacity = in->capacity ? 2 * in->capacity : 8;
    in->paths = fs_realloc(in->paths, sizeof *in->paths * in->capacity);
  }
  in->paths[in->count++] = path;
}

void cli_inputs_add(cli_inputs *in, const char *spec) {
  if (spec) add_path(in, strcmp(spec, "-") ? fs_corpus_file(spec) : fs_strdup("-"));
}

void cli_inputs_add_model(cli_inputs *in, const char *dir) {
  static const char *const files[] = {"config.yaml", "model.safetensors", "spm.model"};
  for (int i = 0; dir && i < 3; i++) {
    char *path = fs_malloc(strlen(dir) + strlen(files[i]) + 2);
    sprintf(path, "%s/%s", dir, files[i]);
    add_path(in, path);
  }
}

int cli_inputs_check(const cli_inputs *in, const char *command, const char *output) {
  if (fs_output_not_input(output, (const char *const *)in->paths, in->count) == FS_OK) return 0;
  fprintf(stderr, "flowseq %s: %s\n", command, fs_last_error());
  return 1;
}

void cli_inputs_free(cli_inputs *in) {
  for (int i = 0; i < in->count; i++) free(in->paths[i]);
  free(in->paths);
  memset(in, 0, sizeof *in);
}
