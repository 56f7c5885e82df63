/* Logging on stderr: the implementation; core/log.h describes the interface. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static fs_log_level level_ = FS_LOG_ALL;

void fs_log_set_level(fs_log_level level) { level_ = level; }

double fs_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_line(const char *tag, const char *kind, const char *fmt, va_list ap) {
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  fprintf(stderr, "[%s] [%s] %s", stamp, tag, kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void fs_log(const char *tag, const char *fmt, ...) {
  if (level_ < FS_LOG_ALL) return;
  va_list ap;
  va_start(ap, fmt);
  print_line(tag, "", fmt, ap);
  va_end(ap);
}

void fs_warn(const char *tag, const char *fmt, ...) {
  if (level_ < FS_LOG_WARNINGS) return;
  va_list ap;
  va_start(ap, fmt);
  print_line(tag, "warning: ", fmt, ap);
  va_end(ap);
}
