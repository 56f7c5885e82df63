/* chrF / chrF++ against values computed with sacrebleu 2.6.0 (sacrebleu.metrics.CHRF) on the
 * spec's example system, plus the signature and the punctuation splitting of chrF++. */
#include <string.h>

#include "eval/chrf.h"
#include "test.h"

static const char *hyps[] = {"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."};
static const char *ref_a[] = {"The dog bit the man.", "It was not unexpected.", "The man bit him first."};
static const char *ref_b[] = {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."};

int main(void) {
  const char *const *one[] = {ref_a}, *const * two[] = {ref_a, ref_b};
  fs_chrf_options o = fs_chrf_defaults();
  CHECK_CLOSE(fs_chrf_corpus(&o, hyps, one, 1, 3), 50.043063606582294, 1e-9, 0);
  CHECK_CLOSE(fs_chrf_corpus(&o, hyps, two, 2, 3), 59.72751782684763, 1e-9, 0);
  o.word_order = 2;
  CHECK_CLOSE(fs_chrf_corpus(&o, hyps, two, 2, 3), 59.15310444399262, 1e-9, 0);
  o.eps_smoothing = true;
  CHECK_CLOSE(fs_chrf_corpus(&o, hyps, one, 1, 3), 51.71218487394958, 1e-9, 0);
  char name[32], sig[256];
  fs_chrf_name(&o, name, sizeof name);
  CHECK(!strcmp(name, "chrF2++"));
  o = fs_chrf_defaults();
  fs_chrf_signature(&o, 1, sig, sizeof sig);
  CHECK_MSG(!strcmp(sig, "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"), "%s", sig);
  const char *empty[] = {"", "", ""};
  CHECK(fs_chrf_corpus(&o, empty, one, 1, 3) == 0.0);
  return test_summary();
}
