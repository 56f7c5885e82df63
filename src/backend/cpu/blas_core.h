/* Which OpenBLAS GEMM kernel ("core") the CPU backend runs, and a check that it is correct.
 *
 * Why: a DYNAMIC_ARCH OpenBLAS picks its kernel from a CPU table fixed when it was built.
 * Debian 12's 0.3.21 falls back to its SSE3 "Prescott" kernel on CPUs newer than that table
 * (an AVX-512 Xeon ran sgemm at 28 GFLOP/s instead of 107), and environments that pin
 * OPENBLAS_CORETYPE to an older kernel halve it again. OpenBLAS reads OPENBLAS_CORETYPE once,
 * when the library is loaded, so the choice has to be made before the program starts:
 * fs_blas_select() compares the kernel OpenBLAS loaded with the best one this CPU supports
 * (from cpuid) and, if they differ, re-executes the program with OPENBLAS_CORETYPE set.
 * After that the chosen kernel's sgemm is checked against a double-precision reference (some
 * kernel/CPU pairs are known to compute wrong results); a kernel that fails is rejected and the
 * next best one tried, down to the generic SSE3 kernel.
 *
 * FLOWSEQ_BLAS_CORE overrides: a core name (Haswell, SkylakeX, ...) forces that kernel,
 * "openblas" keeps whatever OpenBLAS chose by itself (honouring OPENBLAS_CORETYPE), "auto" or
 * unset is the behaviour above. */
#ifndef FLOWSEQ_BACKEND_CPU_BLAS_CORE_H
#define FLOWSEQ_BACKEND_CPU_BLAS_CORE_H

#include <stdbool.h>

/* The x86-64 features the kernel choice depends on (what cpuid reports and the OS enables). */
typedef struct {
  bool avx, avx2, fma, avx512f, avx512bw, avx512dq, avx512vl, avx512bf16;
} fs_cpu_features;

fs_cpu_features fs_cpu_features_detect(void);

/* "AMD EPYC (family 26, model 2), AVX-512 + BF16": the CPU's name, its cpuid family/model and the
 * widest instruction set the kernel choice can use; written to buf, which is returned. */
const char *fs_cpu_describe(char *buf, int size);

/* OpenBLAS core names this CPU can run, fastest first, ending with the generic "Prescott";
 * returns how many were written to out (at most 8). */
int fs_blas_candidates(const fs_cpu_features *f, const char **out);

/* A row-major sgemm with cblas_sgemm's arguments after the layout (the check takes it as a
 * parameter so a test can feed it a wrong one). */
typedef void (*fs_sgemm_fn)(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                            const float *b, int ldb, float beta, float *c, int ldc);

/* Runs f on shapes that reach the kernels' edge and threaded paths, all four transpose cases,
 * alpha and beta not 0 or 1, against a double-precision reference. Returns whether every
 * element is within a float rounding bound; *worst (may be NULL) gets the largest error as a
 * fraction of that bound. */
bool fs_sgemm_check(fs_sgemm_fn f, double *worst);

/* Chooses the kernel as described above. Call first thing in main(), before anything uses
 * BLAS or starts threads: it may replace the process (execv of /proc/self/exe with argv). */
void fs_blas_select(char **argv);

/* The kernel in use and why it was chosen (one line each, for `flowseq info` and logs). */
const char *fs_blas_core(void);
const char *fs_blas_reason(void);

/* How the CPU backend multiplies bf16 operands (train.precision bf16) and why, in one line
 * written to buf, which is returned: always by rounding them around the fp32 sgemm
 * (backend/cpu/gemm.c), with whether the linked OpenBLAS exports cblas_sbgemm and whether the
 * CPU has AVX512-BF16, the two things a real bf16 product would need. */
const char *fs_blas_bf16_path(char *buf, int size);

#endif
