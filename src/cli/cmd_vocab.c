/* flowseq vocab: one joint SentencePiece model from raw German and English text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_args.h"
#include "cli/cli_outputs.h"
#include "cli/commands.h"
#include "core/fileio.h"
#include "text/corpus.h"
#include "text/spm.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: flowseq vocab -i FILE [-i FILE ...] --vocab-size N [--model-type unigram|bpe]\n"
          "                     [--sample N] [--seed S] [--split-digits] [--byte-fallback] -o spm.model\n\n"
          "Trains one joint SentencePiece model on raw text (plain, .gz, WMT .sgm, FILE.tsv:COLUMN).\n"
          "Special ids are fixed: PAD 0, UNK 1, EOS 2, BOS 3. --sample N trains on N sentences drawn\n"
          "at random from big inputs (default: all).\n"
          "  --split-digits   every digit is a piece of its own, so that any number can be copied\n"
          "  --byte-fallback  256 byte pieces: a character the pieces lack is encoded as its UTF-8\n"
          "                   bytes instead of UNK, and decoding turns them back into the character\n");
}

int cmd_vocab(int argc, char **argv) {
  const char *inputs[64], *output = NULL, *model_type = "unigram";
  int n_inputs = 0, vocab_size = 0;
  bool split_digits = false, byte_fallback = false;
  long sample = 0;
  unsigned long long seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) return usage(stdout), 0;
    if (!strcmp(o, "--split-digits") || !strcmp(o, "--byte-fallback")) {
      *(!strcmp(o, "--split-digits") ? &split_digits : &byte_fallback) = true;
      continue;
    }
    static const char *const value_options[] = {"-i", "-o", "--vocab-size", "--model-type", "--sample", "--seed", NULL};
    if (!cli_is_one_of(o, value_options)) return cli_unknown("vocab", o);
    if (!v) return fprintf(stderr, "flowseq vocab: %s needs a value (see --help)\n", o), 2;
    bool ok = true;
    if (!strcmp(o, "-i")) {
      if (n_inputs == 64) return fprintf(stderr, "flowseq vocab: at most 64 -i inputs\n"), 2;
      inputs[n_inputs++] = v;
    } else if (!strcmp(o, "-o")) output = v;
    else if (!strcmp(o, "--vocab-size")) ok = cli_int("vocab", o, v, 8, 1000000, &vocab_size);
    else if (!strcmp(o, "--model-type")) model_type = v;
    else if (!strcmp(o, "--sample")) ok = cli_long("vocab", o, v, 0, 2000000000, &sample);
    else if (!strcmp(o, "--seed")) ok = cli_u64("vocab", o, v, &seed);
    if (!ok) return 2;
    i++;
  }
  if (!n_inputs || !output || vocab_size < 8)
    return fprintf(stderr, "flowseq vocab: need -i FILE, -o MODEL and --vocab-size N (8 to 1000000)\n"), 2;
  if (strcmp(model_type, "unigram") && strcmp(model_type, "bpe"))
    return fprintf(stderr, "flowseq vocab: --model-type must be unigram or bpe, not %s\n", model_type), 2;
  cli_inputs in = {0};
  for (int k = 0; k < n_inputs; k++) cli_inputs_add(&in, inputs[k]);
  int refused = cli_inputs_check(&in, "vocab", output);
  cli_inputs_free(&in);
  if (refused) return refused;
  /* SentencePiece reads plain text files only: decode every input into one temporary file */
  char dir[] = "/tmp/flowseq-vocab-XXXXXX", text[64], prefix[64], model[80];
  if (!mkdtemp(dir)) return perror("flowseq vocab: temporary directory"), 1;
  snprintf(text, sizeof text, "%s/text", dir);
  snprintf(prefix, sizeof prefix, "%s/spm", dir);
  snprintf(model, sizeof model, "%s.model", prefix);
  FILE *f = fopen(text, "w");
  long sentences = 0;
  fs_status s = f ? FS_OK : fs_error(FS_ERR_IO, "%s: cannot open for writing: %s", text, strerror(errno));
  fs_output out; /* a full /tmp must not train on part of the text */
  if (f) fs_output_wrap(&out, f, text);
  for (int k = 0; k < n_inputs && s == FS_OK; k++) {
    fs_text t;
    s = fs_text_read(inputs[k], &t);
    for (int i = 0; s == FS_OK && i < t.count; i++, sentences++) s = fs_output_printf(&out, "%s\n", t.lines[i]);
    if (t.lines) fs_text_free(&t);
  }
  if (s == FS_OK) s = fs_output_close(&out);
  if (f && fclose(f) && s == FS_OK) s = fs_error(FS_ERR_IO, "%s: write failed: %s", text, strerror(errno));
  if (s == FS_OK) {
    const char *files[1] = {text};
    fs_spm_train_options o = {files, 1, prefix, vocab_size, model_type, 1.0, sample, seed, split_digits, byte_fallback};
    fprintf(stderr, "[vocab] training a %s model of %d pieces on %ld sentences%s%s\n", model_type, vocab_size,
            sentences, split_digits ? ", digits split" : "", byte_fallback ? ", byte fallback" : "");
    s = fs_spm_train(&o);
  }
  if (s == FS_OK) s = fs_copy_file(model, output);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "flowseq vocab: could not remove %s\n", dir);
  if (s != FS_OK) return fprintf(stderr, "flowseq vocab: %s\n", fs_last_error()), 1;
  fprintf(stderr, "[vocab] wrote %s (pad 0, unk 1, eos 2, bos 3)\n", output);
  return 0;
}
