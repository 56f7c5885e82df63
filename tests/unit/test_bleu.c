/* BLEU against the golden values of docs/evaluation.md#bleu (sacreBLEU's own test vectors). */
#include <string.h>

#include "eval/bleu.h"
#include "test.h"

static const char *hyps[] = {"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."};
static const char *ref_a[] = {"The dog bit the man.", "It was not unexpected.", "The man bit him first."};
static const char *ref_b[] = {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."};

int main(void) {
  const char *const *refs[] = {ref_a, ref_b};
  fs_bleu_options o = fs_bleu_defaults();
  fs_bleu_score s = fs_bleu_corpus(&o, hyps, refs, 2, 3);
  CHECK_CLOSE(s.score, 48.530827, 1e-6, 0);
  o.tokenize = FS_TOKENIZE_NONE;
  CHECK_CLOSE(fs_bleu_corpus(&o, hyps, refs, 2, 3).score, 49.1919566, 1e-6, 0);

  /* smoothing and effective order, against sacrebleu.metrics.BLEU 2.6.0 */
  o = fs_bleu_defaults();
  o.smooth = FS_SMOOTH_ADD_K;
  CHECK_CLOSE(fs_bleu_corpus(&o, hyps, refs, 2, 3).score, 52.70109002482467, 1e-9, 0);
  const char *short_hyps[] = {"a b", "c"}, *short_refs[] = {"a b", "c d"};
  const char *const *short_streams[] = {short_refs};
  o = fs_bleu_defaults();
  CHECK(fs_bleu_corpus(&o, short_hyps, short_streams, 1, 2).score == 0.0); /* no 3- or 4-grams */
  o.effective_order = true;
  CHECK_CLOSE(fs_bleu_corpus(&o, short_hyps, short_streams, 1, 2).score, 71.65313105737896, 1e-9, 0);
  const char *one_hyp[] = {"a b c"}, *one_ref[] = {"a b d"};
  const char *const *one_stream[] = {one_ref};
  CHECK_CLOSE(fs_bleu_corpus(&o, one_hyp, one_stream, 1, 1).score, 55.03212081491043, 1e-9, 0);

  const char *empty[] = {"", "", ""};
  o = fs_bleu_defaults();
  s = fs_bleu_corpus(&o, empty, refs, 2, 3);
  CHECK(s.score == 0.0 && s.sys_len == 0 && s.bp == 0.0);

  char sig[256], line[512];
  fs_bleu_signature(&o, 1, sig, sizeof sig);
  CHECK_MSG(!strcmp(sig, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"), "%s", sig);
  o.smooth = FS_SMOOTH_FLOOR;
  o.lowercase = true;
  fs_bleu_signature(&o, 2, sig, sizeof sig);
  CHECK_MSG(!strcmp(sig, "nrefs:2|case:lc|eff:no|tok:13a|smooth:floor[0.10]|version:2.6.0"), "%s", sig);
  o.smooth = FS_SMOOTH_ADD_K;
  fs_bleu_signature(&o, 1, sig, sizeof sig);
  CHECK_MSG(strstr(sig, "smooth:add-k[1.00]") != NULL, "%s", sig);

  /* a paired bootstrap puts its fields right after nrefs, as sacreBLEU's fixed key order does */
  char fields[128];
  o = fs_bleu_defaults();
  fs_bleu_signature_fields(&o, fields, sizeof fields);
  fs_signature_compose(&(fs_signature_test){1, 1000, 12345}, fields, sig, sizeof sig);
  CHECK_MSG(!strcmp(sig, "nrefs:1|bs:1000|seed:12345|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"), "%s", sig);

  /* the text line's layout */
  fs_bleu_score fake = {20.84, {54.4, 26.6, 14.94, 8.7}, 1.0, 1.026, 62880, 61287};
  fs_bleu_format(&fake, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", 1, false, line, sizeof line);
  CHECK_MSG(!strcmp(line,
                    "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 20.8 54.4/26.6/14.9/8.7 "
                    "(BP = 1.000 ratio = 1.026 hyp_len = 62880 ref_len = 61287)"),
            "%s", line);
  fs_bleu_format(&fake, "", 2, true, line, sizeof line);
  CHECK(!strcmp(line, "20.84"));

  /* statistics of one segment: clipping and the closest reference length (shorter on ties) */
  fs_bleu_stats st;
  const char *r2[] = {"a a b c", "a b"};
  o = fs_bleu_defaults();
  fs_bleu_segment(&o, "a a a", r2, 2, &st);
  CHECK(st.sys_len == 3 && st.ref_len == 2 && st.correct[0] == 2 && st.total[0] == 3 && st.correct[1] == 1 &&
        st.total[1] == 2 && st.total[3] == 0);
  /* no match of any order gives 0 even with smoothing */
  const char *r1[] = {"x y z"};
  fs_bleu_segment(&o, "a b c", r1, 1, &st);
  CHECK(fs_bleu_score_of(&o, &st).score == 0.0);
  return test_summary();
}
