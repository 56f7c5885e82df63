/* The engine: a backend, the step arenas, the autograd tape and the random stream, and the
 * tensor constructors every op uses.
 *
 * Error handling is sticky, as in cuBLAS/ggml-style graph builders: an op that fails (bad shape,
 * arena exhausted) records the message with fs_error(), sets e->status and returns NULL; every
 * later op given a NULL input (or called on a failed engine) returns NULL at once. Model code can
 * therefore chain ops without a check after each one and test fs_engine_status() once at the end
 * of a forward pass, and no error is ever lost.
 *
 * Modes: grad_enabled, training and the random stream change only through fs_engine_enter /
 * fs_engine_restore (below).
 *
 * Autograd: while e->grad_enabled, an op whose inputs require gradients pushes a record on the
 * tape; fs_backward() walks the tape in reverse, each record accumulating (+=) into its inputs'
 * gradients. Activation gradients are allocated lazily (zeroed) from the device arena. */
#ifndef FLOWSEQ_OPS_ENGINE_H
#define FLOWSEQ_OPS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"

typedef struct fs_engine fs_engine;
typedef void (*fs_backward_fn)(fs_engine *e, void *record);

typedef struct {
  fs_backward_fn backward;
  void *record;   /* op-specific, in the host arena */
  fs_tensor *out; /* the op's result: an entry whose result got no gradient is skipped */
} fs_tape_entry;

struct fs_engine {
  const fs_backend *be;
  fs_arena device; /* activations, gradients, scratch */
  fs_arena host;   /* tensor structs and tape records */
  fs_tape_entry *tape;
  int tape_len, tape_cap;
  bool grad_enabled; /* record the tape (training); off for decoding */
  bool training;     /* dropout active */
  fs_status status;  /* sticky: first failure of this step */
  uint64_t seed;     /* random ops draw stream elements from (seed, rng_offset) */
  uint64_t rng_offset;
  double gemm_flops; /* matrix-product FLOPs issued so far, forward and backward (throughput reports) */
  /* Operands of the matrix products (fs_matmul, fs_attention): fp32 (fs_engine_init's), or bf16
   * on a training engine with train.precision bf16. Only the products narrow: parameters,
   * gradients, activations and every other kernel stay fp32. */
  fs_precision precision;
  /* Set by fs_engine_own_gradients: parameter gradients go to own_grads instead of the shared block. */
  const float *shared_grads;
  float *own_grads;
  int64_t grads_numel;
};

/* What the ops do and where random ops draw: changed only through fs_engine_enter, which returns
 * the mode it replaces, and put back with fs_engine_restore on every path out, errors included:
 *
 *   fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval());
 *   fs_status s = ...;
 *   fs_engine_restore(e, previous);
 *   return s;
 *
 * A mode with own_stream draws from (seed, rng_offset) and restoring puts the engine's stream
 * back where it was (decoding from a seed of its own, a training batch's stream); without it the
 * engine's current stream continues and its progress is kept (validation and the data-dependent
 * inits continue the running stream, which checkpoints save). */
typedef struct {
  bool grad_enabled; /* record the tape */
  bool training;     /* dropout active */
  bool own_stream;   /* switch to the stream below (else keep the current one) */
  uint64_t seed, rng_offset;
} fs_engine_mode;

/* No tape, no dropout, the current random stream: evaluation and data-dependent inits. */
fs_engine_mode fs_engine_eval(void);
/* No tape, no dropout, the stream of `seed` from its start: decoding reproducible from a seed. */
fs_engine_mode fs_engine_eval_seeded(uint64_t seed);
/* Switches to m and returns what it replaced (for fs_engine_restore). */
fs_engine_mode fs_engine_enter(fs_engine *e, fs_engine_mode m);
/* Undoes the fs_engine_enter that returned `previous`. */
void fs_engine_restore(fs_engine *e, fs_engine_mode previous);

/* Token ids on the device (int32), e.g. a batch's source ids. */
typedef struct {
  int32_t *data;
  int64_t n;
} fs_ids;

fs_status fs_engine_init(fs_engine *e, const fs_backend *be, size_t device_bytes, size_t host_bytes);
void fs_engine_free(fs_engine *e);
/* Starts a new step: frees every activation and tape record, clears the sticky status. */
void fs_engine_reset(fs_engine *e);
fs_status fs_engine_status(const fs_engine *e);

/* Inference memory. fs_engine_release frees everything allocated since `mark` except the
 * distinct tensors keep[0..n) (n <= 40, NULLs skipped), which move down to the mark: keep[i] is replaced
 * by the moved tensor. Without gradients only (the tape would point into freed memory); with
 * grad_enabled it does nothing. A long no-grad chain, such as the flow when decoding, then needs
 * the memory of its widest step instead of the sum of all steps. */
typedef struct {
  size_t device, host;
} fs_engine_mark;
fs_engine_mark fs_engine_mark_now(const fs_engine *e);
void fs_engine_release(fs_engine *e, fs_engine_mark mark, int n, fs_tensor **keep);

/* Marks the engine failed with a message; returns NULL so ops can `return fs_fail(...)`. */
void *fs_fail(fs_engine *e, fs_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- tensors (device data from the arena) ---- */
fs_tensor *fs_tensor_new(fs_engine *e, int ndim, const int *shape); /* uninitialised */
fs_tensor *fs_tensor_zeros(fs_engine *e, int ndim, const int *shape);
fs_tensor *fs_tensor_from_host(fs_engine *e, int ndim, const int *shape, const float *host);
/* A tensor with t's shape (uninitialised / zeroed). */
fs_tensor *fs_tensor_like(fs_engine *e, const fs_tensor *t);
fs_status fs_tensor_to_host(fs_engine *e, const fs_tensor *t, float *host);
fs_ids *fs_ids_from_host(fs_engine *e, const int32_t *host, int64_t n);
/* Scratch device memory for an op's own use during this step. */
float *fs_scratch(fs_engine *e, int64_t n_floats);
/* Host memory for records, valid until the next reset. */
void *fs_host_alloc(fs_engine *e, size_t bytes);

/* ---- autograd ---- */
/* True when an op on these inputs must record itself (any of the n inputs requires grad). */
bool fs_needs_grad(const fs_engine *e, int n, fs_tensor *const *inputs);
/* Pushes a record for the op that produced `out`; marks `out` as requiring grad. The backward
 * function runs only if `out` received a gradient, so it may read out->grad unconditionally. */
void fs_tape_push(fs_engine *e, fs_tensor *out, fs_backward_fn backward, void *record);
/* t's gradient buffer, allocated and zeroed on first use (a reshape view's is its base's).
 * NULL only when the arena is full (the engine is then failed). */
float *fs_grad(fs_engine *e, fs_tensor *t);
/* t's gradient for a backward that writes every element of it. When neither t nor the tensor it
 * reshapes has a gradient yet, the buffer is new and left unfilled, and *accumulate is false: the
 * caller assigns (GEMM beta = 0, a copy instead of an add). Otherwise it is fs_grad's buffer and
 * *accumulate is true. Saves the zero fill of gradients whose first writer covers them, which
 * with the adds that read the zeros back took 8 % of a main-phase step. NULL as fs_grad. */
float *fs_grad_for_write(fs_engine *e, fs_tensor *t, bool *accumulate);
/* Makes `buffer` (t->numel floats) t's gradient when neither t nor the tensor it reshapes has one
 * yet, and returns whether it did. For a backward whose input's gradient equals its output's
 * (a same-shape addend): the output's backward is the last reader of that buffer, so the input
 * can take it over instead of a copy. */
bool fs_grad_adopt(fs_engine *e, fs_tensor *t, float *buffer);
/* Gives this engine a gradient block of its own: a parameter whose grad points into `shared`
 * (the parameters' gradient block, `numel` floats) gets the same offset in `own` from fs_grad.
 * Several engines can then run backward passes of the same model at once, each in one thread
 * (train/workers.h), and their blocks are summed afterwards. NULL `own` undoes it. */
void fs_engine_own_gradients(fs_engine *e, const float *shared, float *own, int64_t numel);
/* Seeds d loss / d loss = 1 and runs the tape backwards. `loss` must have one element. */
fs_status fs_backward(fs_engine *e, fs_tensor *loss);

/* Reserves n elements of the random stream and returns the offset of the first. */
uint64_t fs_rng_take(fs_engine *e, int64_t n);

#endif
