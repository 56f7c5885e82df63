/* Logging on stderr: "[2026-11-28 17:59:01] [tag] message", warnings as
 * "[2026-11-28 17:59:01] [tag] warning: message". Tags used across the project: train, valid,
 * data, decode, eval, engine. Three levels: everything (the program's default), warnings only
 * (--quiet: progress goes, what the user must know about their data or machine stays, as a
 * truncated input line or a dropped training pair) and nothing (the library's default, and the
 * non-leading ranks of a distributed run). fs_seconds() is the clock the progress lines' rates
 * and ETAs are measured with. */
#ifndef FLOWSEQ_CORE_LOG_H
#define FLOWSEQ_CORE_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FS_LOG_SILENT, FS_LOG_WARNINGS, FS_LOG_ALL } fs_log_level;

void fs_log_set_level(fs_log_level level);

/* Progress and information: printed at FS_LOG_ALL. */
void fs_log(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Something the user should act on: printed at FS_LOG_WARNINGS and FS_LOG_ALL. */
void fs_warn(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds on a monotonic clock (differences only: rates, ETAs, profiles). */
double fs_seconds(void);

#ifdef __cplusplus
}
#endif

#endif
