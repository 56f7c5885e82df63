/* The training loop (docs/model.md#training-procedure, docs/architecture.md#training-step): posterior-mean init, auto-encoder
 * pre-training, prior init, then the ELBO with KL warm-up; logging, a metrics TSV, validation
 * (NLL / perplexity), best-model tracking, early stopping, atomic checkpoints, automatic resume
 * and a clean stop on SIGINT/SIGTERM. Started by mpirun (an MPI build), the ranks train one model
 * data-parallel (train/dist.h): each computes its share of every update's batches, and rank 0
 * writes the checkpoints, metrics and log. */
#ifndef FLOWSEQ_TRAIN_TRAINER_H
#define FLOWSEQ_TRAIN_TRAINER_H

#include "model/config.h"

/* Trains per cfg, resuming from cfg->train.output when it holds a checkpoint. */
fs_status fs_train(fs_config *cfg);

#endif
