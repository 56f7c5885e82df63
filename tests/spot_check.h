/* Gradient spot checks of a whole model's loss: for four entries of one named parameter, the
 * analytic gradient from one backward pass against the central difference of the loss with that
 * entry moved by ±h. The model supplies two callbacks over the same fixed batch and randomness:
 * `backward` runs the loss and back-propagates into the parameter gradients, `value` evaluates
 * the loss alone. */
#ifndef FLOWSEQ_TESTS_SPOT_CHECK_H
#define FLOWSEQ_TESTS_SPOT_CHECK_H

#include <math.h>
#include <stdio.h>

#include "ops/params.h"
#include "test.h"

typedef double (*spot_loss_fn)(void);
typedef fs_status (*spot_backward_fn)(void);

static inline void spot_check(fs_params *params, const char *name, spot_backward_fn backward, spot_loss_fn value) {
  fs_param *p = fs_params_find(params, name);
  CHECK_MSG(p != NULL, "no parameter %s", name);
  if (!p) return;
  fs_params_zero_grad(params);
  CHECK_MSG(backward() == FS_OK, "%s: %s", name, fs_last_error());
  int bad = 0;
  for (int k = 0; k < 4; k++) {
    int64_t i = (k * 7919) % p->tensor.numel;
    float analytic = p->tensor.grad[i], saved = p->tensor.data[i];
    const float h = 8e-3f; /* the loss is a float32 sum of ~60 terms: smaller steps drown in round-off */
    p->tensor.data[i] = saved + h;
    double up = value();
    p->tensor.data[i] = saved - h;
    double down = value();
    p->tensor.data[i] = saved;
    double numeric = (up - down) / (2 * h);
    if (fabs(analytic - numeric) > 2e-3 + 3e-2 * fabs(numeric)) {
      bad++;
      fprintf(stderr, "%s[%lld]: analytic %g numeric %g\n", name, (long long)i, analytic, numeric);
    }
  }
  CHECK_MSG(bad == 0, "gradient of %s", name);
}

#endif
