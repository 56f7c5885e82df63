/* Strict parsing of numeric command-line values, shared by every subcommand:
 * the implementation; cli/cli_args.h describes the interface. */
#include "cli/cli_args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_ll(const char *v, long long lo, long long hi, long long *out) {
  if (!v || !*v || isspace((unsigned char)*v)) return false;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || *end || x < lo || x > hi) return false;
  *out = x;
  return true;
}

static bool int_error(const char *command, const char *option, const char *v, long long lo, long long hi) {
  fprintf(stderr, "flowseq %s: %s: expected an integer in [%lld, %lld], got '%s'\n", command, option, lo, hi,
          v ? v : "");
  return false;
}

bool cli_int(const char *command, const char *option, const char *v, long long lo, long long hi, int *out) {
  long long x;
  if (!parse_ll(v, lo, hi, &x)) return int_error(command, option, v, lo, hi);
  *out = (int)x;
  return true;
}

bool cli_long(const char *command, const char *option, const char *v, long long lo, long long hi, long *out) {
  long long x;
  if (!parse_ll(v, lo, hi, &x)) return int_error(command, option, v, lo, hi);
  *out = (long)x;
  return true;
}

bool cli_u64(const char *command, const char *option, const char *v, unsigned long long *out) {
  char *end;
  errno = 0;
  unsigned long long x = v && isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
  if (!v || !isdigit((unsigned char)*v) || errno || *end) {
    fprintf(stderr, "flowseq %s: %s: expected an integer in [0, %llu], got '%s'\n", command, option,
            (unsigned long long)-1, v ? v : "");
    return false;
  }
  *out = x;
  return true;
}

bool cli_double(const char *command, const char *option, const char *v, double lo, double hi, double *out) {
  char *end = NULL;
  errno = 0;
  double x = v && *v && !isspace((unsigned char)*v) ? strtod(v, &end) : NAN;
  if (!end || end == v || *end || errno || !isfinite(x) || x < lo || x > hi) {
    fprintf(stderr, "flowseq %s: %s: expected a number in [%g, %g], got '%s'\n", command, option, lo, hi, v ? v : "");
    return false;
  }
  *out = x;
  return true;
}

bool cli_is_one_of(const char *o, const char *const *names) {
  for (; *names; names++)
    if (!strcmp(o, *names)) return true;
  return false;
}

int cli_unknown(const char *command, const char *o) {
  if (o[0] == '-' && o[1]) fprintf(stderr, "flowseq %s: unknown option %s (see --help)\n", command, o);
  else fprintf(stderr, "flowseq %s: unexpected argument '%s' (see --help)\n", command, o);
  return 2;
}
