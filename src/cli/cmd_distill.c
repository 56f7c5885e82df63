/* flowseq distill: sequence-level knowledge distillation (Kim and Rush, 2016). A teacher
 * translates the source side of a training corpus; its outputs replace the references as the
 * student's targets.
 *
 * The corpus is streamed in chunks of --chunk lines (memory stays bounded whatever its size); each chunk is decoded in length-sorted batches and appended, in input order, to
 * OUT.partial. After every chunk the file is synced and OUT.partial.progress records how many
 * lines and bytes are complete (written atomically). A killed run started again with the same
 * arguments cuts OUT.partial back to the recorded size and continues with the next line, so no
 * line is lost or written twice; the finished file is renamed to OUT. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "cli/decode_args.h"
#include "core/alloc.h"
#include "core/fileio.h"
#include "core/log.h"
#include "text/corpus.h"

static const char *usage_text =
    "usage: flowseq distill -m TEACHER_DIR -i SRC -o OUT [--beam K] [--chunk N] [options]\n\n"
    "Translates the source side of a training corpus with a teacher model (normally an autoregressive\n"
    "Transformer: beam search, --beam 4 by default) and writes one output line per input line to OUT,\n"
    "plain text: the distilled targets, which vocab, prep and train read like any corpus side. The\n"
    "input is streamed in chunks of --chunk lines (2000; bounded memory), progress and ETA go to\n"
    "stderr, and a killed run resumes after its last complete chunk when started again with the same\n"
    "input and model (OUT.partial and OUT.partial.progress hold the work so far). Options as for\n"
    "translate: --beam, --lenpen,\n"
    "--max-len-a, --max-len-b, --max-tokens, --max-length, --arena-mb, --quiet; a FlowSeq teacher takes\n"
    "--decode and its options.\n";

typedef struct {
  char *partial, *progress;
} distill_files;

/* What OUT.partial.progress records: the lines and bytes of OUT.partial that are complete, and
 * the input and model they came from (a resume with other ones is refused). */
typedef struct {
  long lines, bytes;
  char input[1024], model[1024];
} distill_progress;

static fs_status progress_read(const char *path, distill_progress *p, bool *found) {
  memset(p, 0, sizeof *p);
  FILE *f = fopen(path, "r");
  *found = f != NULL;
  if (!f) return errno == ENOENT ? FS_OK : fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  char line[1200];
  int fields = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!strncmp(line, "lines ", 6)) fields += sscanf(line + 6, "%ld", &p->lines) == 1;
    else if (!strncmp(line, "bytes ", 6)) fields += sscanf(line + 6, "%ld", &p->bytes) == 1;
    else if (!strncmp(line, "input ", 6)) fields++, snprintf(p->input, sizeof p->input, "%.1023s", line + 6);
    else if (!strncmp(line, "model ", 6)) fields++, snprintf(p->model, sizeof p->model, "%.1023s", line + 6);
  }
  fclose(f);
  if (fields != 4 || p->lines < 0 || p->bytes < 0)
    return fs_error(FS_ERR_FORMAT,
                    "%s: expected the lines, bytes, input and model of an interrupted distillation; "
                    "remove it and %.*s to start over",
                    path, (int)(strlen(path) - strlen(".progress")), path);
  return FS_OK;
}

static fs_status progress_write(const char *path, const distill_progress *p) {
  fs_atomic_file f;
  FS_TRY(fs_atomic_open(&f, path));
  fprintf(f.file, "lines %ld\nbytes %ld\ninput %s\nmodel %s\n", p->lines, p->bytes, p->input, p->model);
  return fs_atomic_commit(&f);
}

static int write_line(void *user_data, int index, const flowseq_hypothesis *hyps, int n) {
  (void)index;
  return fs_output_printf(user_data, "%s\n", n ? hyps[0].text : "") != FS_OK;
}

/* Opens OUT.partial for appending after the complete part recorded in *p (a new run: empty). */
static fs_status open_partial(const distill_files *files, const distill_progress *p, FILE **out) {
  FILE *f = fopen(files->partial, p->lines ? "r+" : "w");
  if (!f) return fs_error(FS_ERR_IO, "%s: cannot open: %s", files->partial, strerror(errno));
  if (p->lines && (ftruncate(fileno(f), p->bytes) || fseek(f, p->bytes, SEEK_SET))) {
    fclose(f);
    return fs_error(FS_ERR_IO, "%s: cannot cut back to the %ld complete bytes: %s", files->partial, p->bytes,
                    strerror(errno));
  }
  *out = f;
  return FS_OK;
}

/* Lines in the input (a first streaming pass, for the progress and ETA). */
static fs_status count_lines(const char *spec, long *n) {
  fs_line_reader *r;
  FS_TRY(fs_line_reader_open(spec, &r));
  char *line;
  fs_status s;
  *n = 0;
  while ((s = fs_line_reader_next(r, &line)) == FS_OK && line) free(line), (*n)++;
  fs_line_reader_close(r);
  return s;
}

static fs_status distill(const decode_args *a, int chunk_lines, flowseq_translator *t, const distill_files *files) {
  distill_progress p;
  bool resuming;
  FS_TRY(progress_read(files->progress, &p, &resuming));
  if (resuming && (strcmp(p.input, a->input) || strcmp(p.model, a->model)))
    return fs_error(FS_ERR_ARG, "%s: an interrupted distillation of %s with %s; remove it and %s to start this one",
                    files->progress, p.input, p.model, files->partial);
  snprintf(p.input, sizeof p.input, "%s", a->input);
  snprintf(p.model, sizeof p.model, "%s", a->model);
  long total;
  FS_TRY(count_lines(a->input, &total));
  if (resuming) fs_log("distill", "resuming after line %ld of %ld (%s)", p.lines, total, files->partial);
  FILE *file = NULL;
  FS_TRY(open_partial(files, &p, &file));
  fs_output out; /* every write checked: a full disk stops the run at once, naming OUT.partial */
  fs_output_wrap(&out, file, files->partial);
  fs_line_reader *in = NULL;
  fs_status s = fs_line_reader_open(a->input, &in);
  char **chunk = fs_malloc(sizeof(char *) * chunk_lines);
  long already = p.lines, skipped = 0, done_here = 0;
  double start = fs_seconds();
  flowseq_options options = a->options;
  options.progress = 0; /* progress per chunk below */
  for (bool end = false; s == FS_OK && !end;) {
    int n = 0;
    while (s == FS_OK && n < chunk_lines) {
      char *line;
      s = fs_line_reader_next(in, &line);
      if (s != FS_OK || !line) {
        end = true;
        break;
      }
      if (skipped < already) free(line), skipped++; /* done before the interruption */
      else chunk[n++] = line;
    }
    if (s == FS_OK && n && flowseq_translate_each(t, (const char *const *)chunk, n, &options, write_line, &out))
      s = out.error ? fs_output_status(&out) : FS_ERR_ARG;
    for (int i = 0; i < n; i++) free(chunk[i]);
    if (s == FS_OK && n) {
      s = fs_output_flush(&out);
      if (s == FS_OK && fsync(fileno(file)))
        s = fs_error(FS_ERR_IO, "%s: write failed: %s", files->partial, strerror(errno));
      p.lines += n;
      p.bytes = ftell(file);
      if (s == FS_OK) s = progress_write(files->progress, &p);
      done_here += n;
      double rate = done_here / (fs_seconds() - start + 1e-9), eta = (total - p.lines) / (rate > 0 ? rate : 1);
      if (!a->quiet)
        fs_log("distill", "%ld/%ld lines, %.1f lines/s | ETA %.0fh%02.0fm", p.lines, total, rate, floor(eta / 3600),
               fmod(eta / 60, 60));
    }
  }
  free(chunk);
  if (in) fs_line_reader_close(in);
  if (s == FS_OK) s = fs_output_close(&out);
  if (fclose(file) && s == FS_OK) s = fs_error(FS_ERR_IO, "%s: write failed: %s", files->partial, strerror(errno));
  if (s == FS_OK && skipped < already)
    s = fs_error(FS_ERR_ARG, "%s has %ld lines but %s records %ld done: not the same input", a->input, skipped,
                 files->progress, already);
  if (s == FS_OK && rename(files->partial, a->output))
    s = fs_error(FS_ERR_IO, "%s: cannot rename to %s: %s", files->partial, a->output, strerror(errno));
  if (s == FS_OK) unlink(files->progress);
  if (s == FS_OK && !a->quiet) fs_log("distill", "%ld lines written to %s", p.lines, a->output);
  return s;
}

/* Refuses, before any work, an OUT (or OUT.partial, OUT.partial.progress) that is one of the
 * inputs, and an OUT that is no regular file: it is replaced by renaming OUT.partial over it, which
 * must not happen to a device or a FIFO. Returns the exit code, 0 to go on. */
static int check_outputs(const decode_args *a, const distill_files *files) {
  cli_inputs inputs = {0};
  decode_args_inputs(a, &inputs);
  int rc = cli_inputs_check(&inputs, "distill", a->output);
  if (!rc) rc = cli_inputs_check(&inputs, "distill", files->partial);
  if (!rc) rc = cli_inputs_check(&inputs, "distill", files->progress);
  cli_inputs_free(&inputs);
  struct stat st;
  if (!rc && !stat(a->output, &st) && !S_ISREG(st.st_mode)) {
    fprintf(stderr, "flowseq distill: %s: not a regular file (distill writes %s beside it and renames it into place)\n",
            a->output, files->partial);
    rc = 1;
  }
  return rc;
}

int cmd_distill(int argc, char **argv) {
  /* --chunk is distill's own; the other options are translate's */
  int chunk_lines = 2000, n = 0;
  char **rest = fs_malloc(sizeof(char *) * (argc + 1));
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--chunk")) {
      rest[n++] = argv[i];
      continue;
    }
    if (i + 1 == argc || !cli_int("distill", "--chunk", argv[i + 1], 1, 1 << 24, &chunk_lines)) {
      if (i + 1 == argc) fprintf(stderr, "flowseq distill: --chunk needs a value (see --help)\n");
      free(rest);
      return 2;
    }
    i++;
  }
  rest[n] = NULL;
  decode_args a;
  int rc = decode_args_parse(n, rest, &a, "distill", usage_text);
  free(rest);
  if (rc) return rc < 0 ? 0 : rc;
  if (!a.input || !a.output || !strcmp(a.input, "-") || !strcmp(a.output, "-"))
    return fprintf(stderr, "flowseq distill: -i SRC and -o OUT must name files (a resumable run needs them)\n"), 2;
  distill_files files = {fs_malloc(strlen(a.output) + 16), fs_malloc(strlen(a.output) + 32)};
  sprintf(files.partial, "%s.partial", a.output);
  sprintf(files.progress, "%s.partial.progress", a.output);
  if ((rc = check_outputs(&a, &files))) {
    free(files.partial);
    free(files.progress);
    return rc;
  }
  flowseq_translator *t = decode_args_open(&a);
  fs_status s = t ? distill(&a, chunk_lines, t, &files) : FS_ERR_ARG;
  flowseq_close(t);
  free(files.partial);
  free(files.progress);
  if (s != FS_OK) return fprintf(stderr, "flowseq distill: %s\n", fs_last_error()), 1;
  return 0;
}
