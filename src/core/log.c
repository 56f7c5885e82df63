/* Logging on stderr: the implementation; core/log.h describes the interface. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int quiet_mode;

void fs_log_quiet(int quiet) { quiet_mode = quiet; }
int fs_log_is_quiet(void) { return quiet_mode; }

double fs_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fs_log(const char *tag, const char *fmt, ...) {
  if (quiet_mode) return;
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  fprintf(stderr, "[%s] [%s] ", stamp, tag);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}
