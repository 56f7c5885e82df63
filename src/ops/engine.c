/* The engine: the implementation; ops/engine.h describes the interface. */
#include "ops/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fs_status fs_engine_init(fs_engine *e, const fs_backend *be, size_t device_bytes, size_t host_bytes) {
  memset(e, 0, sizeof *e);
  e->be = be;
  void *dev = be->alloc(device_bytes);
  void *host = malloc(host_bytes);
  e->tape_cap = 4096;
  e->tape = malloc(sizeof(fs_tape_entry) * e->tape_cap);
  if (!dev || !host || !e->tape) {
    if (dev) be->free(dev);
    free(host);
    free(e->tape);
    memset(e, 0, sizeof *e); /* fs_engine_free may follow: the model runner closes all it opened */
    return fs_error(FS_ERR_MEMORY, "cannot allocate the engine's arenas (%zu MiB on %s, %zu MiB host)",
                    device_bytes >> 20, be->name, host_bytes >> 20);
  }
  fs_arena_init(&e->device, dev, device_bytes);
  fs_arena_init(&e->host, host, host_bytes);
  e->grad_enabled = true;
  return FS_OK;
}

void fs_engine_free(fs_engine *e) {
  if (e->device.base) e->be->free(e->device.base);
  free(e->host.base);
  free(e->tape);
  memset(e, 0, sizeof *e);
}

void fs_engine_reset(fs_engine *e) {
  fs_arena_reset(&e->device);
  fs_arena_reset(&e->host);
  e->tape_len = 0;
  e->status = FS_OK;
}

fs_engine_mode fs_engine_eval(void) { return (fs_engine_mode){.grad_enabled = false, .training = false}; }

fs_engine_mode fs_engine_eval_seeded(uint64_t seed) {
  return (fs_engine_mode){.grad_enabled = false, .training = false, .own_stream = true, .seed = seed, .rng_offset = 0};
}

fs_engine_mode fs_engine_enter(fs_engine *e, fs_engine_mode m) {
  /* `previous` carries the stream only when m replaces it, so restoring keeps the progress of a
   * stream that m continued */
  fs_engine_mode previous = {e->grad_enabled, e->training, m.own_stream, e->seed, e->rng_offset};
  e->grad_enabled = m.grad_enabled;
  e->training = m.training;
  if (m.own_stream) {
    e->seed = m.seed;
    e->rng_offset = m.rng_offset;
  }
  return previous;
}

void fs_engine_restore(fs_engine *e, fs_engine_mode previous) { fs_engine_enter(e, previous); }

fs_engine_mark fs_engine_mark_now(const fs_engine *e) { return (fs_engine_mark){e->device.used, e->host.used}; }

void fs_engine_release(fs_engine *e, fs_engine_mark mark, int n, fs_tensor **keep) {
  enum { MAX_KEEP = 40 }; /* a decoder state: a cache per layer and its outputs */
  if (e->grad_enabled || e->status != FS_OK || n > MAX_KEEP) return;
  fs_tensor kept[MAX_KEEP];
  float *staged[MAX_KEEP] = {0};
  /* Data above the mark is first staged above the current top, so the final copies down to the
   * mark never overlap their source (the kept data fitted between the mark and the top). */
  for (int i = 0; i < n; i++) {
    if (!keep[i]) continue;
    kept[i] = *keep[i];
    if ((char *)kept[i].data < e->device.base + mark.device) continue; /* older: stays where it is */
    size_t bytes = sizeof(float) * (size_t)kept[i].numel;
    staged[i] = fs_scratch(e, kept[i].numel ? kept[i].numel : 1);
    if (staged[i]) e->be->copy(staged[i], kept[i].data, bytes);
  }
  if (e->status != FS_OK) return; /* no room to stage: keep everything */
  e->device.used = mark.device;
  e->host.used = mark.host;
  for (int i = 0; i < n; i++) {
    if (!keep[i]) continue;
    fs_tensor *t = fs_host_alloc(e, sizeof *t);
    *t = kept[i];
    if (staged[i]) {
      t->data = fs_scratch(e, t->numel ? t->numel : 1);
      e->be->copy(t->data, staged[i], sizeof(float) * (size_t)t->numel);
    }
    keep[i] = t;
  }
}

fs_status fs_engine_status(const fs_engine *e) {
  if (e->status != FS_OK) return e->status;
  fs_status s = e->be->last_status();
  return s;
}

void *fs_fail(fs_engine *e, fs_status code, const char *fmt, ...) {
  if (e->status != FS_OK) return NULL; /* keep the first message: it names the cause */
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  e->status = fs_error(code, "%s", msg);
  return NULL;
}

void *fs_host_alloc(fs_engine *e, size_t bytes) {
  if (e->status != FS_OK) return NULL;
  void *p = fs_arena_alloc(&e->host, bytes);
  if (!p)
    return fs_fail(e, FS_ERR_MEMORY, "host arena exhausted (%zu MiB): raise the engine's host arena size",
                   e->host.capacity >> 20);
  return p;
}

float *fs_scratch(fs_engine *e, int64_t n_floats) {
  if (e->status != FS_OK) return NULL;
  float *p = fs_arena_alloc(&e->device, sizeof(float) * (size_t)n_floats);
  if (!p)
    return fs_fail(e, FS_ERR_MEMORY,
                   "device arena exhausted: %zu MiB in use, %.1f MiB more requested, capacity %zu MiB "
                   "(raise the arena size or lower the batch size)",
                   e->device.used >> 20, n_floats * 4.0 / 1048576.0, e->device.capacity >> 20);
  return p;
}

fs_tensor *fs_tensor_new(fs_engine *e, int ndim, const int *shape) {
  if (e->status != FS_OK) return NULL;
  if (ndim < 1 || ndim > FS_MAX_DIMS) return fs_fail(e, FS_ERR_ARG, "tensor rank %d not in 1..4", ndim);
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 0) return fs_fail(e, FS_ERR_ARG, "negative dimension %d in axis %d", shape[i], i);
  fs_tensor *t = fs_host_alloc(e, sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->ndim = ndim;
  memcpy(t->shape, shape, sizeof(int) * ndim);
  t->numel = fs_shape_numel(ndim, shape);
  t->data = fs_scratch(e, t->numel ? t->numel : 1);
  return t->data ? t : NULL;
}

fs_tensor *fs_tensor_zeros(fs_engine *e, int ndim, const int *shape) {
  fs_tensor *t = fs_tensor_new(e, ndim, shape);
  if (t) e->be->fill(t->data, t->numel, 0.0f);
  return t;
}

fs_tensor *fs_tensor_like(fs_engine *e, const fs_tensor *t) { return t ? fs_tensor_new(e, t->ndim, t->shape) : NULL; }

fs_tensor *fs_tensor_from_host(fs_engine *e, int ndim, const int *shape, const float *host) {
  fs_tensor *t = fs_tensor_new(e, ndim, shape);
  if (t) e->be->upload(t->data, host, sizeof(float) * t->numel);
  return t;
}

fs_status fs_tensor_to_host(fs_engine *e, const fs_tensor *t, float *host) {
  if (!t) return e->status != FS_OK ? e->status : fs_error(FS_ERR_ARG, "fs_tensor_to_host: NULL tensor");
  e->be->download(host, t->data, sizeof(float) * t->numel);
  return fs_engine_status(e);
}

fs_ids *fs_ids_from_host(fs_engine *e, const int32_t *host, int64_t n) {
  fs_ids *ids = fs_host_alloc(e, sizeof *ids);
  if (!ids) return NULL;
  /* int32 and float have the same size, so the float scratch allocator serves both. */
  ids->data = (int32_t *)fs_scratch(e, n ? n : 1);
  if (!ids->data) return NULL;
  ids->n = n;
  e->be->upload(ids->data, host, sizeof(int32_t) * n);
  return ids;
}

bool fs_needs_grad(const fs_engine *e, int n, fs_tensor *const *inputs) {
  if (!e->grad_enabled) return false;
  for (int i = 0; i < n; i++)
    if (inputs[i] && inputs[i]->requires_grad) return true;
  return false;
}

void fs_tape_push(fs_engine *e, fs_tensor *out, fs_backward_fn backward, void *record) {
  if (e->status != FS_OK) return;
  if (e->tape_len == e->tape_cap) {
    /* Grows only while the first steps find the model's tape length; steady state never allocates. */
    fs_tape_entry *bigger = realloc(e->tape, sizeof(fs_tape_entry) * e->tape_cap * 2);
    if (!bigger) {
      fs_fail(e, FS_ERR_MEMORY, "cannot grow the autograd tape beyond %d entries", e->tape_cap);
      return;
    }
    e->tape = bigger;
    e->tape_cap *= 2;
  }
  e->tape[e->tape_len++] = (fs_tape_entry){backward, record, out};
  out->requires_grad = true;
}

void fs_engine_own_gradients(fs_engine *e, const float *shared, float *own, int64_t numel) {
  e->shared_grads = own ? shared : NULL;
  e->own_grads = own;
  e->grads_numel = own ? numel : 0;
}

float *fs_grad(fs_engine *e, fs_tensor *t) {
  if (t->grad && e->own_grads) {
    uintptr_t at = (uintptr_t)t->grad, start = (uintptr_t)e->shared_grads;
    if (at >= start && at < start + sizeof(float) * (size_t)e->grads_numel)
      return e->own_grads + (t->grad - e->shared_grads);
  }
  if (!t->grad && t->view_of) t->grad = fs_grad(e, t->view_of);
  if (!t->grad) {
    t->grad = fs_scratch(e, t->numel ? t->numel : 1);
    if (t->grad) e->be->fill(t->grad, t->numel, 0.0f);
  }
  return t->grad;
}

/* the tensor whose buffer t's gradient is: a reshape shares its base's */
static fs_tensor *grad_owner(fs_tensor *t) { return t->view_of ? t->view_of : t; }

bool fs_grad_adopt(fs_engine *e, fs_tensor *t, float *buffer) {
  if (e->status != FS_OK || t->grad || grad_owner(t)->grad) return false;
  grad_owner(t)->grad = t->grad = buffer;
  return true;
}

float *fs_grad_for_write(fs_engine *e, fs_tensor *t, bool *accumulate) {
  *accumulate = t->grad || grad_owner(t)->grad;
  /* a new buffer, unfilled (the scratch allocation fails the engine when the arena is full) */
  if (!*accumulate && !fs_grad_adopt(e, t, fs_scratch(e, t->numel ? t->numel : 1))) return NULL;
  return fs_grad(e, t);
}

fs_status fs_backward(fs_engine *e, fs_tensor *loss) {
  if (e->status != FS_OK) return e->status;
  if (!loss || loss->numel != 1) return e->status = fs_error(FS_ERR_ARG, "backward needs a scalar loss (one element)");
  float *g = fs_grad(e, loss);
  if (!g) return e->status;
  e->be->fill(g, 1, 1.0f);
  for (int i = e->tape_len - 1; i >= 0 && e->status == FS_OK; i--)
    if (e->tape[i].out->grad) e->tape[i].backward(e, e->tape[i].record);
  return fs_engine_status(e);
}

uint64_t fs_rng_take(fs_engine *e, int64_t n) {
  uint64_t start = e->rng_offset;
  e->rng_offset += (uint64_t)n;
  return start;
}
