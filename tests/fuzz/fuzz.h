/* Shared by the libFuzzer targets in this directory. Most readers take a path, so an input is
 * written to a private temporary file first (one per suffix, made once per process in /dev/shm
 * or /tmp, removed at exit); an invariant that does not hold aborts, which libFuzzer reports as a finding. */
#ifndef FLOWSEQ_TESTS_FUZZ_H
#define FLOWSEQ_TESTS_FUZZ_H

#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"

#define FUZZ_MAX_TEMPS 8

static char fuzz_temps_[FUZZ_MAX_TEMPS][128];
static int fuzz_n_temps_;

static void fuzz_remove_temps_(void) {
  for (int i = 0; i < fuzz_n_temps_; i++) unlink(fuzz_temps_[i]);
}

/* A temporary file name ending in `suffix` (which selects the reader's format), the same one on
 * every call with that suffix. */
static const char *fuzz_temp(const char *suffix) {
  static char suffixes[FUZZ_MAX_TEMPS][32];
  for (int i = 0; i < fuzz_n_temps_; i++)
    if (!strcmp(suffixes[i], suffix)) return fuzz_temps_[i];
  if (fuzz_n_temps_ == FUZZ_MAX_TEMPS || strlen(suffix) >= sizeof suffixes[0]) abort();
  char *t = fuzz_temps_[fuzz_n_temps_];
  /* tmpfs where there is one: the writers fsync, which costs a disk write per run in /tmp */
  const char *dir = getenv("FLOWSEQ_FUZZ_TMP")  ? getenv("FLOWSEQ_FUZZ_TMP")
                    : !access("/dev/shm", W_OK) ? "/dev/shm"
                                                : "/tmp";
  snprintf(t, sizeof fuzz_temps_[0], "%s/flowseq-fuzz-XXXXXX%s", dir, suffix);
  int fd = mkstemps(t, (int)strlen(suffix));
  if (fd < 0) {
    perror("fuzz: mkstemps");
    abort();
  }
  close(fd);
  strcpy(suffixes[fuzz_n_temps_], suffix);
  if (fuzz_n_temps_++ == 0) atexit(fuzz_remove_temps_);
  return t;
}

/* Writes data to the temporary file for `suffix`; returns its name. */
static __attribute__((unused)) const char *fuzz_write(const char *suffix, const uint8_t *data, size_t size) {
  const char *path = fuzz_temp(suffix);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
    perror(path);
    abort();
  }
  return path;
}

#define FUZZ_ASSERT(cond, ...)                                                           \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "fuzz: %s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                      \
      fputc('\n', stderr);                                                               \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

/* A reader that refuses an input must say why, with an input-error status (never a bug's). */
static __attribute__((unused)) void fuzz_check_refusal(fs_status s) {
  FUZZ_ASSERT(s == FS_ERR_FORMAT || s == FS_ERR_ARG || s == FS_ERR_IO, "status %d (%s): %s", (int)s, fs_status_name(s),
              fs_last_error());
  FUZZ_ASSERT(fs_last_error()[0], "status %s without a message", fs_status_name(s));
}

#endif
