/* The compute backend interface: one table of kernels, implemented by backend/cpu (OpenBLAS +
 * plain C/OpenMP loops) and backend/cuda (cuBLAS + CUDA kernels).
 *
 * Kernels are raw: device pointers, explicit sizes, no autograd, no shape checks (the ops layer
 * in src/ops validates shapes and records the tape). Every pointer is device memory of the
 * backend it is passed to. "acc" outputs are accumulated into (+=), which is what backward needs;
 * others are overwritten. Shapes of broadcasting kernels are given in 4-d form (see
 * fs_shape4): strides of 0 express broadcasting.
 *
 * A kernel reports failure only through the backend's `last_status` hook (CUDA launch errors);
 * CPU kernels cannot fail. */
#ifndef FLOWSEQ_BACKEND_BACKEND_H
#define FLOWSEQ_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FS_BIN_ADD, FS_BIN_SUB, FS_BIN_MUL, FS_BIN_DIV } fs_binop;

/* The operands of a matrix product (gemm, gemm_batched, attention): fp32, or bf16 (each operand
 * rounded to bfloat16, to nearest even, products accumulated in fp32; train.precision). Inputs
 * and outputs are fp32 arrays either way: only what the product reads is narrowed. */
typedef enum { FS_FP32, FS_BF16 } fs_precision;

typedef enum {
  FS_UN_RELU,
  FS_UN_ELU, /* alpha = 1 */
  FS_UN_SIGMOID,
  FS_UN_EXP,
  FS_UN_LOG,
  FS_UN_SOFTPLUS,
  FS_UN_SQRT,
  FS_UN_SQUARE,
  FS_UN_SCALE,     /* y = alpha * x */
  FS_UN_ADD_CONST, /* y = x + alpha */
} fs_unop;

/* Size of a communicator id (NCCL's ncclUniqueId). */
#define FS_COMM_ID_BYTES 128

typedef struct fs_backend {
  const char *name; /* "cpu" or "cuda" */

  /* ---- memory ---- */
  void *(*alloc)(size_t bytes); /* NULL on failure */
  void (*free)(void *p);
  void (*upload)(void *dst_device, const void *src_host, size_t bytes);
  void (*download)(void *dst_host, const void *src_device, size_t bytes);
  void (*copy)(void *dst, const void *src, size_t bytes); /* device to device */
  void (*fill)(float *x, int64_t n, float value);
  fs_status (*last_status)(void); /* first error since the last call; FS_OK on CPU */
  void (*synchronize)(void);

  /* ---- matrix products (row-major) ----
   * C[M,N] = alpha * op(A) op(B) + beta * C with op(A) [M,K], op(B) [K,N]; lda/ldb/ldc are the
   * row strides of A, B, C as stored. The batched form repeats it `batch` times with element
   * strides between consecutive matrices (attention: one matrix per sentence and head).
   * `precision` is that of A and B; alpha, beta, C and the sums are fp32. */
  void (*gemm)(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc);
  void (*gemm_batched)(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
                       float *c, int ldc, int64_t stride_c, int batch);

  /* ---- elementwise ---- */
  /* out[i] = a[ia] op b[ib] over the 4-d index space `shape`; a/b strides may be 0 (broadcast);
   * out is contiguous. */
  void (*binary)(fs_binop op, const int shape[4], float *out, const float *a, const int64_t a_str[4], const float *b,
                 const int64_t b_str[4]);
  /* y = f(x) */
  void (*unary)(fs_unop op, int64_t n, float alpha, const float *x, float *y);
  /* dx (+)= f'(x) * dy, given x and y = f(x) (each derivative uses whichever is cheaper); adds
   * with `accumulate`, else assigns (a gradient this is the first to write, ops/engine.h). The
   * other backward kernels below take the flag the same way. */
  void (*unary_backward)(fs_unop op, int64_t n, float alpha, const float *x, const float *y, const float *dy, float *dx,
                         bool accumulate);

  /* ---- data movement ----
   * dst[di] (=|+=) src[si] over the 4-d index space `shape`, with arbitrary element strides on
   * both sides. Permute, slice, concat, split, the odd/even gathers and broadcast copies are all
   * this one kernel with different strides. */
  void (*copy_strided)(const int shape[4], float *dst, const int64_t dst_str[4], const float *src,
                       const int64_t src_str[4], bool accumulate);
  /* dst (=|+=) sum of src over the axes where dst_shape[i] == 1 < src_shape[i]. */
  void (*reduce_sum)(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate);

  /* ---- softmax family, over the last axis of a [rows, cols] matrix ----
   * mask (may be NULL): [rows / mask_group, cols] of {0,1}; row r uses mask row r / mask_group
   * (attention scores [B*heads*Tq, Tk] with a key mask [B, Tk] use mask_group = heads*Tq).
   * Masked entries get probability 0 (log-softmax: -inf); a row with nothing unmasked is all 0. */
  void (*softmax)(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y);
  void (*softmax_backward)(int64_t rows, int cols, const float *y, const float *dy, float *dx);
  void (*log_softmax)(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y);
  void (*log_softmax_backward)(int64_t rows, int cols, const float *y, const float *dy, float *dx);

  /* ---- layer norm over the last axis: y = (x - mean) * rstd * gamma + beta ----
   * mean/rstd [rows] are saved for backward, which adds into dgamma and dbeta and (with
   * `accumulate`) into dx, or assigns dx. */
  void (*layernorm)(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                    float *mean, float *rstd);
  void (*layernorm_backward)(int64_t rows, int cols, const float *x, const float *gamma, const float *mean,
                             const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta,
                             bool accumulate);

  /* ---- embeddings: out[i,:] = table[ids[i],:]; backward scatter-adds into dtable ---- */
  void (*embedding)(int64_t n, int dim, const int32_t *ids, const float *table, float *out);
  void (*embedding_backward)(int64_t n, int dim, const int32_t *ids, const float *dout, float *dtable);

  /* ---- label-smoothed cross-entropy over the rows of logits [rows, V] ----
   * loss[r] = (1-eps) * -logp[r, target[r]] + (eps / V) * sum_v -logp[r, v]; logsumexp[r] saved
   * for backward. dlogits (+)= dloss[r] * d loss[r] / d logits[r, :] (`accumulate`: +=). */
  void (*cross_entropy)(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target, float *loss,
                        float *logsumexp);
  void (*cross_entropy_backward)(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target,
                                 const float *logsumexp, const float *dloss, float *dlogits, bool accumulate);

  /* ---- multi-head attention, fused (nn/attention.c) ----
   * For every sentence b < batch and head h < heads: q_i is row i of sentence b of q, columns
   * [h*dh, (h+1)*dh) (rows q_ld floats apart, sentences tq rows apart); likewise k_j and v_j
   * (tk rows a sentence). p_ij = softmax over keys j with key_mask[b*tk + j] != 0 of
   * scale * <q_i, k_j> (a row with no valid key is all 0); with `causal`, query i also sees only
   * the keys j <= i + tk - tq (a decoder's own past, the newest queries aligned with the newest
   * keys), and ctx[b, i, h*dh + d] =
   * sum_j p_ij v_j[d], ctx being [batch, tq, heads*dh]. probs (batch*heads*tq*tk floats, in a
   * layout of the backend's choosing) is kept for backward, which accumulates into dq, dk, dv
   * (laid out as q, k, v; they may be one buffer at different columns; any may be NULL) from
   * dctx, using scratch of probs' size.
   * One (sentence, head) at a time, in cache, with no per-head copies. With FS_BF16 the operands
   * of its products are rounded to bf16 (forward: q, k, the weights p and v; backward: those,
   * dctx and the score gradients); the softmax, its backward and the kept probs stay fp32. */
  void (*attention)(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale, const float *q,
                    int q_ld, const float *k, int k_ld, const float *v, int v_ld, const float *key_mask, bool causal,
                    float *probs, float *ctx);
  void (*attention_backward)(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale,
                             const float *q, int q_ld, const float *k, int k_ld, const float *v, int v_ld,
                             const float *probs, const float *dctx, float *scratch, float *dq, float *dk, float *dv);

  /* ---- the flow's affine coupling step (flow/coupling.c), fused ----
   * theta [rows, 2h] holds mu (its first h columns) and a (its last h); s = sigmoid(a + 2) and
   * m = mask[row]. Forward: out = (s*x + mu)*m; inverse: out = (x - mu)/(s + 1e-12)*m, both
   * [rows, h]. logdet[b] = +/- sum over the rows of sentence b (rows_per_batch consecutive rows)
   * and the h columns of m*log(s) (+ forward, - inverse), summed in a fixed order. Backward
   * accumulates (`accumulate`) or assigns dx [rows, h] and dtheta [rows, 2h] (either may be
   * NULL) from dout and dlogdet (either may be NULL: no gradient). The formulas are
   * kernel_math.h's fs_coupling_*. */
  void (*affine_coupling)(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x, const float *theta,
                          const float *mask, float *out, float *logdet);
  void (*affine_coupling_backward)(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x,
                                   const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                   float *dx, float *dtheta, bool accumulate);

  /* ---- random numbers (Philox, identical on every backend for the same seed/offset) ---- */
  void (*rand_uniform)(int64_t n, uint64_t seed, uint64_t offset, float *out);
  void (*rand_normal)(int64_t n, uint64_t seed, uint64_t offset, float *out);
  /* out[i] = fs_dropout_mask(seed, offset+i, p) (core/philox.h): 0 or 1/(1-p), the dropout
   * keep-and-rescale mask */
  void (*dropout_mask)(int64_t n, float p, uint64_t seed, uint64_t offset, float *out);

  /* ---- small dense square matrices (the flow's 32x32 W), computed in double ----
   * inv = a^-1 and *logabsdet = log|det a| (written to device memory). Returns false when a is
   * singular. */
  bool (*inverse_logdet)(int n, const float *a, float *inv, float *logabsdet);

  /* ---- optimizer ---- */
  /* sum_i x[i]^2, accumulated in double and returned to the host (global gradient norm). */
  double (*sum_squares)(int64_t n, const float *x);
  /* One AdamW + AMSGrad update of n parameters (docs/model.md#optimiser), gradients first multiplied
   * by grad_scale (clipping):  g' = grad_scale*g; m = b1 m + (1-b1) g'; u = b2 u + (1-b2) g'^2;
   * umax = max(umax, u); p -= lr*wd*p; p -= step_size * m / (sqrt(umax) + eps), where the caller
   * folds the bias correction into step_size = lr * sqrt(1-b2^k) / (1-b1^k). umax NULL: plain
   * AdamW, u in place of umax. The arrays do not overlap. */
  void (*adamw)(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale, float lr,
                float beta1, float beta2, float eps, float weight_decay, float step_size);

  /* ---- collectives between processes, on device memory (optional) ----
   * NULL where the backend has none (the CPU; a CUDA module built without NCCL). One communicator per process: rank 0 makes an id with comm_id, every rank receives it
   * by other means (train/dist.c broadcasts it over MPI), and all ranks call comm_init with it
   * together. comm_sum adds n floats over the ranks in place, finished when it returns. */
  fs_status (*comm_id)(unsigned char id[FS_COMM_ID_BYTES]);
  fs_status (*comm_init)(const unsigned char id[FS_COMM_ID_BYTES], int rank, int size);
  fs_status (*comm_sum)(float *x, int64_t n);
  void (*comm_free)(void);
  const char *comm_library; /* "NCCL 2.28.9": the library loaded */
} fs_backend;

/* The CPU backend (always available). */
const fs_backend *fs_backend_cpu(void);

/* The CUDA backend if this build has it and a device is usable, else NULL. The CUDA code is a
 * separate shared module (libflowseq_cuda.so beside the program or in ../lib), loaded only on a
 * machine with an NVIDIA device node, or always when FLOWSEQ_CUDA_MODULE names it: linked in,
 * cuBLAS and the CUDA runtime cost every run about 200 MB of memory and 0.15 s at start-up. */
const fs_backend *fs_backend_cuda(void);

/* This process is rank local_rank of those on its machine (train/dist.c, after joining an MPI job):
 * the CUDA module then computes on GPU local_rank modulo the GPUs it sees, one GPU per rank when
 * there are as many (CUDA_VISIBLE_DEVICES giving each rank one GPU does as well). Called before the
 * backend is first chosen; later calls change nothing. */
void fs_backend_set_local_rank(int local_rank);

/* What the CUDA module needs from the program, handed over when it is loaded (the module does
 * not link the program's code): a log line, the recording of an error message, and which GPU. */
typedef struct {
  void (*log)(const char *tag, const char *message);
  fs_status (*error)(fs_status code, const char *message);
  int local_rank; /* fs_backend_set_local_rank's, else 0 */
} fs_cuda_host;

/* The CUDA module's one entry point (named FS_CUDA_MODULE_ENTRY for dlsym): the backend table
 * when a device is usable, else NULL after logging why. */
typedef const fs_backend *(*fs_cuda_module_entry)(const fs_cuda_host *host);
#define FS_CUDA_MODULE_ENTRY "flowseq_cuda_module"

/* The backend to compute on: CUDA when built and a device is present, else CPU. FLOWSEQ_DEVICE=cpu
 * in the environment forces the CPU. A reason that concerns a GPU machine (a module that does not
 * load, a device that does not work) is logged; the usual ones (no NVIDIA device node,
 * FLOWSEQ_DEVICE=cpu) are only kept for fs_backend_reason, which `flowseq info` prints. */
const fs_backend *fs_backend_default(void);
const char *fs_backend_reason(void);

#ifdef __cplusplus
}
#endif

#endif
