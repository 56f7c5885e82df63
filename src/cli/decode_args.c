/* Command-line options shared by translate and sample:
 * the implementation; cli/decode_args.h describes the interface. */
#include "cli/decode_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "core/fileio.h"
#include "core/log.h"
#include "decode/rescore.h"
#include "text/corpus.h"

int decode_args_parse(int argc, char **argv, decode_args *a, const char *command, const char *usage_text) {
  memset(a, 0, sizeof *a);
  a->run.search.flowseq = flowseq_decode_defaults(FLOWSEQ_DECODE_ARGMAX);
  a->run.search.beam = fs_beam_defaults();
  /* Small batches: decoding keeps every activation of a batch, and on CPU the first touch of
   * that memory dominated (100 test_2016 lines: 5.2 s at 4096 tokens, 1.45 s at 1024, same output). */
  a->run.max_tokens = 1024;
  a->run.max_length = 250;
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
      a->run.quiet = true;
      fs_log_quiet(1);
      continue;
    }
    if (!strcmp(o, "--collapse-repeats")) {
      a->collapse_repeats = true;
      continue;
    }
    static const char *const value_options[] = {"-m", "--model", "-i", "--input", "-o", "--output", "--decode",
                                                "--lengths", "--samples", "--tau", "--iw-samples", "--seed",
                                                "--max-tokens", "--max-length", "--arena-mb", "-n", "--beam",
                                                "--lenpen", "--max-len-a", "--max-len-b", "--rescore", NULL};
    if (!cli_is_one_of(o, value_options)) return cli_unknown(command, o);
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
      flowseq_decode_mode mode = !strcmp(v, "argmax") ? FLOWSEQ_DECODE_ARGMAX
                                 : !strcmp(v, "npd")  ? FLOWSEQ_DECODE_NPD
                                 : !strcmp(v, "iwd")  ? FLOWSEQ_DECODE_IWD
                                                      : (flowseq_decode_mode)-1;
      if ((int)mode < 0) return fprintf(stderr, "flowseq %s: --decode expects argmax, npd or iwd\n", command), 2;
      flowseq_decode_options d = flowseq_decode_defaults(mode);
      d.seed = a->run.search.flowseq.seed;
      if (lengths_set) d.lengths = a->run.search.flowseq.lengths;
      if (samples_set) d.samples = a->run.search.flowseq.samples;
      if (tau_set) d.tau = a->run.search.flowseq.tau;
      d.iw_samples = a->run.search.flowseq.iw_samples;
      a->run.search.flowseq = d;
    } else if (!strcmp(o, "--lengths")) ok = cli_int(command, o, v, 1, 100, &a->run.search.flowseq.lengths), lengths_set = true;
    else if (!strcmp(o, "--samples")) ok = cli_int(command, o, v, 1, 1000, &a->run.search.flowseq.samples), samples_set = true;
    else if (!strcmp(o, "--tau")) ok = cli_double(command, o, v, 0, 100, &tau), a->run.search.flowseq.tau = (float)tau, tau_set = a->tau_given = true;
    else if (!strcmp(o, "--iw-samples")) ok = cli_int(command, o, v, 1, 1000, &a->run.search.flowseq.iw_samples);
    else if (!strcmp(o, "--seed")) {
      unsigned long long seed = 0;
      ok = cli_u64(command, o, v, &seed);
      a->run.search.flowseq.seed = seed;
    } else if (!strcmp(o, "--max-tokens")) ok = cli_int(command, o, v, 1, 1 << 24, &a->run.max_tokens);
    else if (!strcmp(o, "--max-length")) ok = cli_int(command, o, v, 1, 1 << 20, &a->run.max_length);
    else if (!strcmp(o, "--arena-mb")) ok = cli_int(command, o, v, 1, 1 << 22, &a->arena_mb);
    else if (!strcmp(o, "-n")) ok = cli_int(command, o, v, 1, 1000, &a->n_best);
    else if (!strcmp(o, "--rescore")) a->rescore = v;
    else if (!strcmp(o, "--beam")) ok = cli_int(command, o, v, 1, 1000, &a->run.search.beam.beam);
    else if (!strcmp(o, "--lenpen")) ok = cli_double(command, o, v, 0, 100, &number), a->run.search.beam.length_penalty = (float)number;
    else if (!strcmp(o, "--max-len-a")) ok = cli_double(command, o, v, 0, 1000, &number), a->run.search.beam.max_length_a = (float)number;
    else if (!strcmp(o, "--max-len-b")) ok = cli_double(command, o, v, 0, 1 << 20, &number), a->run.search.beam.max_length_b = (float)number;
    if (!ok) return 2;
  }
  if (!a->model) return fprintf(stderr, "flowseq %s: -m MODEL_DIR is required\n", command), 2;
  if (a->rescore && a->run.search.flowseq.mode == FLOWSEQ_DECODE_ARGMAX && strcmp(command, "sample"))
    return fprintf(stderr, "flowseq %s: --rescore ranks the candidates of --decode npd or iwd\n", command), 2;
  flowseq_decode_options *d = &a->run.search.flowseq;
  if (d->lengths < 1 || d->samples < 1 || d->iw_samples < 1 || d->tau < 0 || a->run.max_tokens < 1 || a->run.max_length < 1)
    return fprintf(stderr, "flowseq %s: --lengths, --samples, --iw-samples, --max-tokens, --max-length must be positive "
                   "and --tau non-negative\n", command), 2;
  return 0;
}

fs_status decode_args_check_model(const decode_args *a, const flowseq_runner *r) {
  bool transformer = r->model.type == FS_MODEL_TRANSFORMER;
  if (transformer && a->flowseq_option)
    return fs_error(FS_ERR_ARG, "%s is for FlowSeq models; %s is an autoregressive Transformer (use --beam, "
                    "--lenpen, --max-len-a, --max-len-b)", a->flowseq_option, a->model);
  if (!transformer && a->transformer_option)
    return fs_error(FS_ERR_ARG, "%s is for autoregressive Transformer models; %s is a FlowSeq model (use --decode "
                    "and its options)", a->transformer_option, a->model);
  return FS_OK;
}

/* Whether two files hold the same bytes. */
static bool same_bytes(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  bool same = fa && fb;
  for (int ca = 0, cb = 0; same && ca != EOF; same = ca == cb) ca = fgetc(fa), cb = fgetc(fb);
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

/* --rescore TEACHER_DIR: the teacher must be a Transformer with the student's tokenizer. */
static fs_status open_rescorer(const decode_args *a, flowseq_runner *teacher, fs_teacher_rescorer *rescorer,
                               flowseq_decode_options *d) {
  char sp[2048], tp[2048];
  snprintf(sp, sizeof sp, "%s/spm.model", a->model);
  snprintf(tp, sizeof tp, "%s/spm.model", a->rescore);
  if (teacher->model.type != FS_MODEL_TRANSFORMER)
    return fs_error(FS_ERR_ARG, "--rescore %s: not an autoregressive Transformer (its config.yaml has no "
                    "model.type: transformer)", a->rescore);
  if (!same_bytes(sp, tp))
    return fs_error(FS_ERR_ARG, "--rescore %s: its spm.model differs from %s's: the teacher must share the "
                    "student's vocabulary", a->rescore, a->model);
  *rescorer = (fs_teacher_rescorer){&teacher->engine, &teacher->model.transformer, 64};
  d->rescore = fs_teacher_rescore;
  d->rescore_context = rescorer;
  return FS_OK;
}

int decode_args_run(const decode_args *a, const char *command, flowseq_result_fn on_result) {
  flowseq_runner r, teacher;
  fs_text input = {0};
  bool opened = false, teacher_opened = false;
  flowseq_run_options run = a->run;
  fs_teacher_rescorer rescorer;
  fs_status s = fs_text_read(a->input && strcmp(a->input, "-") ? a->input : "/dev/stdin", &input);
  if (s == FS_OK) s = flowseq_runner_open(&r, a->model, a->arena_mb), opened = s == FS_OK;
  if (opened) s = decode_args_check_model(a, &r);
  if (s == FS_OK && a->rescore) s = flowseq_runner_open(&teacher, a->rescore, a->arena_mb), teacher_opened = s == FS_OK;
  if (teacher_opened) s = open_rescorer(a, &teacher, &rescorer, &run.search.flowseq);
  fs_atomic_file file = {0};
  bool to_file = a->output && strcmp(a->output, "-");
  if (s == FS_OK && to_file) s = fs_atomic_open(&file, a->output);
  if (s == FS_OK) {
    decode_output out = {&r, to_file ? file.file : stdout, a->collapse_repeats, teacher_opened};
    s = flowseq_runner_decode(&r, input.lines, input.count, &run, on_result, &out);
    if (to_file) s = s == FS_OK ? fs_atomic_commit(&file) : (fs_atomic_abort(&file), s);
  }
  if (input.lines) fs_text_free(&input);
  if (opened) flowseq_runner_close(&r);
  if (teacher_opened) flowseq_runner_close(&teacher);
  if (s != FS_OK) {
    fprintf(stderr, "flowseq %s: %s\n", command, fs_last_error());
    return 1;
  }
  return 0;
}
