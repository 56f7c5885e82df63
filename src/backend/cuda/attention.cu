// Fused multi-head attention (backend.h `attention`): one block per (sentence, head). Forward:
// a thread per query row computes its scores, masked softmax and context. Backward: a thread per
// query forms the row of score gradients (in scratch) and dq; after a barrier a thread per key
// sums dk and dv over the queries in order. No atomics, so results are deterministic. The weights
// are kept [tq][tk] per head (backend.h leaves their layout to the backend; the CPU's are
// transposed). With bf16 precision every factor of a product's terms is read through
// fs_bf16_round, the rounding of the CPU's operand copies, so both backends compute the same
// function.
#include "backend/cuda/cuda_common.cuh"

__device__ inline float operand(float x, bool bf16) { return bf16 ? fs_bf16_round(x) : x; }

__global__ void attention_kernel(bool bf16, int heads, int tq, int tk, int dh, float scale, const float *q, int q_ld,
                                 const float *k, int k_ld, const float *v, int v_ld, const float *key_mask, bool causal,
                                 float *probs, float *ctx) {
  int b = blockIdx.x / heads, h = blockIdx.x % heads;
  const float *mask = key_mask + (int64_t)b * tk;
  const float *kb = k + (int64_t)b * tk * k_ld + h * dh, *vb = v + (int64_t)b * tk * v_ld + h * dh;
  for (int i = threadIdx.x; i < tq; i += blockDim.x) {
    const float *qi = q + ((int64_t)b * tq + i) * q_ld + h * dh;
    float *p = probs + ((int64_t)blockIdx.x * tq + i) * tk;
    float *out = ctx + ((int64_t)b * tq + i) * heads * dh + h * dh;
    for (int j = 0; j < tk; j++) {
      float s = 0.0f;
      for (int d = 0; d < dh; d++) s += operand(qi[d], bf16) * operand(kb[(int64_t)j * k_ld + d], bf16);
      p[j] = scale * s;
    }
    fs_masked_softmax_row(tk, fs_visible_keys(causal, i, tq, tk), mask, p);
    for (int d = 0; d < dh; d++) out[d] = 0.0f;
    for (int j = 0; j < tk; j++) {
      if (p[j] != 0.0f)
        for (int d = 0; d < dh; d++) out[d] += operand(p[j], bf16) * operand(vb[(int64_t)j * v_ld + d], bf16);
    }
  }
}

void cuda_attention(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale, const float *q,
                    int q_ld, const float *k, int k_ld, const float *v, int v_ld, const float *key_mask, bool causal,
                    float *probs, float *ctx) {
  if (batch * heads <= 0 || tq <= 0) return;
  attention_kernel<<<(unsigned)(batch * heads), 64>>>(precision == FS_BF16, heads, tq, tk, dh, scale, q, q_ld, k, k_ld,
                                                      v, v_ld, key_mask, causal, probs, ctx);
  CUDA_CHECK_LAUNCH("attention");
}

__global__ void attention_backward_kernel(bool bf16, int heads, int tq, int tk, int dh, float scale, const float *q,
                                          int q_ld, const float *k, int k_ld, const float *v, int v_ld,
                                          const float *probs, const float *dctx, float *scratch, float *dq, float *dk,
                                          float *dv) {
  int b = blockIdx.x / heads, h = blockIdx.x % heads;
  const float *kb = k + (int64_t)b * tk * k_ld + h * dh, *vb = v + (int64_t)b * tk * v_ld + h * dh;
  const float *pb = probs + (int64_t)blockIdx.x * tq * tk;
  float *ds = scratch + (int64_t)blockIdx.x * tq * tk;
  for (int i = threadIdx.x; i < tq; i += blockDim.x) {
    const float *p = pb + (int64_t)i * tk, *gi = dctx + ((int64_t)b * tq + i) * heads * dh + h * dh;
    double row = 0.0;
    for (int j = 0; j < tk; j++) {
      float dp = 0.0f;
      if (p[j] != 0.0f)
        for (int d = 0; d < dh; d++) dp += operand(gi[d], bf16) * operand(vb[(int64_t)j * v_ld + d], bf16);
      ds[(int64_t)i * tk + j] = dp;
      row += (double)p[j] * dp;
    }
    for (int j = 0; j < tk; j++) ds[(int64_t)i * tk + j] = p[j] * (ds[(int64_t)i * tk + j] - (float)row);
    if (dq) {
      float *dqi = dq + ((int64_t)b * tq + i) * q_ld + h * dh;
      for (int j = 0; j < tk; j++)
        if (p[j] != 0.0f)
          for (int d = 0; d < dh; d++)
            dqi[d] += scale * operand(ds[(int64_t)i * tk + j], bf16) * operand(kb[(int64_t)j * k_ld + d], bf16);
    }
  }
  __syncthreads();
  for (int j = threadIdx.x; j < tk; j += blockDim.x) {
    float *dkj = dk ? dk + ((int64_t)b * tk + j) * k_ld + h * dh : NULL;
    float *dvj = dv ? dv + ((int64_t)b * tk + j) * v_ld + h * dh : NULL;
    for (int i = 0; i < tq; i++) {
      float p = pb[(int64_t)i * tk + j];
      if (p == 0.0f) continue;
      const float *qi = q + ((int64_t)b * tq + i) * q_ld + h * dh,
                  *gi = dctx + ((int64_t)b * tq + i) * heads * dh + h * dh;
      float g = scale * operand(ds[(int64_t)i * tk + j], bf16), pr = operand(p, bf16);
      for (int d = 0; d < dh; d++) {
        if (dkj) dkj[d] += g * operand(qi[d], bf16);
        if (dvj) dvj[d] += pr * operand(gi[d], bf16);
      }
    }
  }
}

void cuda_attention_backward(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale,
                             const float *q, int q_ld, const float *k, int k_ld, const float *v, int v_ld,
                             const float *probs, const float *dctx, float *scratch, float *dq, float *dk, float *dv) {
  if (batch * heads <= 0 || tq <= 0) return;
  attention_backward_kernel<<<(unsigned)(batch * heads), 64>>>(precision == FS_BF16, heads, tq, tk, dh, scale, q, q_ld,
                                                               k, k_ld, v, v_ld, probs, dctx, scratch, dq, dk, dv);
  CUDA_CHECK_LAUNCH("attention_backward");
}
