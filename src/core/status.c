/* Status codes and error messages: the implementation; core/status.h describes the interface. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

fs_status fs_error(fs_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return code;
}

const char *fs_last_error(void) { return last_message; }

const char *fs_status_name(fs_status s) {
  switch (s) {
    case FS_OK:
      return "ok";
    case FS_ERR_ARG:
      return "invalid argument";
    case FS_ERR_IO:
      return "i/o error";
    case FS_ERR_FORMAT:
      return "format error";
    case FS_ERR_MEMORY:
      return "out of memory";
    case FS_ERR_DEVICE:
      return "device error";
    case FS_ERR_INTERNAL:
      return "internal error";
  }
  return "unknown error";
}
