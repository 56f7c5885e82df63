/* flowseq.h: German→English translation inside your own program.
 *
 * This is libflowseq's whole public interface. It opens a model directory, as `flowseq train`
 * writes it and as models/ bundles it (config.yaml, model.safetensors, spm.model), of either model
 * type: FlowSeq, which emits every target token in parallel, or the autoregressive Transformer
 * used as its teacher. Sentences go in as raw UTF-8 text and translations come out detokenized.
 *
 * A whole program (examples/translate.c):
 *
 *     #include <flowseq.h>
 *     #include <stdio.h>
 *     #include <stdlib.h>
 *
 *     int main(void) {
 *       flowseq_translator *t = flowseq_open("models/flowseq-small-multi30k", NULL);
 *       if (!t) return fprintf(stderr, "%s\n", flowseq_last_error()), 1;
 *       const char *german[] = {"Ein Hund läuft durch den Schnee."};
 *       char *english[1];
 *       if (flowseq_translate(t, german, 1, NULL, english)) return fprintf(stderr, "%s\n", flowseq_last_error()), 1;
 *       puts(english[0]);
 *       free(english[0]);
 *       flowseq_close(t);
 *     }
 *
 * Build it against an installed copy with
 *     cc translate.c $(pkg-config --cflags --libs flowseq)
 * or, in CMake, find_package(flowseq) and target_link_libraries(app PRIVATE flowseq::flowseq).
 *
 * Decoding. NULL options mean the defaults of flowseq_default_options(FLOWSEQ_ARGMAX): a FlowSeq
 * model decodes once at its most likely length, a Transformer runs a beam of 4. Start from
 * flowseq_default_options() and change fields to choose otherwise:
 *   FLOWSEQ_ARGMAX  the top length, the latent at the prior's mean: fastest;
 *   FLOWSEQ_NPD     noisy parallel decoding: `lengths` × `samples` candidates from latents drawn at
 *                   temperature `tau`, ranked by the model's own joint score, or by the teacher
 *                   (`rescore`, see flowseq_open_options.teacher_dir);
 *   FLOWSEQ_IWD     importance-weighted decoding: `lengths` × `samples` candidates each scored by
 *                   an estimate of log p(y|x) from `iw_samples` posterior samples.
 * The decoding mode only concerns FlowSeq; a Transformer reads `beam`, `length_penalty`,
 * `max_length_a` and `max_length_b`. docs/model.md and docs/transformer.md give the details.
 *
 * Errors. Functions returning int return 0 on success and -1 on failure; those returning a
 * pointer return NULL. Either way flowseq_last_error() then says what went wrong, naming the file
 * and what was expected where there is one. Nothing is printed unless flowseq_set_logging(1). A
 * batch too large for the working memory (arena_mb) is an error; running out of the process's own
 * heap is not: it prints "flowseq: out of memory" and aborts.
 *
 * Bad arguments. Every call checks each of its arguments before it does anything else: a NULL
 * pointer where one is needed, a negative count, an option outside the limits below, or text that
 * is not valid UTF-8 makes it fail as above, with a message naming the function and the argument
 * ("flowseq_translate: sources[3] is NULL", "flowseq_translate: options->lengths is 0: must be in
 * [1, 100]"). Only what C cannot tell is left to the caller: an array shorter than its count, a
 * pointer to freed memory, a translator used after flowseq_close. Each function's comment below
 * says which NULLs it accepts. Sentences follow the rules of `flowseq translate`'s input lines:
 * UTF-8 (invalid UTF-8 is refused, naming the sentence and the byte), of any length (translating
 * cuts a sentence to max_length tokens, or to what the model's position table takes; scoring
 * refuses a pair longer than the table), and a tab or a line break inside a sentence is
 * whitespace to the tokenizer. The limits, inclusive, also those of the `flowseq` program's options:
 *   options field                    limit (macro below)
 *   lengths                          1 .. FLOWSEQ_MAX_LENGTHS (100)
 *   samples, iw_samples              1 .. FLOWSEQ_MAX_SAMPLES (1000)
 *   beam, n_best                     1 .. FLOWSEQ_MAX_BEAM (1000)
 *   max_tokens                       1 .. FLOWSEQ_MAX_TOKENS (2^24)
 *   max_length                       1 .. FLOWSEQ_MAX_INPUT_TOKENS (2^20)
 *   max_sentences                    0 .. FLOWSEQ_MAX_ROWS (100000)
 *   tau, length_penalty              0 .. FLOWSEQ_MAX_TAU, FLOWSEQ_MAX_LENGTH_PENALTY (100)
 *   max_length_a, max_length_b       0 .. FLOWSEQ_MAX_LENGTH_A (1000), FLOWSEQ_MAX_LENGTH_B (2^20)
 *   flowseq_open_options.arena_mb    0 .. FLOWSEQ_MAX_ARENA_MB (2^22, 4 TiB)
 * and the decoder rows of one call, computed in 64 bits, at most FLOWSEQ_MAX_ROWS: a FlowSeq
 * model's lengths × samples candidates per sentence (FLOWSEQ_NPD), lengths × samples × iw_samples
 * (FLOWSEQ_IWD), and flowseq_score's max_sentences (32 when 0) × iw_samples pairs per batch. NaN is outside
 * every limit. Every field of the options is checked by every call that takes them, whether the
 * model and the decoding mode use it or not.
 *
 * Threads. A translator holds its own weights and working memory; calls on one translator must not
 * overlap, so give each thread its own translator (two translators of the same directory hold the
 * weights twice). The last error is kept per thread. Computation itself uses OpenMP and OpenBLAS
 * threads (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS). Export GOMP_SPINCOUNT=10000 (or
 * OMP_WAIT_POLICY=passive) before starting a program that shares its cores with other busy work:
 * by default OpenMP threads spin at every barrier, and decoding then slows down 5-56 times beside
 * one or two busy processes on 2 cores. The flowseq program and the Python package set it.
 *
 * CPU kernels. The `flowseq` program restarts itself once with the fastest OpenBLAS kernel the CPU
 * runs; a library cannot do that for its host program. `flowseq info` prints the kernel OpenBLAS
 * picks and the one flowseq would choose: export OPENBLAS_CORETYPE=<that name> before starting your
 * program if they differ. A GPU is used when the CUDA module was built and a device is present
 * (FLOWSEQ_DEVICE=cpu keeps to the CPU). */
#ifndef FLOWSEQ_H
#define FLOWSEQ_H

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; flowseq_version() gives the library's at run time. */
#define FLOWSEQ_VERSION_MAJOR 0
#define FLOWSEQ_VERSION_MINOR 1
#define FLOWSEQ_VERSION_PATCH 0

/* The limits of the options (see "Bad arguments" above). */
#define FLOWSEQ_MAX_LENGTHS 100
#define FLOWSEQ_MAX_SAMPLES 1000
#define FLOWSEQ_MAX_BEAM 1000
#define FLOWSEQ_MAX_TOKENS (1 << 24)
#define FLOWSEQ_MAX_INPUT_TOKENS (1 << 20)
#define FLOWSEQ_MAX_ROWS 100000
#define FLOWSEQ_MAX_TAU 100.0
#define FLOWSEQ_MAX_LENGTH_PENALTY 100.0
#define FLOWSEQ_MAX_LENGTH_A 1000.0
#define FLOWSEQ_MAX_LENGTH_B 1048576.0
#define FLOWSEQ_MAX_ARENA_MB (1 << 22)

#if defined(__GNUC__) || defined(__clang__)
#define FLOWSEQ_API __attribute__((visibility("default")))
#else
#define FLOWSEQ_API
#endif

/* "0.1.0": the library's version, MAJOR.MINOR.PATCH. Never fails. */
FLOWSEQ_API const char *flowseq_version(void);

/* Why the last failing call on this thread failed ("" when none has); a successful call leaves it
 * as it was. Never NULL; the text stays valid until the next failing call on this thread. */
FLOWSEQ_API const char *flowseq_last_error(void);

/* What the library prints on stderr, as the `flowseq` program prints it: FLOWSEQ_LOG_OFF nothing
 * (the library's default); FLOWSEQ_LOG_ALL progress, notices and warnings (any value that is not
 * one of the other two means this); FLOWSEQ_LOG_WARNINGS only warnings, such as an input line
 * truncated to the maximum length (the program's --quiet). Applies to every translator of the
 * process. */
enum { FLOWSEQ_LOG_OFF = 0, FLOWSEQ_LOG_ALL = 1, FLOWSEQ_LOG_WARNINGS = 2 };
FLOWSEQ_API void flowseq_set_logging(int level);

/* ---- opening a model ------------------------------------------------------------------------ */

typedef struct flowseq_translator flowseq_translator;

typedef struct {
  /* An autoregressive Transformer model directory with the same spm.model, opened beside the
   * model to rank FlowSeq's npd and iwd candidates (flowseq_options.rescore). NULL: none. */
  const char *teacher_dir;
  /* Working memory for activations, in MiB, at most FLOWSEQ_MAX_ARENA_MB; a batch that needs more
   * fails with a message saying so. 0 means the default, 4096. */
  int arena_mb;
} flowseq_open_options;

/* Opens MODEL_DIR (NULL options: no teacher, default memory). NULL on error: MODEL_DIR NULL or
 * "" (use "." for the current directory), a file instead of a directory, a directory without
 * config.yaml, model.safetensors or spm.model (the message names the missing file), the same for
 * teacher_dir when it is not NULL, or arena_mb negative or over the limit. */
FLOWSEQ_API flowseq_translator *flowseq_open(const char *model_dir, const flowseq_open_options *options);

/* Frees the translator and everything it holds; NULL does nothing. Close each translator once. */
FLOWSEQ_API void flowseq_close(flowseq_translator *t);

/* 1 for an autoregressive Transformer, 0 for FlowSeq; -1 with the error set when T is NULL. */
FLOWSEQ_API int flowseq_is_autoregressive(const flowseq_translator *t);

/* ---- decoding options ----------------------------------------------------------------------- */

typedef enum { FLOWSEQ_ARGMAX, FLOWSEQ_NPD, FLOWSEQ_IWD } flowseq_decoding;

typedef struct {
  /* FlowSeq */
  flowseq_decoding decoding;
  int lengths;             /* length candidates per sentence (npd, iwd) */
  int samples;             /* latent samples per length (npd, iwd) */
  float tau;               /* temperature of the latent samples (npd; 0 = the prior's mean) */
  int iw_samples;          /* posterior samples of the importance-weighted estimate (iwd, scoring) */
  unsigned long long seed; /* same seed, same output */
  int rescore;             /* npd, iwd: rank candidates by the teacher given to flowseq_open */
  /* Transformer */
  int beam;                         /* beam size; 1 is greedy decoding */
  float length_penalty;             /* hypotheses ranked by log p / length^length_penalty */
  float max_length_a, max_length_b; /* at most a × source tokens + b output tokens */
  /* both */
  int n_best;             /* hypotheses returned per sentence by flowseq_translate_each: 1, or
                               * FlowSeq: all lengths × samples candidates; Transformer: the n best
                               * of a beam of max(beam, n_best) */
  int max_tokens;         /* tokens per batch, a source token counted once per candidate row */
  int max_length;         /* longer inputs are cut to this many tokens (noted in the log) */
  int collapse_repeats;   /* FlowSeq output: drop each token equal to the one before it ("a a man"
                         * -> "a man"); 1 by default (+1.1 BLEU for argmax on Multi30k
                         * test_2016); a Transformer's output is never collapsed */
  int substitute_repeats; /* FlowSeq decoding: where two neighbouring positions take the same
                           * token, the one whose next-best token scores closer takes that one
                           * instead ("a man in in shirt" -> "a man in a shirt"), before ranking
                           * and before collapse_repeats; digit and byte pieces are left alone.
                           * 1 by default (+2.0 BLEU for argmax on Multi30k test_2016) */
  int max_sentences;      /* sentences per batch, at most; 0: as many as max_tokens allows when
                         * translating, and 32 pairs a batch for flowseq_score, which batches by
                         * count only */
  int progress;           /* lines/s on the log every 5 s while translating (when logging is on) */
} flowseq_options;

/* The defaults for a decoding mode: argmax; npd with 3 lengths × 5 samples at tau 1; iwd with 3
 * lengths, 1 sample at tau 0 and 4 importance samples; beam 4, length penalty 1, at most 2 × source
 * + 10 tokens; n_best 1, 1024 tokens per batch with no count of sentences (max_sentences 0),
 * inputs cut at 250 tokens, seed 1, progress on. A DECODING that is none of the three gives argmax's defaults with that value
 * kept in `decoding`, which every call taking the options then refuses. */
FLOWSEQ_API flowseq_options flowseq_default_options(flowseq_decoding decoding);

/* ---- translating ---------------------------------------------------------------------------- */

/* Translates N sentences; translations[i] receives sentence i's translation, malloc'd (release it
 * with free()). An empty sentence translates to "". NULL options mean the defaults. Fails when T,
 * SOURCES, a sources[i] or TRANSLATIONS is NULL (the arrays may be NULL when N is 0), N is
 * negative, a sentence is not valid UTF-8 or an option is outside its limits (options->n_best
 * included, though one translation a sentence is what this call returns). On error no string is
 * left allocated, and translations[0..N) are all NULL when TRANSLATIONS was given. */
FLOWSEQ_API int flowseq_translate(flowseq_translator *t, const char *const *sources, int n,
                                  const flowseq_options *options, char **translations);

/* One hypothesis for a sentence. Log-probabilities are natural logarithms. */
typedef struct {
  const char *text;       /* detokenized (with collapse_repeats applied) */
  int tokens;             /* output tokens before EOS, before collapse_repeats */
  double score;           /* the ranking score, higher is better. FlowSeq: (log P(T|x) + log p(z|x)
                            * + log p(y|z,x)) / T, with iwd log p̂(y|x,T) in place of the last two;
                            * with rescore, the teacher's log p(y|x) / (tokens + 1). Transformer:
                            * log p(y|x) / (tokens + 1)^length_penalty */
  double length_logprob;  /* FlowSeq: log P(T|x) of its length T; Transformer: 0 */
  double prior_logprob;   /* FlowSeq: log p(z|x) of its latent z; Transformer: 0 */
  double decoder_logprob; /* FlowSeq: log p(y|z,x); Transformer: log p(y|x) */
} flowseq_hypothesis;

/* Called once per sentence, in input order, with its hypotheses, best first (n = 0 for an empty
 * sentence). They are valid during the call only. Return 0 to go on, non-zero to stop: the
 * translating call then fails with the message "stopped by the callback". */
typedef int (*flowseq_result_callback)(void *user_data, int index, const flowseq_hypothesis *hyps, int n);

/* Translates N sentences in length-sorted batches, handing each sentence's hypotheses to
 * on_result as soon as every sentence before it is done: a program can write results as they come
 * while keeping input order. Its arguments are checked as flowseq_translate's are, and ON_RESULT
 * must not be NULL (USER_DATA may be anything); nothing reaches on_result unless they all pass. */
FLOWSEQ_API int flowseq_translate_each(flowseq_translator *t, const char *const *sources, int n,
                                       const flowseq_options *options, flowseq_result_callback on_result,
                                       void *user_data);

/* ---- scoring -------------------------------------------------------------------------------- */

/* How likely the model finds given translations: logprob[i] = log p(target_i | source_i), and
 * logprob_per_token[i] the same over the target's tokens plus one for EOS (either array may be
 * NULL). A Transformer computes it exactly; FlowSeq estimates log p(y|x,T) + log P(T|x) by
 * importance weighting with options->iw_samples posterior samples (options->seed). Fails when T,
 * SOURCES, TARGETS, a sources[i] or a targets[i] is NULL (the arrays may be NULL when N is 0), N is
 * negative, a sentence is not valid UTF-8, or an option is outside its limits; nothing is written
 * to logprob or logprob_per_token then. */
FLOWSEQ_API int flowseq_score(flowseq_translator *t, const char *const *sources, const char *const *targets, int n,
                              const flowseq_options *options, double *logprob, double *logprob_per_token);

#ifdef __cplusplus
}
#endif

#endif
