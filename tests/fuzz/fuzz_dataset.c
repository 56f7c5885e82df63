/* Fuzz target: the binarized dataset reader (src/data/dataset.c, `.fsd` from `flowseq prep`,
 * memory-mapped by training). The harness stands in for an attacker: unless the header's reserved
 * word (bytes 12..15) is non-zero, it rewrites the tokenizer checksum (bytes 16..23) to match its
 * stand-in tokenizer file and recomputes the body checksum (bytes 24..31, FNV-1a of everything
 * after the 64-byte header), so mutations reach the body checks. An accepted dataset must hold
 * pairs whose lengths and ids training can use as they are. */
#include "fuzz.h"
#include "data/dataset.h"

#define VOCAB 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *spm;
  static uint64_t spm_checksum;
  if (!spm) {
    static const uint8_t model[] = "a stand-in tokenizer: only its checksum matters";
    spm = fuzz_write(".model", model, sizeof model);
    FUZZ_ASSERT(fs_file_checksum(spm, &spm_checksum) == FS_OK, "%s", fs_last_error());
  }
  uint8_t *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  uint32_t reserved = 0;
  if (size >= 64) memcpy(&reserved, copy + 12, 4);
  if (size >= 64 && !reserved) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 64; i < size; i++) h = (h ^ copy[i]) * 1099511628211ull;
    memcpy(copy + 16, &spm_checksum, 8);
    memcpy(copy + 24, &h, 8);
  }
  const char *path = fuzz_write(".fsd", copy, size);
  free(copy);
  fs_pairs p;
  fs_status s = fs_dataset_load(path, spm, VOCAB, &p);
  if (s != FS_OK) {
    fuzz_check_refusal(s);
    return 0;
  }
  FUZZ_ASSERT(p.count >= 0, "%d pairs", p.count);
  uint64_t sum = 0;
  for (int i = 0; i < p.count; i++) {
    FUZZ_ASSERT(p.src_len[i] >= 0 && p.tgt_len[i] >= 0, "pair %d: lengths %d, %d", i, p.src_len[i], p.tgt_len[i]);
    for (int k = 0; k < p.src_len[i]; k++) {
      FUZZ_ASSERT(p.src[i][k] >= 0 && p.src[i][k] < VOCAB, "pair %d: source id %d", i, p.src[i][k]);
      sum += (uint64_t)p.src[i][k];
    }
    for (int k = 0; k < p.tgt_len[i]; k++) {
      FUZZ_ASSERT(p.tgt[i][k] >= 0 && p.tgt[i][k] < VOCAB, "pair %d: target id %d", i, p.tgt[i][k]);
      sum += (uint64_t)p.tgt[i][k];
    }
  }
  (void)sum;
  fs_pairs_free(&p);
  return 0;
}
