/* A parameter block's slots (ops/params.h) in a safetensors file (core/safetensors.h). The tensor
 * of parameter NAME in a slot is stored as NAME followed by the slot's suffix: "" for the weights
 * of a model directory (model/model_dir.h), ".m", ".u", ".umax" for the optimizer moments of a
 * checkpoint (train/checkpoint.h). A file must hold exactly the tensors of its block, so weights
 * written for another configuration are refused, naming the file. */
#ifndef FLOWSEQ_MODEL_PARAM_FILE_H
#define FLOWSEQ_MODEL_PARAM_FILE_H

#include "core/safetensors.h"
#include "ops/params.h"

/* Writes slots first_slot .. first_slot + n_slots - 1 of p to `path` (slot first_slot + k with
 * suffixes[k]), then the `extra` tensors and the metadata key/value pairs. */
fs_status fs_param_file_write(const char *path, const fs_params *p, int first_slot, int n_slots,
                              const char *const *suffixes, const fs_st_tensor *extra, int n_extra,
                              const char *const *metadata, int n_metadata);

/* Opens a file that must hold exactly `expected` tensors (a stray one means another model). */
fs_status fs_param_file_open(const char *path, int expected, fs_safetensors **f);

/* Reads the tensor NAME + suffix of every parameter into slot `slot`, checking dtype and shape. */
fs_status fs_param_file_read_slot(const fs_safetensors *f, fs_params *p, int slot, const char *suffix);

#endif
