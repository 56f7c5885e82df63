/* Choosing and checking the OpenBLAS kernel (see blas_core.h for why this happens at start-up). */
#define _GNU_SOURCE /* strcasestr */
#include "backend/cpu/blas_core.h"

#include <cblas.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <dlfcn.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"

/* ---- what the CPU supports ---- */

fs_cpu_features fs_cpu_features_detect(void) {
  fs_cpu_features f = {0};
#if defined(__x86_64__) && defined(__GNUC__)
  /* libgcc's cpuid reading also checks that the OS saves the AVX / AVX-512 registers (XCR0). */
  __builtin_cpu_init();
  f.avx = __builtin_cpu_supports("avx");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

static int features_level(const fs_cpu_features *f) {
  bool avx512 = f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl;
  return avx512 && f->avx512bf16 ? 5 : avx512 ? 4 : f->avx2 && f->fma ? 3 : f->avx ? 2 : 1;
}

static const char *level_isa(int level);

const char *fs_cpu_describe(char *buf, int size) {
  char name[49] = "unknown CPU";
  unsigned family = 0, model = 0;
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned r[4];
  if (__get_cpuid(0x80000000u, &r[0], &r[1], &r[2], &r[3]) && r[0] >= 0x80000004u) {
    for (unsigned leaf = 0; leaf < 3; leaf++) { /* the brand string, 16 bytes a leaf */
      __get_cpuid(0x80000002u + leaf, &r[0], &r[1], &r[2], &r[3]);
      memcpy(name + 16 * leaf, r, 16);
    }
    name[48] = 0;
  }
  if (__get_cpuid(1, &r[0], &r[1], &r[2], &r[3])) {
    family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf;
    if (family == 0xf) family += (r[0] >> 20) & 0xff;
    if (family >= 6) model |= ((r[0] >> 16) & 0xf) << 4;
  }
#endif
  const char *start = name;
  while (*start == ' ') start++;
  fs_cpu_features f = fs_cpu_features_detect();
  snprintf(buf, size, "%s (family %u, model %u), %s", start, family, model, level_isa(features_level(&f)));
  return buf;
}

/* Instruction-set level of an OpenBLAS x86-64 core: kernels of one level run the same
 * instructions (Zen and Haswell share their AVX2 kernels and differ in blocking). */
static int core_level(const char *core) {
  static const char *const levels[][6] = {
      {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom"},
      {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator", NULL},
      {"Haswell", "Zen", NULL},
      {"SkylakeX", NULL},
      {"Cooperlake", "SapphireRapids", NULL},
  };
  for (int level = 0; level < 5; level++)
    for (int i = 0; i < 6 && levels[level][i]; i++)
      if (!strcasecmp(core, levels[level][i])) return level + 1;
  return 0; /* unknown to us */
}

static const char *level_isa(int level) {
  static const char *const isa[] = {
      "an instruction set we do not rank", "SSE3", "AVX", "AVX2 + FMA", "AVX-512", "AVX-512 + BF16"};
  return isa[level >= 0 && level <= 5 ? level : 0];
}

int fs_blas_candidates(const fs_cpu_features *f, const char **out) {
  int n = 0;
  bool avx512 = f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl;
  if (avx512 && f->avx512bf16) out[n++] = "Cooperlake";
  if (avx512) out[n++] = "SkylakeX";
  if (f->avx2 && f->fma) out[n++] = "Haswell";
  if (f->avx) out[n++] = "Sandybridge";
  out[n++] = "Prescott"; /* SSE3: every x86-64 CPU OpenBLAS supports */
  return n;
}

/* ---- the correctness check ---- */

/* Deterministic values in [-1, 1) (a 64-bit LCG): the check needs no RNG state of its own. */
static void fill_values(float *x, int n, uint64_t *state) {
  for (int i = 0; i < n; i++) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(*state >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
  }
}

/* One product against the double reference; returns the largest error / bound ratio (> 1 fails). */
static double check_one(fs_sgemm_fn f, bool ta, bool tb, int m, int n, int k, uint64_t *state) {
  const float alpha = 0.75f, beta = -0.5f;
  float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n),
        *c0 = malloc(sizeof(float) * m * n);
  double worst = INFINITY;
  if (a && b && c && c0) {
    fill_values(a, m * k, state);
    fill_values(b, k * n, state);
    fill_values(c0, m * n, state);
    memcpy(c, c0, sizeof(float) * m * n);
    int lda = ta ? m : k, ldb = tb ? k : n; /* stored row-major as [K,M] / [N,K] when transposed */
    f(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    worst = 0.0;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double sum = 0.0, magnitude = 0.0;
        for (int p = 0; p < k; p++) {
          double av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j];
          sum += av * bv;
          magnitude += fabs(av * bv);
        }
        double ref = alpha * sum + beta * (double)c0[i * n + j];
        double bound = ((double)fabsf(alpha) * magnitude + fabs(beta * (double)c0[i * n + j])) * (k + 2) * FLT_EPSILON;
        double err = fabs((double)c[i * n + j] - ref) / (bound + 1e-30);
        if (!(err <= 1e300)) err = INFINITY; /* NaN fails too */
        if (err > worst) worst = err;
      }
  }
  free(a), free(b), free(c), free(c0);
  return worst;
}

bool fs_sgemm_check(fs_sgemm_fn f, double *worst_out) {
  /* Tiny, odd-sized (kernel edges and OpenBLAS's small-matrix path), and one product large
   * enough that OpenBLAS splits it over threads. */
  static const int shapes[][3] = {{1, 1, 1}, {5, 3, 7}, {67, 45, 131}, {150, 100, 200}};
  uint64_t state = 42;
  double worst = 0.0;
  for (int s = 0; s < 4; s++)
    for (int t = 0; t < 4; t++) {
      double w = check_one(f, t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2], &state);
      if (w > worst) worst = w;
    }
  if (worst_out) *worst_out = worst;
  return worst <= 1.0;
}

static void openblas_sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                           int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

/* ---- the choice ----
 * State carried across the re-execution, in the environment: FLOWSEQ_BLAS_REJECTED (cores that
 * failed the check, comma-separated), FLOWSEQ_BLAS_TRIED (the core the last execution asked
 * for) and FLOWSEQ_BLAS_ORIGIN (what OpenBLAS had loaded before we intervened, and why). */

static char chosen_core[64] = "(not selected)", chosen_reason[512] = "fs_blas_select() was not called";

const char *fs_blas_core(void) { return chosen_core; }
const char *fs_blas_reason(void) { return chosen_reason; }

static bool listed(const char *list, const char *core) {
  if (!list) return false;
  size_t len = strlen(core);
  for (const char *p = list; (p = strcasestr(p, core)); p += len)
    if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len])) return true;
  return false;
}

static void reject(const char *core) {
  const char *old = getenv("FLOWSEQ_BLAS_REJECTED");
  char list[256];
  snprintf(list, sizeof list, "%s%s%s", old ? old : "", old && *old ? "," : "", core);
  setenv("FLOWSEQ_BLAS_REJECTED", list, 1);
}

/* Replaces the process by itself with OPENBLAS_CORETYPE=core; returns only if execv failed. */
static void reexec(char **argv, const char *core, const char *loaded) {
  if (!getenv("FLOWSEQ_BLAS_ORIGIN")) {
    const char *inherited = getenv("OPENBLAS_CORETYPE");
    char origin[160];
    if (inherited) snprintf(origin, sizeof origin, "%s (OPENBLAS_CORETYPE=%s in the environment)", loaded, inherited);
    else snprintf(origin, sizeof origin, "%s (its own CPU detection)", loaded);
    setenv("FLOWSEQ_BLAS_ORIGIN", origin, 1);
  }
  setenv("OPENBLAS_CORETYPE", core, 1);
  setenv("FLOWSEQ_BLAS_TRIED", core, 1);
  execv("/proc/self/exe", argv);
  fs_log("engine", "could not restart with the %s BLAS kernel (execv: %s); keeping %s", core, strerror(errno), loaded);
}

static void finish(const char *core, const char *fmt, const char *a, const char *b) {
  snprintf(chosen_core, sizeof chosen_core, "%s", core);
  char why[384];
  snprintf(why, sizeof why, fmt, a ? a : "", b ? b : "");
  const char *origin = getenv("FLOWSEQ_BLAS_ORIGIN"), *rejected = getenv("FLOWSEQ_BLAS_REJECTED");
  int len = snprintf(chosen_reason, sizeof chosen_reason, "%s", why);
  if (origin && len < (int)sizeof chosen_reason)
    len += snprintf(chosen_reason + len, sizeof chosen_reason - len, "; OpenBLAS had loaded %s", origin);
  if (rejected && len < (int)sizeof chosen_reason)
    snprintf(chosen_reason + len, sizeof chosen_reason - len, "; failed the sgemm check: %s", rejected);
  unsetenv("FLOWSEQ_BLAS_TRIED"); /* the selection is over: child processes start afresh */
  unsetenv("FLOWSEQ_BLAS_ORIGIN");
  unsetenv("FLOWSEQ_BLAS_REJECTED");
}

void fs_blas_select(char **argv) {
  const char *loaded = openblas_get_corename();
  const char *mode = getenv("FLOWSEQ_BLAS_CORE");
  if (mode && (!*mode || !strcasecmp(mode, "auto"))) mode = NULL;
  double worst;
  if (mode && !strcasecmp(mode, "openblas")) {
    bool ok = fs_sgemm_check(openblas_sgemm, &worst);
    finish(loaded, "FLOWSEQ_BLAS_CORE=openblas: OpenBLAS's own choice%s%s",
           ok ? "" : "; WARNING: ", ok ? NULL : "its sgemm FAILED the check against a double reference");
    if (!ok) fs_warn("engine", "the %s BLAS kernel computes wrong products on this CPU", loaded);
    return;
  }
  if (mode) { /* a named core: forced, checked, but never replaced */
    const char *tried = getenv("FLOWSEQ_BLAS_TRIED");
    if (strcasecmp(loaded, mode) && !(tried && !strcasecmp(tried, mode))) reexec(argv, mode, loaded);
    bool ok = fs_sgemm_check(openblas_sgemm, &worst);
    if (strcasecmp(loaded, mode))
      fs_log("engine", "OpenBLAS has no kernel named '%s' (FLOWSEQ_BLAS_CORE); using %s", mode, loaded);
    if (!ok) fs_warn("engine", "the %s BLAS kernel computes wrong products on this CPU", loaded);
    finish(loaded, "forced by FLOWSEQ_BLAS_CORE=%s%s", mode, ok ? "" : "; WARNING: its sgemm FAILED the check");
    return;
  }
  fs_cpu_features features = fs_cpu_features_detect();
  const char *candidates[8];
  int n = fs_blas_candidates(&features, candidates);
  const char *rejected = getenv("FLOWSEQ_BLAS_REJECTED"), *tried = getenv("FLOWSEQ_BLAS_TRIED");
  for (int i = 0; i < n; i++) {
    const char *want = candidates[i];
    if (listed(rejected, want)) continue;
    bool same_level = core_level(loaded) == core_level(want) && !listed(rejected, loaded);
    if (!same_level) {
      if (tried && !strcasecmp(tried, want)) { /* asked for it, OpenBLAS did not load it */
        reject(want);
        rejected = getenv("FLOWSEQ_BLAS_REJECTED");
        continue;
      }
      reexec(argv, want, loaded);
      break; /* execv failed: keep what is loaded */
    }
    if (!fs_sgemm_check(openblas_sgemm, &worst)) {
      reject(loaded);
      fs_log("engine", "the %s BLAS kernel failed the sgemm check on this CPU; trying the next one", loaded);
      tried = NULL; /* this execution's core is settled: the next candidate gets a restart */
      rejected = getenv("FLOWSEQ_BLAS_REJECTED");
      continue;
    }
    char checked[96];
    snprintf(checked, sizeof checked, "sgemm checked against a double reference (worst error %.2f of the bound)",
             worst);
    int level = core_level(loaded);
    finish(loaded, "the fastest kernel this CPU runs (%s); %s", level_isa(level), checked);
    return;
  }
  bool ok = fs_sgemm_check(openblas_sgemm, &worst);
  finish(loaded, "no better kernel could be loaded%s%s",
         ok ? "" : "; WARNING: ", ok ? NULL : "its sgemm FAILED the check against a double reference");
}

const char *fs_blas_bf16_path(char *buf, int size) {
  fs_cpu_features f = fs_cpu_features_detect();
  bool sbgemm = dlsym(RTLD_DEFAULT, "cblas_sbgemm") != NULL;
  snprintf(buf, size, "emulated: operands rounded to bf16 around the fp32 sgemm (the linked OpenBLAS %s; the CPU %s)",
           sbgemm ? "exports cblas_sbgemm, unused" : "exports no cblas_sbgemm",
           f.avx512bf16 ? "has AVX512-BF16" : "lacks AVX512-BF16");
  return buf;
}
