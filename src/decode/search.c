/* Decoding either model type: the implementation; decode/search.h describes the interface. */
#include "decode/search.h"

fs_search_options fs_search_fastest(void) {
  fs_search_options o = {fs_decode_defaults(FS_DECODE_ARGMAX), fs_beam_defaults()};
  o.beam.beam = 1;
  return o;
}

fs_status fs_search(fs_engine *e, fs_model *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                    const fs_search_options *o, fs_candidate **candidates, int *n, int *best) {
  if (m->type == FS_MODEL_FLOWSEQ)
    return fs_decode(e, &m->flowseq, src, src_mask, batch, src_len, &o->flowseq, candidates, n, best);
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval()); /* as fs_decode: evaluation mode, fresh arena */
  fs_engine_reset(e);
  fs_status s = o->beam.beam == 1
                    ? fs_greedy_search(e, &m->transformer, src, src_mask, batch, src_len, &o->beam, candidates, n, best)
                    : fs_beam_search(e, &m->transformer, src, src_mask, batch, src_len, &o->beam, candidates, n, best);
  fs_engine_restore(e, previous);
  return s;
}

int fs_search_rows_per_sentence(const fs_model *m, const fs_search_options *o) {
  return m->type == FS_MODEL_FLOWSEQ ? fs_decode_rows_per_sentence(&o->flowseq) : o->beam.beam;
}
