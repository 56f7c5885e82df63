/* IEEE 754 half precision (binary16: 1 sign, 5 exponent, 10 fraction bits), the storage format
 * of fp16 model weights (core/safetensors.h: F16 tensors are converted to fp32 when read). The
 * conversions work on bit patterns, so they need no compiler support for a 16-bit float type. */
#ifndef FLOWSEQ_CORE_HALF_H
#define FLOWSEQ_CORE_HALF_H

#include <stdint.h>

/* x rounded to the nearest half, ties to even: beyond 65504 (the largest half) to infinity from
 * 65520 on, below 2^-14 to a subnormal (steps of 2^-24) or zero, NaN to a quiet NaN. */
uint16_t fs_half_from_float(float x);

/* The float of a half: exact (every half is a float). */
float fs_half_to_float(uint16_t h);

#endif
