/* Reading evaluation text as sacreBLEU does: UTF-8, lines split on '\n' only, each line
 * rstripped of Python whitespace (which also drops a '\r'). */
#ifndef FLOWSEQ_EVAL_LINES_H
#define FLOWSEQ_EVAL_LINES_H

#include "core/status.h"

typedef struct {
  char **lines;
  int count;
  char *path;
} fs_lines;

/* path "-" reads standard input. Invalid UTF-8 is an error naming the file and line. */
fs_status fs_lines_read(const char *path, fs_lines *out);
void fs_lines_free(fs_lines *l);

#endif
