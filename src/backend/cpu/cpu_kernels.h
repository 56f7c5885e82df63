/* The CPU backend's kernels, one file per family; see backend/backend.h for their contracts. */
#ifndef FLOWSEQ_BACKEND_CPU_KERNELS_H
#define FLOWSEQ_BACKEND_CPU_KERNELS_H

#include "backend/backend.h"

/* Hot loops are compiled three times, for x86-64-v4 (AVX-512), v3 (AVX2 + FMA) and the
 * baseline, and the CPU picks one when the program loads (GCC's target_clones, an ifunc): the
 * binary stays portable and the loops vectorise at the widest width the CPU has. A cloned
 * function is called once per thread's range, not per element, so the indirect call is free. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CPU_CLONES
#endif

/* This thread's share [*lo, *hi) of n items inside an OpenMP parallel region (all of it outside
 * one), in contiguous static blocks. */
void cpu_thread_range(int64_t n, int64_t *lo, int64_t *hi);

void cpu_gemm(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
              int lda, const float *b, int ldb, float beta, float *c, int ldc);
void cpu_gemm_batched(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
                      float *c, int ldc, int64_t stride_c, int batch);

void cpu_binary(fs_binop op, const int shape[4], float *out, const float *a, const int64_t a_str[4], const float *b,
                const int64_t b_str[4]);
void cpu_unary(fs_unop op, int64_t n, float alpha, const float *x, float *y);
void cpu_unary_backward(fs_unop op, int64_t n, float alpha, const float *x, const float *y, const float *dy, float *dx,
                        bool accumulate);

void cpu_copy_strided(const int shape[4], float *dst, const int64_t dst_str[4], const float *src,
                      const int64_t src_str[4], bool accumulate);
void cpu_reduce_sum(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate);

void cpu_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y);
void cpu_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx);
void cpu_log_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y);
void cpu_log_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx);

void cpu_layernorm(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                   float *mean, float *rstd);
void cpu_layernorm_backward(int64_t rows, int cols, const float *x, const float *gamma, const float *mean,
                            const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta,
                            bool accumulate);

void cpu_embedding(int64_t n, int dim, const int32_t *ids, const float *table, float *out);
void cpu_embedding_backward(int64_t n, int dim, const int32_t *ids, const float *dout, float *dtable);

void cpu_cross_entropy(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target, float *loss,
                       float *logsumexp);
void cpu_cross_entropy_backward(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target,
                                const float *logsumexp, const float *dloss, float *dlogits, bool accumulate);

void cpu_attention(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale, const float *q,
                   int q_ld, const float *k, int k_ld, const float *v, int v_ld, const float *key_mask, bool causal,
                   float *probs, float *ctx);
void cpu_attention_backward(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale,
                            const float *q, int q_ld, const float *k, int k_ld, const float *v, int v_ld,
                            const float *probs, const float *dctx, float *scratch, float *dq, float *dk, float *dv);

void cpu_affine_coupling(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x, const float *theta,
                         const float *mask, float *out, float *logdet);
void cpu_affine_coupling_backward(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x,
                                  const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                  float *dx, float *dtheta, bool accumulate);

void cpu_rand_uniform(int64_t n, uint64_t seed, uint64_t offset, float *out);
void cpu_rand_normal(int64_t n, uint64_t seed, uint64_t offset, float *out);
void cpu_dropout_mask(int64_t n, float p, uint64_t seed, uint64_t offset, float *out);

bool cpu_inverse_logdet(int n, const float *a, float *inv, float *logabsdet);

double cpu_sum_squares(int64_t n, const float *x);
void cpu_adamw(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale, float lr,
               float beta1, float beta2, float eps, float weight_decay, float step_size);

#endif
