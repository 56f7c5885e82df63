/* Gradient checks of nn modules with respect to their inputs AND their parameters.
 *
 * The module is declared and initialised in an fs_params block as usual; its parameters then
 * become gradcheck inputs (after the data inputs), and before every forward the module's
 * parameter tensors are pointed at the harness's fresh leaves: the module struct holds pointers
 * to the fs_param tensors, so overwriting each fs_param's tensor with its leaf (sharing the leaf's
 * gradient buffer) rebinds the whole module at once. */
#ifndef FLOWSEQ_TESTS_NN_MODULE_H
#define FLOWSEQ_TESTS_NN_MODULE_H

#include "gradcheck.h"
#include "ops/params.h"

/* Forward of the module under test on the data inputs data[0..n_data). */
typedef fs_tensor *(*module_forward_fn)(fs_engine *e, fs_tensor **data, void *module);

typedef struct {
  fs_params *params;
  int n_data;
  module_forward_fn forward;
  void *module;
} module_check;

static inline fs_tensor *module_check_forward(fs_engine *e, fs_tensor **x, void *ctx) {
  module_check *m = ctx;
  for (int i = 0; i < m->params->count; i++) {
    fs_tensor *leaf = x[m->n_data + i];
    if (leaf->requires_grad) fs_grad(e, leaf); /* allocate it now so the module's copy shares it */
    m->params->items[i]->tensor = *leaf;
  }
  return m->forward(e, x, m->module);
}

/* Returns gradcheck's mismatch count (0 = pass), or -1 when there are too many inputs. */
static inline int module_gradcheck(fs_engine *e, const char *name, module_forward_fn forward, void *module,
                                   fs_params *params, int n_data, const gradcheck_input *data) {
  int n = n_data + params->count;
  if (n > GRADCHECK_MAX_INPUTS) {
    fprintf(stderr, "%s: %d inputs, the harness takes %d\n", name, n, GRADCHECK_MAX_INPUTS);
    return -1;
  }
  gradcheck_input in[GRADCHECK_MAX_INPUTS];
  for (int i = 0; i < n_data; i++) in[i] = data[i];
  for (int i = 0; i < params->count; i++) {
    const fs_tensor *t = &params->items[i]->tensor;
    gradcheck_input *p = &in[n_data + i];
    *p = (gradcheck_input){.ndim = t->ndim, .values = malloc(sizeof(float) * t->numel)};
    memcpy(p->shape, t->shape, sizeof p->shape);
    params->be->download(p->values, t->data, sizeof(float) * t->numel);
  }
  module_check ctx = {params, n_data, forward, module};
  int bad = gradcheck(e, name, module_check_forward, &ctx, n, in, 1e-3, 3e-3, 3e-2);
  for (int i = n_data; i < n; i++) free(in[i].values);
  return bad;
}

#endif
