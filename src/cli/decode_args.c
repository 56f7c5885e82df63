/* Command-line options shared by translate, sample and distill:
 * the implementation; cli/decode_args.h describes the interface. */
#include "cli/decode_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "api/stream.h"
#include "cli/cli_args.h"
#include "text/corpus.h"

int decode_args_parse(int argc, char **argv, decode_args *a, const char *command, const char *usage_text) {
  memset(a, 0, sizeof *a);
  /* 1024 tokens a batch (the library's default): decoding keeps every activation of a batch, and on
   * CPU the first touch of that memory dominated (100 test_2016 lines: 5.2 s at 4096 tokens, 1.45 s
   * at 1024, same output) */
  a->options = flowseq_default_options(FLOWSEQ_ARGMAX);
  flowseq_options *d = &a->options;
  a->arena_mb = 4096;
  a->n_best = 5;
  bool lengths_set = false, samples_set = false, tau_set = false;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      fputs(usage_text, stdout);
      return -1;
    }
    if (!strcmp(o, "--quiet")) {
      a->quiet = true;
      continue;
    }
    /* hypotheses per sentence are translate's and sample's; scores beside the 1-best translate's */
    bool translating = !strcmp(command, "translate");
    if (!strcmp(o, "--scores") && translating) {
      a->scores = true;
      continue;
    }
    if (!strcmp(o, "--collapse-repeats") || !strcmp(o, "--no-collapse-repeats")) {
      a->options.collapse_repeats = !strcmp(o, "--collapse-repeats");
      continue;
    }
    if (!strcmp(o, "--substitute-repeats") || !strcmp(o, "--no-substitute-repeats")) {
      a->options.substitute_repeats = !strcmp(o, "--substitute-repeats");
      continue;
    }
    static const char *const value_options[] = {
        "-m",           "--model",      "-i",         "--input",  "-o",           "--output",
        "--decode",     "--lengths",    "--samples",  "--tau",    "--iw-samples", "--seed",
        "--max-tokens", "--max-length", "--arena-mb", "-n",       "--beam",       "--lenpen",
        "--max-len-a",  "--max-len-b",  "--rescore",  "--n-best", "--batch-size", NULL};
    bool n_best_option = !strcmp(o, "-n") || !strcmp(o, "--n-best");
    if (!cli_is_one_of(o, value_options) || (n_best_option && !translating && strcmp(command, "sample")))
      return cli_unknown(command, o);
    if (!v) return fprintf(stderr, "flowseq %s: %s needs a value (see --help)\n", command, o), 2;
    i++;
    bool ok = true;
    double tau = 0, number = 0;
    /* which model type the option is for, checked once the model is open */
    if (!strcmp(o, "--decode") || !strcmp(o, "--lengths") || !strcmp(o, "--samples") || !strcmp(o, "--tau") ||
        !strcmp(o, "--iw-samples") || !strcmp(o, "--rescore"))
      a->flowseq_option = o;
    if (!strncmp(o, "--beam", 6) || !strcmp(o, "--lenpen") || !strncmp(o, "--max-len-", 10)) a->transformer_option = o;
    if (!strcmp(o, "-m") || !strcmp(o, "--model")) a->model = v;
    else if (!strcmp(o, "-i") || !strcmp(o, "--input")) a->input = v;
    else if (!strcmp(o, "-o") || !strcmp(o, "--output")) a->output = v;
    else if (!strcmp(o, "--decode")) {
      int mode = !strcmp(v, "argmax") ? FLOWSEQ_ARGMAX
                 : !strcmp(v, "npd")  ? FLOWSEQ_NPD
                 : !strcmp(v, "iwd")  ? FLOWSEQ_IWD
                                      : -1;
      if (mode < 0) return fprintf(stderr, "flowseq %s: --decode expects argmax, npd or iwd\n", command), 2;
      /* the mode's own defaults for what the command line did not set (the only fields that
       * differ between modes) */
      flowseq_options m = flowseq_default_options((flowseq_decoding)mode);
      d->decoding = m.decoding;
      if (!lengths_set) d->lengths = m.lengths;
      if (!samples_set) d->samples = m.samples;
      if (!tau_set) d->tau = m.tau;
    } else if (!strcmp(o, "--lengths"))
      ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_LENGTHS, &d->lengths), lengths_set = true;
    else if (!strcmp(o, "--samples"))
      ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_SAMPLES, &d->samples), samples_set = true;
    else if (!strcmp(o, "--tau"))
      ok = cli_double(command, o, v, 0, FLOWSEQ_MAX_TAU, &tau), d->tau = (float)tau, tau_set = a->tau_given = true;
    else if (!strcmp(o, "--iw-samples")) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_SAMPLES, &d->iw_samples);
    else if (!strcmp(o, "--seed")) {
      unsigned long long seed = 0;
      ok = cli_u64(command, o, v, &seed);
      d->seed = seed;
    } else if (!strcmp(o, "--max-tokens")) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_TOKENS, &d->max_tokens);
    else if (!strcmp(o, "--max-length")) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_INPUT_TOKENS, &d->max_length);
    else if (!strcmp(o, "--arena-mb")) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_ARENA_MB, &a->arena_mb);
    else if (n_best_option) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_BEAM, &a->n_best), a->n_best_given = true;
    else if (!strcmp(o, "--batch-size")) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_ROWS, &d->max_sentences);
    else if (!strcmp(o, "--rescore")) a->rescore = v;
    else if (!strcmp(o, "--beam")) ok = cli_int(command, o, v, 1, FLOWSEQ_MAX_BEAM, &d->beam);
    else if (!strcmp(o, "--lenpen"))
      ok = cli_double(command, o, v, 0, FLOWSEQ_MAX_LENGTH_PENALTY, &number), d->length_penalty = (float)number;
    else if (!strcmp(o, "--max-len-a"))
      ok = cli_double(command, o, v, 0, FLOWSEQ_MAX_LENGTH_A, &number), d->max_length_a = (float)number;
    else if (!strcmp(o, "--max-len-b"))
      ok = cli_double(command, o, v, 0, FLOWSEQ_MAX_LENGTH_B, &number), d->max_length_b = (float)number;
    if (!ok) return 2;
  }
  if (!a->model) return fprintf(stderr, "flowseq %s: -m MODEL_DIR is required\n", command), 2;
  if (a->scores && a->n_best_given)
    return fprintf(stderr, "flowseq %s: --scores adds a score to each translation; --n-best lines hold theirs\n",
                   command),
           2;
  if (a->rescore && d->decoding == FLOWSEQ_ARGMAX && strcmp(command, "sample"))
    return fprintf(stderr, "flowseq %s: --rescore ranks the candidates of --decode npd or iwd\n", command), 2;
  d->rescore = a->rescore != NULL;
  if (d->lengths < 1 || d->samples < 1 || d->iw_samples < 1 || d->tau < 0 || d->max_tokens < 1 || d->max_length < 1)
    return fprintf(stderr,
                   "flowseq %s: --lengths, --samples, --iw-samples, --max-tokens, --max-length must be positive "
                   "and --tau non-negative\n",
                   command),
           2;
  return 0;
}

/* Each FlowSeq batch downloads its logits (rows x length x vocabulary floats: tens of MB) into a
 * host buffer that it frees at the end. glibc maps the first such buffer, then raises its mmap
 * threshold and serves the rest from the heap, where the next window's lines, read while the
 * buffer is free, pin the space: the heap then grows by one buffer after the first window. A fixed
 * threshold keeps buffers above it mapped and returned at once. It is 32 MB, not lower: beam
 * search allocates its per-step log-probabilities (a few MB) at every position, and a 128 KB
 * threshold, which mapped and faulted those in at each step, made beam 4 about 10 % slower. */
static void keep_big_buffers_mapped(void) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

flowseq_translator *decode_args_open(const decode_args *a) {
  keep_big_buffers_mapped();
  flowseq_set_logging(a->quiet ? FLOWSEQ_LOG_WARNINGS : FLOWSEQ_LOG_ALL);
  flowseq_open_options o = {a->rescore, a->arena_mb};
  flowseq_translator *t = flowseq_open(a->model, &o);
  if (!t) return NULL;
  bool autoregressive = flowseq_is_autoregressive(t);
  if (autoregressive && a->flowseq_option)
    fs_error(FS_ERR_ARG,
             "%s is for FlowSeq models; %s is an autoregressive Transformer (use --beam, --lenpen, "
             "--max-len-a, --max-len-b)",
             a->flowseq_option, a->model);
  else if (!autoregressive && a->transformer_option)
    fs_error(FS_ERR_ARG,
             "%s is for autoregressive Transformer models; %s is a FlowSeq model (use --decode and its "
             "options)",
             a->transformer_option, a->model);
  else return t;
  flowseq_close(t);
  return NULL;
}

void decode_args_inputs(const decode_args *a, cli_inputs *in) {
  cli_inputs_add(in, a->input ? a->input : "-");
  cli_inputs_add_model(in, a->model);
  cli_inputs_add_model(in, a->rescore);
}

const char *const decode_nbest_format_help =
    "  FlowSeq:         ID ||| TEXT ||| len=log P(T|x) prior=log p(z|x) dec=log p(y|z,x) ||| SCORE\n"
    "  with --rescore:  ID ||| TEXT ||| len=... prior=... dec=... teacher=log p_t(y|x)/(T+1) ||| SCORE\n"
    "  Transformer:     ID ||| TEXT ||| dec=log p(y|x) ||| SCORE\n"
    "SCORE is what ranks the list: FlowSeq (len + prior + dec) / T, T the output length; with\n"
    "--rescore the teacher feature; Transformer dec / (tokens + 1)^--lenpen. Ids count from 0.\n";

int decode_write_nbest(void *user_data, int index, const flowseq_hypothesis *hyps, int n) {
  decode_output *w = user_data;
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < n; i++) {
    const flowseq_hypothesis *h = &hyps[i];
    if (w->autoregressive)
      s = fs_output_printf(w->out, "%d ||| %s ||| dec=%.4f ||| %.4f\n", index, h->text, h->decoder_logprob, h->score);
    else if (w->rescored)
      s = fs_output_printf(w->out, "%d ||| %s ||| len=%.4f prior=%.4f dec=%.4f teacher=%.4f ||| %.4f\n", index, h->text,
                           h->length_logprob, h->prior_logprob, h->decoder_logprob, h->score, h->score);
    else
      s = fs_output_printf(w->out, "%d ||| %s ||| len=%.4f prior=%.4f dec=%.4f ||| %.4f\n", index, h->text,
                           h->length_logprob, h->prior_logprob, h->decoder_logprob, h->score);
  }
  return s != FS_OK;
}

static fs_status next_line(void *reader, char **line) { return fs_line_reader_next(reader, line); }

int decode_args_run(const decode_args *a, const char *command, flowseq_result_callback on_result) {
  cli_inputs inputs = {0};
  decode_args_inputs(a, &inputs);
  int refused = cli_inputs_check(&inputs, command, a->output);
  cli_inputs_free(&inputs);
  if (refused) return refused;
  fs_line_reader *reader = NULL;
  flowseq_translator *t = NULL;
  fs_status s = fs_line_reader_open(a->input && strcmp(a->input, "-") ? a->input : "/dev/stdin", &reader);
  if (s == FS_OK && !(t = decode_args_open(a))) s = FS_ERR_ARG;
  fs_output out;
  if (s == FS_OK) s = fs_output_open(&out, a->output && strcmp(a->output, "-") ? a->output : NULL);
  if (s == FS_OK) {
    decode_output d = {&out, flowseq_is_autoregressive(t), a->rescore != NULL};
    if (fs_translate_stream(t, next_line, reader, &a->options, on_result, &d))
      s = out.error ? fs_output_status(&out) : FS_ERR_ARG; /* the write's own message, not "stopped by the callback" */
    s = s == FS_OK ? fs_output_close(&out) : (fs_output_abort(&out), s);
  }
  fs_line_reader_close(reader);
  flowseq_close(t);
  if (s != FS_OK) {
    fprintf(stderr, "flowseq %s: %s\n", command, flowseq_last_error());
    return 1;
  }
  return 0;
}
