/* Differentiable ops on the engine (see ops/engine.h for errors and autograd).
 *
 * Every op takes the engine first and returns a new tensor from the step arena, or NULL once the
 * engine has failed. Shapes are checked here, not in the kernels. Broadcasting follows numpy:
 * shapes are right-aligned and a dimension of 1 stretches. One file per family:
 * op_elementwise.c, op_linalg.c, op_shape.c, op_reduce.c, op_softmax.c, op_norm.c,
 * op_embedding.c, op_loss.c, op_dropout.c, op_smallmat.c, op_attention.c, op_coupling.c. */
#ifndef FLOWSEQ_OPS_OPS_H
#define FLOWSEQ_OPS_OPS_H

#include "ops/engine.h"

/* ---- elementwise (op_elementwise.c) ---- */
fs_tensor *fs_add(fs_engine *e, fs_tensor *a, fs_tensor *b);
fs_tensor *fs_sub(fs_engine *e, fs_tensor *a, fs_tensor *b);
fs_tensor *fs_mul(fs_engine *e, fs_tensor *a, fs_tensor *b);
fs_tensor *fs_div(fs_engine *e, fs_tensor *a, fs_tensor *b);
fs_tensor *fs_relu(fs_engine *e, fs_tensor *x);
fs_tensor *fs_elu(fs_engine *e, fs_tensor *x);
fs_tensor *fs_sigmoid(fs_engine *e, fs_tensor *x);
fs_tensor *fs_exp(fs_engine *e, fs_tensor *x);
fs_tensor *fs_ln(fs_engine *e, fs_tensor *x); /* natural log (fs_log is the logger) */
fs_tensor *fs_softplus(fs_engine *e, fs_tensor *x);
fs_tensor *fs_sqrt(fs_engine *e, fs_tensor *x);
fs_tensor *fs_square(fs_engine *e, fs_tensor *x);
fs_tensor *fs_scale(fs_engine *e, fs_tensor *x, float alpha);
fs_tensor *fs_add_scalar(fs_engine *e, fs_tensor *x, float alpha);

/* ---- matrix products (op_linalg.c) ----
 * fs_matmul: a [..., M, K] times b, where b is [K, N] (shared by every leading index) or
 * [..., K, N] with the same leading dims as a (batched). trans_a/trans_b transpose the last two
 * axes of a/b first. Result [..., M, N]. */
fs_tensor *fs_matmul(fs_engine *e, fs_tensor *a, fs_tensor *b, bool trans_a, bool trans_b);
/* x [..., in] · wᵀ + bias, with w [out, in] and bias [out] (bias may be NULL). */
fs_tensor *fs_linear(fs_engine *e, fs_tensor *x, fs_tensor *w, fs_tensor *bias);

/* ---- shape and data movement (op_shape.c) ---- */
/* Same data, new shape with equal element count (one dimension may be -1). */
fs_tensor *fs_reshape(fs_engine *e, fs_tensor *x, int ndim, const int *shape);
/* out.shape[i] = x.shape[perm[i]] */
fs_tensor *fs_permute(fs_engine *e, fs_tensor *x, const int *perm);
fs_tensor *fs_transpose(fs_engine *e, fs_tensor *x, int axis0, int axis1);
/* Joins n tensors along an existing axis (all other dims equal). */
fs_tensor *fs_concat(fs_engine *e, int n, fs_tensor *const *xs, int axis);
/* Joins n equal-shaped tensors along a new axis inserted at `axis`. */
fs_tensor *fs_stack(fs_engine *e, int n, fs_tensor *const *xs, int axis);
/* Elements start, start+step, ... < stop along `axis` (step 2 gives the odd/even gathers). */
fs_tensor *fs_slice(fs_engine *e, fs_tensor *x, int axis, int start, int stop, int step);
/* Splits along `axis` into n consecutive parts of the given sizes (summing to the dim). */
fs_status fs_split(fs_engine *e, fs_tensor *x, int axis, int n, const int *sizes, fs_tensor **out);

/* ---- reductions (op_reduce.c); axis may be negative (from the end) ---- */
fs_tensor *fs_sum(fs_engine *e, fs_tensor *x, int axis, bool keepdim);
fs_tensor *fs_mean(fs_engine *e, fs_tensor *x, int axis, bool keepdim);
fs_tensor *fs_sum_all(fs_engine *e, fs_tensor *x); /* shape [1] */
fs_tensor *fs_mean_all(fs_engine *e, fs_tensor *x);

/* ---- softmax family over the last axis (op_softmax.c) ----
 * mask (may be NULL, no gradient): [rows / mask_group, cols] of {0,1}, see backend.h. */
fs_tensor *fs_softmax(fs_engine *e, fs_tensor *x, fs_tensor *mask, int64_t mask_group);
fs_tensor *fs_log_softmax(fs_engine *e, fs_tensor *x, fs_tensor *mask, int64_t mask_group);

/* ---- normalisation (op_norm.c) ---- */
/* Over the last axis; gamma, beta [F]. */
fs_tensor *fs_layernorm(fs_engine *e, fs_tensor *x, fs_tensor *gamma, fs_tensor *beta, float eps);
/* Weight normalisation: w[i,:] = g[i] * v[i,:] / ||v[i,:]||, v [out, in], g [out]. */
fs_tensor *fs_weight_norm(fs_engine *e, fs_tensor *v, fs_tensor *g);

/* ---- embeddings (op_embedding.c): table [V, d], ids → [ids->n, d] ---- */
fs_tensor *fs_embedding(fs_engine *e, fs_tensor *table, const fs_ids *ids);
/* Rows of x along its first axis, in the order of `rows` (repeats allowed): [rows->n, ...]. The
 * same lookup as fs_embedding, with each row of x flattened: decoding shares one sentence's
 * encoded source among all of its candidates this way. */
fs_tensor *fs_take_rows(fs_engine *e, fs_tensor *x, const fs_ids *rows);

/* ---- losses (op_loss.c) ----
 * Label-smoothed cross-entropy per row of logits [N, V] against targets (ids->n == N), smoothing
 * eps (0 = plain NLL); returns [N]. */
fs_tensor *fs_cross_entropy(fs_engine *e, fs_tensor *logits, const fs_ids *targets, float eps);

/* ---- dropout (op_dropout.c); identity unless e->training and p > 0 ---- */
fs_tensor *fs_dropout(fs_engine *e, fs_tensor *x, float p);
/* Whole-token dropout of x [B, T, d]: each (b, t) vector is zeroed with probability p, the rest
 * scaled by 1/(1-p) (the posterior's "dropword"). */
fs_tensor *fs_dropout_tokens(fs_engine *e, fs_tensor *x, float p);

/* ---- random constants (op_dropout.c): N(0, 1) samples from the engine's stream, no gradient ---- */
fs_tensor *fs_normal(fs_engine *e, int ndim, const int *shape);

/* ---- multi-head attention (op_attention.c), fused ----
 * Scaled dot-product attention with `heads` heads over the columns [q_col, q_col + dim) of
 * q [B, Tq, *], [k_col, k_col + dim) of k [B, Tk, *] and [v_col, v_col + dim) of v [B, Tk, *]
 * (one tensor may serve as several: self-attention reads q, k and v from one packed
 * projection), scale 1/sqrt(dim/heads), keys masked by key_mask [B, Tk] (no gradient; a query
 * with no valid key gets 0). With `causal`, query i sees only keys j <= i + Tk - Tq: a decoder's
 * past, also when the keys hold Tk - Tq earlier positions (incremental decoding). Returns the
 * context [B, Tq, dim], heads side by side. */
fs_tensor *fs_attention(fs_engine *e, fs_tensor *q, int q_col, fs_tensor *k, int k_col, fs_tensor *v, int v_col,
                        int dim, int heads, fs_tensor *key_mask, bool causal);

/* ---- the flow's affine coupling step (op_coupling.c), fused ----
 * x [B, T, h] is the half being transformed, theta [B, T, 2h] the coupling net's output (mu in
 * its first h features, a in its last h), mask [B, T] (no gradient); s = sigmoid(a + 2).
 * Forward: returns (s*x + mu)*mask and *logdet [B] = sum over valid positions and features of
 * log s. inverse: returns (x - mu)/(s + 1e-12)*mask and *logdet = minus that sum. One kernel
 * each way, gradients to x and theta from both outputs. */
fs_tensor *fs_affine_coupling(fs_engine *e, fs_tensor *x, fs_tensor *theta, fs_tensor *mask, bool inverse,
                              fs_tensor **logdet);

/* ---- small square matrices (op_smallmat.c) ---- */
/* log|det w| as a [1] tensor; gradient w^-T. */
fs_tensor *fs_logabsdet(fs_engine *e, fs_tensor *w);
/* w^-1; gradient -w^-T · dY · w^-T. */
fs_tensor *fs_inverse(fs_engine *e, fs_tensor *w);

#endif
