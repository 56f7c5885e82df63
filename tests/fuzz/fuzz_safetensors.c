/* Fuzz target: the safetensors reader (src/core/safetensors.c) on any file, as `flowseq
 * translate -m DIR` and training resume open model.safetensors. An accepted file must answer
 * every query (names, metadata, typed reads that fit or are refused) without reading outside it. */
#include "fuzz.h"
#include "core/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write(".safetensors", data, size);
  fs_safetensors *f;
  fs_status s = fs_safetensors_open(path, &f);
  if (s != FS_OK) {
    fuzz_check_refusal(s);
    FUZZ_ASSERT(!f, "a refused file still returned a handle");
    return 0;
  }
  int n = fs_safetensors_count(f);
  FUZZ_ASSERT(n >= 0, "%d tensors", n);
  for (int i = 0; i < n; i++) {
    const char *name = fs_safetensors_name(f, i);
    FUZZ_ASSERT(name, "tensor %d has no name", i);
    /* scalars and one-element vectors fit the buffer when they match; anything else is refused */
    double buf[2];
    int one = 1;
    for (int t = 0; t < 2; t++) {
      s = fs_safetensors_get(f, name, t ? FS_ST_I64 : FS_ST_F32, 0, NULL, buf);
      if (s != FS_OK) fuzz_check_refusal(s);
      s = fs_safetensors_get(f, name, t ? FS_ST_I64 : FS_ST_F32, 1, &one, buf);
      if (s != FS_OK) fuzz_check_refusal(s);
    }
  }
  FUZZ_ASSERT(fs_safetensors_get(f, "\x01not a tensor", FS_ST_F32, 0, NULL, NULL) == FS_ERR_FORMAT,
              "missing tensor found");
  const char *keys[] = {"format", "flowseq", "", "pt"};
  for (int k = 0; k < 4; k++) {
    const char *v = fs_safetensors_metadata(f, keys[k]);
    if (v) (void)strlen(v);
  }
  fs_safetensors_close(f);
  return 0;
}
