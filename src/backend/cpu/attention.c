/* Fused multi-head attention (backend.h `attention`). Queries, keys and values are read in place
 * from the packed projections (a head is a column range, so the row stride is the projection's
 * width) and the context is written straight into [B, Tq, heads*dh]: no per-head permute or
 * split copies, no separate scaling or softmax pass. The products of one (sentence, head) are
 * small sgemm calls (OpenBLAS's small-matrix kernels beat the hand-written loops tried first, by
 * about 6% of a training step; register-blocked loops over 8 rows x 16 lanes, tried later,
 * matched them forward and ran 20-40% slower backward at the model's 24 x 24 x 16/32 heads),
 * with the sentences spread over the threads.
 *
 * Each head's attention weights are kept transposed, pt [tk][tq] (key j's row holds its weight
 * for every query), which backend.h leaves to the backend. A query's softmax then runs down a
 * column: the max, the exponentials, the sum and the scaling are each a pass over whole rows
 * of keys, one vector operation for 16 queries, with no horizontal reduction. Row by row over
 * [tq][tk], each of the model's 24-key rows paid for five short loops and their tails (76 ns a
 * row, two thirds of the forward kernel). The products take the transpose in their GEMM flags. */
#include <math.h>
#include <stdlib.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"
#include "core/alloc.h"

/* The first query that key j is visible to (backend.h: with `causal`, query i sees keys
 * j < i + 1 + tk - tq); tq when none is. */
static int first_query(bool causal, int j, int tq, int tk) {
  int lo = causal ? j + tq - tk : 0;
  return lo < 0 ? 0 : lo > tq ? tq : lo;
}

/* Scores to weights down the columns of pt [tk][tq]: column i is query i's softmax over the keys
 * visible to it with mask[j] != 0, exactly 0 elsewhere (all 0 for a query with no valid key).
 * Each query's sum runs over the keys in order, in double. max: tq floats, sum: tq doubles. */
CPU_CLONES static void softmax_columns(int tq, int tk, const float *mask, bool causal, float *pt, float *max,
                                       double *sum) {
  for (int i = 0; i < tq; i++) max[i] = -INFINITY, sum[i] = 0.0;
  for (int j = 0; j < tk; j++) {
    const float *row = pt + (int64_t)j * tq;
    if (mask[j] != 0.0f)
      for (int i = first_query(causal, j, tq, tk); i < tq; i++) max[i] = row[i] > max[i] ? row[i] : max[i];
  }
  for (int j = 0; j < tk; j++) {
    float *row = pt + (int64_t)j * tq;
    int lo = mask[j] != 0.0f ? first_query(causal, j, tq, tk) : tq;
    for (int i = 0; i < lo; i++) row[i] = 0.0f;
    for (int i = lo; i < tq; i++) { /* a visible key: max[i] is finite */
      float e = fs_expf(row[i] - max[i]);
      row[i] = e;
      sum[i] += e;
    }
  }
  for (int i = 0; i < tq; i++) max[i] = sum[i] > 0.0 ? (float)(1.0 / sum[i]) : 0.0f; /* now the scale */
  for (int j = 0; j < tk; j++) {
    float *row = pt + (int64_t)j * tq;
    for (int i = 0; i < tq; i++) row[i] *= max[i];
  }
}

void cpu_attention(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale, const float *q,
                   int q_ld, const float *k, int k_ld, const float *v, int v_ld, const float *key_mask, bool causal,
                   float *probs, float *ctx) {
  int ctx_ld = heads * dh;
  /* sentences split over the threads; OpenBLAS runs each call on its calling thread inside a
   * parallel region, so the two never nest */
#pragma omp parallel if ((int64_t)batch * heads * tq * tk * dh > 32768)
  {
    float *max = fs_malloc(sizeof(float) * (size_t)tq);
    double *sum = fs_malloc(sizeof(double) * (size_t)tq);
#pragma omp for schedule(static)
    for (int b = 0; b < batch; b++)
      for (int h = 0; h < heads; h++) {
        float *pt = probs + ((int64_t)b * heads + h) * tq * tk;
        const float *qb = q + (int64_t)b * tq * q_ld + h * dh;
        const float *kb = k + (int64_t)b * tk * k_ld + h * dh, *vb = v + (int64_t)b * tk * v_ld + h * dh;
        cpu_gemm(precision, false, true, tk, tq, dh, scale, kb, k_ld, qb, q_ld, 0.0f, pt, tq); /* S^T = scale K Q^T */
        softmax_columns(tq, tk, key_mask + (int64_t)b * tk, causal, pt, max, sum);
        cpu_gemm(precision, true, false, tq, dh, tk, 1.0f, pt, tq, vb, v_ld, 0.0f,
                 ctx + (int64_t)b * tq * ctx_ld + h * dh, ctx_ld); /* P V */
      }
    free(max);
    free(sum);
  }
}

/* dS^T = P^T * (dP^T - dot) in place on dst, dot[i] = sum_j p_ji dp_ji per query (column), the
 * softmax backward; dot: tq doubles */
CPU_CLONES static void softmax_backward_columns(int tq, int tk, const float *pt, float *dst, double *dot) {
  for (int i = 0; i < tq; i++) dot[i] = 0.0;
  for (int j = 0; j < tk; j++)
    for (int i = 0; i < tq; i++) dot[i] += (double)pt[(int64_t)j * tq + i] * dst[(int64_t)j * tq + i];
  for (int j = 0; j < tk; j++)
    for (int i = 0; i < tq; i++) {
      int64_t at = (int64_t)j * tq + i;
      dst[at] = pt[at] * (dst[at] - (float)dot[i]);
    }
}

void cpu_attention_backward(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale,
                            const float *q, int q_ld, const float *k, int k_ld, const float *v, int v_ld,
                            const float *probs, const float *dctx, float *scratch, float *dq, float *dk, float *dv) {
  int ctx_ld = heads * dh;
  /* sentences over the threads, as forward: each writes only its own rows of dq, dk, dv */
#pragma omp parallel if ((int64_t)batch * heads * tq * tk * dh > 32768)
  {
    double *dot = fs_malloc(sizeof(double) * (size_t)tq);
#pragma omp for schedule(static)
    for (int b = 0; b < batch; b++)
      for (int h = 0; h < heads; h++) {
        int64_t qo = (int64_t)b * tq * q_ld + h * dh, ko = (int64_t)b * tk * k_ld + h * dh,
                vo = (int64_t)b * tk * v_ld + h * dh;
        const float *pt = probs + ((int64_t)b * heads + h) * tq * tk, *g = dctx + (int64_t)b * tq * ctx_ld + h * dh;
        float *dst = scratch + ((int64_t)b * heads + h) * tq * tk;
        if (dv) /* dV += P^T dC */
          cpu_gemm(precision, false, false, tk, dh, tq, 1.0f, pt, tq, g, ctx_ld, 1.0f, dv + vo, v_ld);
        cpu_gemm(precision, false, true, tk, tq, dh, 1.0f, v + vo, v_ld, g, ctx_ld, 0.0f, dst, tq); /* dP^T = V dC^T */
        softmax_backward_columns(tq, tk, pt, dst, dot);
        if (dq) /* dQ += s dS K */
          cpu_gemm(precision, true, false, tq, dh, tk, scale, dst, tq, k + ko, k_ld, 1.0f, dq + qo, q_ld);
        if (dk) /* dK += s dS^T Q */
          cpu_gemm(precision, false, false, tk, dh, tq, scale, dst, tq, q + qo, q_ld, 1.0f, dk + ko, k_ld);
      }
    free(dot);
  }
}
