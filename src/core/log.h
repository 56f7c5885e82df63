/* Logging on stderr: "[2026-11-28 17:59:01] [tag] message". Tags used across the project:
 * train, valid, data, decode, eval, engine. fs_log_quiet(1) silences info lines (--quiet).
 * fs_seconds() is the clock the progress lines' rates and ETAs are measured with. */
#ifndef FLOWSEQ_CORE_LOG_H
#define FLOWSEQ_CORE_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

void fs_log(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fs_log_quiet(int quiet);
int fs_log_is_quiet(void);

/* Seconds on a monotonic clock (differences only: rates, ETAs, profiles). */
double fs_seconds(void);

#ifdef __cplusplus
}
#endif

#endif
