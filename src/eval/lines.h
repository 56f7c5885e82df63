/* Reading evaluation text as sacreBLEU does: UTF-8, lines split on '\n' only, each line
 * rstripped of Python whitespace (which also drops a '\r'). */
#ifndef FLOWSEQ_EVAL_LINES_H
#define FLOWSEQ_EVAL_LINES_H

#include <stdio.h>

#include "core/status.h"

typedef struct {
  char **lines;
  int count;
  char *path;
} fs_lines;

/* path "-" reads standard input. Invalid UTF-8 is an error naming the file and line. */
fs_status fs_lines_read(const char *path, fs_lines *out);
void fs_lines_free(fs_lines *l);

/* Standard input as sacreBLEU reads it when no -i is given: universal newlines ("\r\n", "\r"
 * and "\n" end a line), each line rstripped and split on TAB into one column per system (the
 * first line fixes the count; later fields are rstripped one by one). Systems are named
 * "System 1", "System 2", ...; *systems is malloc'd (free each with fs_lines_free, then it). */
fs_status fs_lines_read_columns(FILE *in, fs_lines **systems, int *n_systems);

#endif
