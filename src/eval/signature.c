#include "eval/signature.h"

#include <stdio.h>

void fs_signature_compose(const fs_signature_test *test, const char *metric_fields, char *buf, size_t size) {
  if (test->bootstrap_n > 0)
    snprintf(buf, size, "nrefs:%d|bs:%d|seed:%llu|%s|version:%s", test->n_refs, test->bootstrap_n,
             (unsigned long long)test->seed, metric_fields, FS_SACREBLEU_VERSION);
  else snprintf(buf, size, "nrefs:%d|%s|version:%s", test->n_refs, metric_fields, FS_SACREBLEU_VERSION);
}
