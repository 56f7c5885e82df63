/* sacreBLEU signatures: "key:value" pairs joined by '|' in sacreBLEU's fixed key order (nrefs,
 * then the paired-test fields bs and seed, then the metric's own fields, then version last). */
#ifndef FLOWSEQ_EVAL_SIGNATURE_H
#define FLOWSEQ_EVAL_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

/* The sacreBLEU version whose semantics and signature format flowseq's metrics implement. */
#define FS_SACREBLEU_VERSION "2.6.0"

/* What the signature records about the test beyond the metric itself. */
typedef struct {
  int n_refs;
  int bootstrap_n; /* resamples of a paired bootstrap test; 0 when there is none */
  uint64_t seed;   /* its seed */
} fs_signature_test;

/* Joins the test fields, `metric_fields` ("case:mixed|eff:no|...") and the version into buf. */
void fs_signature_compose(const fs_signature_test *test, const char *metric_fields, char *buf, size_t size);

/* sacreBLEU's short form (-sh): the same pairs with abbreviated keys, e.g.
 * "#:1|c:mixed|e:no|tok:13a|s:exp|v:2.6.0" (bs stays bs, seed becomes rs). */
void fs_signature_short(const char *signature, char *buf, size_t size);

#endif
