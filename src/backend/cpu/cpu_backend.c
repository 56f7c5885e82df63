/* The CPU backend table: host memory and the kernels of this folder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

static void *cpu_alloc(size_t bytes) {
  void *p = NULL;
  /* 64-byte alignment for AVX-512 loads; size rounded up as aligned_alloc requires. */
  p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  return p;
}
static void cpu_free(void *p) { free(p); }
static void cpu_memcpy(void *dst, const void *src, size_t bytes) {
  if (bytes) memcpy(dst, src, bytes);
}
static void cpu_fill(float *x, int64_t n, float value) {
  if (value == 0.0f && !signbit(value)) { /* zeroing gradients: memset is the fastest store loop */
    memset(x, 0, sizeof(float) * (size_t)n);
    return;
  }
  for (int64_t i = 0; i < n; i++) x[i] = value;
}
static fs_status cpu_last_status(void) { return FS_OK; }
static void cpu_synchronize(void) {}

static const fs_backend cpu_backend = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_memcpy,
    .download = cpu_memcpy,
    .copy = cpu_memcpy,
    .fill = cpu_fill,
    .last_status = cpu_last_status,
    .synchronize = cpu_synchronize,
    .gemm = cpu_gemm,
    .gemm_batched = cpu_gemm_batched,
    .binary = cpu_binary,
    .unary = cpu_unary,
    .unary_backward = cpu_unary_backward,
    .copy_strided = cpu_copy_strided,
    .reduce_sum = cpu_reduce_sum,
    .softmax = cpu_softmax,
    .softmax_backward = cpu_softmax_backward,
    .log_softmax = cpu_log_softmax,
    .log_softmax_backward = cpu_log_softmax_backward,
    .layernorm = cpu_layernorm,
    .layernorm_backward = cpu_layernorm_backward,
    .embedding = cpu_embedding,
    .embedding_backward = cpu_embedding_backward,
    .cross_entropy = cpu_cross_entropy,
    .cross_entropy_backward = cpu_cross_entropy_backward,
    .attention = cpu_attention,
    .attention_backward = cpu_attention_backward,
    .affine_coupling = cpu_affine_coupling,
    .affine_coupling_backward = cpu_affine_coupling_backward,
    .rand_uniform = cpu_rand_uniform,
    .rand_normal = cpu_rand_normal,
    .dropout_mask = cpu_dropout_mask,
    .inverse_logdet = cpu_inverse_logdet,
    .sum_squares = cpu_sum_squares,
    .adamw = cpu_adamw,
};

const fs_backend *fs_backend_cpu(void) { return &cpu_backend; }
