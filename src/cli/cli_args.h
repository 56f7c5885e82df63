/* Strict parsing of numeric command-line values, shared by every subcommand: the whole value
 * must be a number in range, or the command stops with
 *   flowseq COMMAND: --option: expected an integer in [lo, hi], got 'x'
 * and exit status 2. Also the "unknown option" / "needs a value" check for the last argument. */
#ifndef FLOWSEQ_CLI_CLI_ARGS_H
#define FLOWSEQ_CLI_CLI_ARGS_H

#include <stdbool.h>

/* Each returns true and sets *out when v is a number in [lo, hi]; otherwise prints the error
 * (prefixed "flowseq COMMAND: ") and returns false: the caller then exits with status 2. */
bool cli_int(const char *command, const char *option, const char *v, long long lo, long long hi, int *out);
bool cli_long(const char *command, const char *option, const char *v, long long lo, long long hi, long *out);
bool cli_u64(const char *command, const char *option, const char *v, unsigned long long *out);
bool cli_double(const char *command, const char *option, const char *v, double lo, double hi, double *out);

/* Is o one of the NULL-terminated names? */
bool cli_is_one_of(const char *o, const char *const *names);

/* For an argument that is not a known option: prints "unknown option --x (see --help)", or
 * "unexpected argument 'x'" for a word not starting with '-', and returns 2. */
int cli_unknown(const char *command, const char *o);

#endif
