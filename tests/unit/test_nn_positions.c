/* Sinusoid position table (docs/model.md#positions): values against the formula, token-mode ids from
 * a mask (= slot mode for right padding), lookups and the length limit. */
#include <string.h>

#include "nn/positions.h"
#include "test.h"

static fs_engine eng;

static void test_table(int dim, int max_length) {
  nn_positions pos;
  CHECK(nn_positions_create(&pos, fs_backend_cpu(), dim, max_length) == FS_OK);
  CHECK(pos.table.shape[0] == max_length + 1 && pos.table.shape[1] == dim && !pos.table.requires_grad);
  float *t = malloc(sizeof(float) * pos.table.numel);
  fs_backend_cpu()->download(t, pos.table.data, sizeof(float) * pos.table.numel);
  int h = dim / 2;
  double err = 0;
  for (int j = 0; j < dim; j++) err = fmax(err, fabs(t[j])); /* row 0 is all zeros */
  for (int p = 1; p <= max_length; p++)
    for (int i = 0; i < h; i++) { /* all sines first, then all cosines */
      double w = exp(-i * log(10000.0) / (h - 1));
      err = fmax(err, fabs(t[p * dim + i] - sin(p * w)) + fabs(t[p * dim + h + i] - cos(p * w)));
    }
  CHECK_MSG(err < 1e-6, "D=%d: table error %g", dim, err);
  /* the last frequency is exactly 1/10000 */
  CHECK_CLOSE(t[1 * dim + h - 1], sin(1e-4), 1e-9, 0);
  free(t);
  nn_positions_free(&pos, fs_backend_cpu());
}

static void download_ids(const fs_ids *ids, int32_t *out) {
  fs_backend_cpu()->download(out, ids->data, sizeof(int32_t) * ids->n);
}

/* Right padding: token mode (count of real tokens) = slot mode (t + 1, pads zeroed) = t+1 / 0. */
static void test_ids(void) {
  fs_engine_reset(&eng);
  float mask[2 * 4] = {1, 1, 1, 0, 1, 1, 1, 1};
  int32_t got[8], want[8] = {1, 2, 3, 0, 1, 2, 3, 4};
  download_ids(nn_position_ids(&eng, mask, 2, 4), got);
  CHECK(memcmp(got, want, sizeof got) == 0);
  /* a hole (never produced by the data pipeline) shows it is token mode: counts skip the pad */
  float holed[4] = {1, 0, 1, 1};
  int32_t counted[4], want_counted[4] = {1, 0, 2, 3};
  download_ids(nn_position_ids(&eng, holed, 1, 4), counted);
  CHECK(memcmp(counted, want_counted, sizeof counted) == 0);
}

static void test_lookup(void) {
  nn_positions pos;
  CHECK(nn_positions_create(&pos, fs_backend_cpu(), 8, 10) == FS_OK);
  fs_engine_reset(&eng);
  float mask[2 * 3] = {1, 1, 1, 1, 1, 0};
  fs_tensor *y = nn_positions_lookup(&eng, &pos, nn_position_ids(&eng, mask, 2, 3), 2, 3);
  float got[2 * 3 * 8];
  CHECK(y && y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 3 && y->shape[2] == 8);
  CHECK(fs_tensor_to_host(&eng, y, got) == FS_OK);
  for (int r = 0; r < 6; r++) {
    int p = mask[r] ? r % 3 + 1 : 0;
    CHECK(memcmp(got + r * 8, pos.table.data + p * 8, sizeof(float) * 8) == 0);
  }
  float long_mask[11] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  CHECK(nn_positions_lookup(&eng, &pos, nn_position_ids(&eng, long_mask, 1, 11), 1, 11) == NULL);
  CHECK(fs_engine_status(&eng) == FS_ERR_ARG);
  CHECK(nn_positions_create(&pos, fs_backend_cpu(), 7, 10) == FS_ERR_ARG);
  nn_positions_free(&pos, fs_backend_cpu());
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 16 << 20, 4 << 20) != FS_OK) return 1;
  test_table(8, 10);
  test_table(256, 300);
  test_ids();
  test_lookup();
  fs_engine_free(&eng);
  return test_summary();
}
