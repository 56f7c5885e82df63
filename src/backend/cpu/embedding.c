/* Embedding lookup; backward scatter-adds rows into the table gradient. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

void cpu_embedding(int64_t n, int dim, const int32_t *ids, const float *table, float *out) {
  for (int64_t i = 0; i < n; i++) memcpy(out + i * dim, table + (int64_t)ids[i] * dim, sizeof(float) * dim);
}

/* Sequential on purpose: repeated ids would race under threads, and this is memory-bound. */
void cpu_embedding_backward(int64_t n, int dim, const int32_t *ids, const float *dout, float *dtable) {
  for (int64_t i = 0; i < n; i++) {
    float *row = dtable + (int64_t)ids[i] * dim;
    const float *g = dout + i * dim;
    for (int j = 0; j < dim; j++) row[j] += g[j];
  }
}
