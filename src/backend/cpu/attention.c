/* Fused multi-head attention (backend.h `attention`). Queries, keys and values are read in place
 * from the packed projections (a head is a column range, so the row stride is the projection's
 * width) and the context is written straight into [B, Tq, heads*dh]: the per-head permute and
 * split copies, the separate scaling pass and the separate softmax pass are gone. The products
 * of one (sentence, head) are small sgemm calls (OpenBLAS's small-matrix kernels beat the
 * hand-written loops tried first, by about 6% of a training step; register-blocked loops over
 * 8 rows x 16 lanes, tried later, matched them forward and ran 20-40% slower backward at the
 * model's 24 x 24 x 16/32 heads), with the sentences spread
 * over the threads (before, each call ran alone and left the other core idle); the masked
 * softmax and its backward run on the rows in between, while they are in cache. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

/* scores to attention weights, row by row (kernel_math.h) */
CPU_CLONES static void masked_softmax_rows(int rows, int tk, const float *mask, bool causal, float *p) {
  for (int i = 0; i < rows; i++)
    fs_masked_softmax_row(tk, fs_visible_keys(causal, i, rows, tk), mask, p + (int64_t)i * tk);
}

void cpu_attention(int batch, int heads, int tq, int tk, int dh, float scale, const float *q, int q_ld, const float *k,
                   int k_ld, const float *v, int v_ld, const float *key_mask, bool causal, float *probs, float *ctx) {
  int ctx_ld = heads * dh;
  /* sentences split over the threads; OpenBLAS runs each call on its calling thread inside a
   * parallel region, so the two never nest */
#pragma omp parallel for schedule(static) if ((int64_t)batch * heads * tq * tk * dh > 32768)
  for (int b = 0; b < batch; b++)
    for (int h = 0; h < heads; h++) {
      float *p = probs + ((int64_t)b * heads + h) * tq * tk;
      const float *qb = q + (int64_t)b * tq * q_ld + h * dh;
      const float *kb = k + (int64_t)b * tk * k_ld + h * dh, *vb = v + (int64_t)b * tk * v_ld + h * dh;
      cpu_gemm(false, true, tq, tk, dh, scale, qb, q_ld, kb, k_ld, 0.0f, p, tk); /* scale Q K^T */
      masked_softmax_rows(tq, tk, key_mask + (int64_t)b * tk, causal, p);
      cpu_gemm(false, false, tq, dh, tk, 1.0f, p, tk, vb, v_ld, 0.0f, ctx + (int64_t)b * tq * ctx_ld + h * dh,
               ctx_ld); /* P V */
    }
}

/* ds = p * (dp - sum_j p dp) row by row: the softmax backward, on dp in place */
CPU_CLONES static void softmax_backward_rows(int rows, int tk, const float *p, float *ds) {
  for (int i = 0; i < rows; i++, p += tk, ds += tk) {
    float dot = (float)fs_dot_lanes(tk, p, ds); /* in double lanes: the loop vectorises */
    for (int j = 0; j < tk; j++) ds[j] = p[j] * (ds[j] - dot);
  }
}

void cpu_attention_backward(int batch, int heads, int tq, int tk, int dh, float scale, const float *q, int q_ld,
                            const float *k, int k_ld, const float *v, int v_ld, const float *probs, const float *dctx,
                            float *scratch, float *dq, float *dk, float *dv) {
  int ctx_ld = heads * dh;
  /* sentences over the threads, as forward: each writes only its own rows of dq, dk, dv */
#pragma omp parallel for schedule(static) if ((int64_t)batch * heads * tq * tk * dh > 32768)
  for (int b = 0; b < batch; b++)
    for (int h = 0; h < heads; h++) {
      int64_t qo = (int64_t)b * tq * q_ld + h * dh, ko = (int64_t)b * tk * k_ld + h * dh,
              vo = (int64_t)b * tk * v_ld + h * dh;
      const float *p = probs + ((int64_t)b * heads + h) * tq * tk, *g = dctx + (int64_t)b * tq * ctx_ld + h * dh;
      float *ds = scratch + ((int64_t)b * heads + h) * tq * tk;
      if (dv) cpu_gemm(true, false, tk, dh, tq, 1.0f, p, tk, g, ctx_ld, 1.0f, dv + vo, v_ld); /* dV += P^T dC */
      cpu_gemm(false, true, tq, tk, dh, 1.0f, g, ctx_ld, v + vo, v_ld, 0.0f, ds, tk);         /* dP = dC V^T */
      softmax_backward_rows(tq, tk, p, ds);
      if (dq) cpu_gemm(false, false, tq, dh, tk, scale, ds, tk, k + ko, k_ld, 1.0f, dq + qo, q_ld); /* dQ += s dS K */
      if (dk) cpu_gemm(true, false, tk, dh, tq, scale, ds, tk, q + qo, q_ld, 1.0f, dk + ko, k_ld);  /* dK += s dS^T Q */
    }
}
