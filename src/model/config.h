/* The YAML configuration of a model and its training (docs/formats.md#config-yaml): `model:` maps onto
 * fs_hparams, `train:` onto fs_train_config. Several files merge in order (later values
 * win), then command-line overrides `--train.lr 1e-4`; unknown keys and ill-typed or
 * out-of-range values are errors naming the file, line and key. fs_config_dump writes the
 * effective YAML, which loads back to the same struct. */
#ifndef FLOWSEQ_MODEL_CONFIG_H
#define FLOWSEQ_MODEL_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "backend/backend.h"
#include "model/hparams.h"

#define FS_PATH_MAX 1024

typedef struct {
  char train_src[FS_PATH_MAX], train_tgt[FS_PATH_MAX]; /* raw text: .txt/.gz/.sgm/.tsv:N */
  char train_data[FS_PATH_MAX];                        /* or a dataset from flowseq prep (used when set) */
  char valid_src[FS_PATH_MAX], valid_tgt[FS_PATH_MAX];
  char spm[FS_PATH_MAX];       /* SentencePiece model (flowseq vocab) */
  char output[FS_PATH_MAX];    /* checkpoint / model directory */
  char init_from[FS_PATH_MAX]; /* fine-tuning: start the main phase from this model directory's weights */
  int max_tokens;              /* padded target tokens per batch */
  int max_sentences;           /* sentences per batch, 0 = no cap (docs/model.md#batches counts sentences) */
  int accumulate;              /* batches per update (gradient accumulation) */
  int max_length;              /* training pairs longer than this (subword tokens) are dropped */
  double max_ratio;            /* and pairs whose length ratio exceeds this (0 = no ratio filter) */
  int seed;
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad;
  char schedule[16];   /* expo | inv_sqrt */
  double gamma;        /* expo decay per update */
  int warmup;          /* pre-training: linear warm-up over min(warmup, init_steps) updates (spec: 4000);
                             * a Transformer (no pre-training): linear warm-up at the start of the main phase;
                             * inv_sqrt: flat updates before the decay */
  double grad_clip;    /* global gradient norm limit, 0 = no clipping */
  int init_steps;      /* auto-encoder pre-training updates */
  int init_batch_size; /* sentences for the data-dependent inits */
  int kl_warmup_steps;
  int max_updates; /* main-phase updates */
  int log_every, valid_every;
  int save_every;         /* updates between checkpoints, 0 = at every validation */
  int patience;           /* validations without improvement before stopping, 0 = never stop early */
  int keep_last;          /* main-phase saves kept as OUTPUT.u<update> for averaging, 0 = none */
  int valid_samples;      /* posterior samples for validation NLL (docs/model.md#training-objective: 3) */
  int arena_mb;           /* activation arena per step */
  fs_precision precision; /* operands of the training products: fp32 or bf16 (ops/engine.h) */
} fs_train_config;

typedef struct {
  fs_hparams model;
  fs_train_config train;
  int n_flow_steps; /* entries given for model.flow_steps: must equal model.flow_levels */
} fs_config;

/* The built-in defaults: FlowSeq-base WMT14 (docs/model.md#presets) with the README's optimisation. */
void fs_config_defaults(fs_config *c);
/* Merges one YAML file into c. */
fs_status fs_config_load(fs_config *c, const char *path);
/* Applies one "--section.key value" override (dotted_key without the dashes). */
fs_status fs_config_override(fs_config *c, const char *dotted_key, const char *value);
/* Cross-field checks (heads divide widths, flow levels vs steps, ...). */
fs_status fs_config_validate(const fs_config *c);
void fs_config_dump(FILE *out, const fs_config *c);

#endif
