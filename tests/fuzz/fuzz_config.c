/* Fuzz target: the YAML configuration reader (src/model/config.c over src/core/yaml_leaves.c),
 * as `flowseq train -c FILE` and every model directory's config.yaml are read. A file that loads
 * must survive fs_config_dump (what --dump-config and checkpoints write): the dump loads back, to
 * the same dump and the same validation verdict; any disagreement aborts. An input may go on after
 * a NUL byte with KEY NUL VALUE: a command-line override (`--KEY VALUE`) applied after loading. */
#include "fuzz.h"
#include "model/config.h"

/* fs_config_dump's text, malloc'd. */
static char *dump(const fs_config *c) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  FUZZ_ASSERT(out, "open_memstream");
  fs_config_dump(out, c);
  fclose(out);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t yaml_size = nul ? (size_t)(nul - data) : size;
  const char *path = fuzz_write(".yaml", data, yaml_size);
  fs_config c;
  fs_config_defaults(&c);
  fs_status s = fs_config_load(&c, path);
  if (s != FS_OK) {
    fuzz_check_refusal(s);
    return 0;
  }
  if (nul) {
    char *override = malloc(size - yaml_size + 1); /* KEY NUL VALUE, NUL-terminated */
    memcpy(override, nul + 1, size - yaml_size - 1);
    override[size - yaml_size - 1] = '\0';
    size_t key_len = strlen(override);
    const char *value = key_len < size - yaml_size - 1 ? override + key_len + 1 : "";
    s = fs_config_override(&c, override, value);
    if (s != FS_OK) fuzz_check_refusal(s);
    free(override);
  }
  fs_status valid = fs_config_validate(&c);
  if (valid != FS_OK) fuzz_check_refusal(valid);
  char *first = dump(&c);
  const char *again = fuzz_write("-dump.yaml", (const uint8_t *)first, strlen(first));
  fs_config d;
  fs_config_defaults(&d);
  s = fs_config_load(&d, again);
  FUZZ_ASSERT(s == FS_OK, "the dump does not load back: %s\n--- dump:\n%s", fs_last_error(), first);
  char *second = dump(&d);
  FUZZ_ASSERT(!strcmp(first, second), "the dump loads back differently\n--- first:\n%s--- second:\n%s", first, second);
  FUZZ_ASSERT(c.n_flow_steps == d.n_flow_steps, "flow steps %d vs %d", c.n_flow_steps, d.n_flow_steps);
  FUZZ_ASSERT(fs_config_validate(&d) == valid, "validation differs after the round trip: %s", fs_last_error());
  free(first);
  free(second);
  return 0;
}
