/* Fuzz target: the progress.yaml reader of checkpoints (src/train/checkpoint.c), read when
 * training resumes from a directory. What it accepts must be usable (no negative counts) and must
 * save and load back to the same values. */
#include "fuzz.h"
#include <math.h>

#include "train/checkpoint.h"

static bool same_double(double a, double b) { return a == b ? signbit(a) == signbit(b) : isnan(a) && isnan(b); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("-progress.yaml", data, size);
  fs_progress p;
  fs_status s = fs_progress_load(path, &p);
  if (s != FS_OK) {
    fuzz_check_refusal(s);
    return 0;
  }
  FUZZ_ASSERT(p.phase >= FS_PHASE_INIT && p.phase <= FS_PHASE_DONE, "phase %d", (int)p.phase);
  /* counts and positions: training indexes its batches with them on resume */
  FUZZ_ASSERT(p.update >= 0 && p.total_updates >= 0 && p.data.epoch >= 0 && p.data.next_batch >= 0 &&
                  p.bad_validations >= 0 && p.skipped >= 0,
              "a negative count was accepted");
  const char *again = fuzz_temp("-saved.yaml");
  FUZZ_ASSERT(fs_progress_save(again, &p) == FS_OK, "%s", fs_last_error());
  fs_progress q;
  s = fs_progress_load(again, &q);
  FUZZ_ASSERT(s == FS_OK, "the saved progress does not load back: %s", fs_last_error());
  FUZZ_ASSERT(p.phase == q.phase && p.update == q.update && p.total_updates == q.total_updates &&
                  p.data.epoch == q.data.epoch && p.data.next_batch == q.data.next_batch &&
                  p.rng_offset == q.rng_offset && same_double(p.best_valid_nll, q.best_valid_nll) &&
                  same_double(p.best_valid_bleu, q.best_valid_bleu) && p.bad_validations == q.bad_validations &&
                  p.skipped == q.skipped,
              "the progress loads back differently");
  return 0;
}
