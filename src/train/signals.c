/* SIGINT / SIGTERM handling for long runs: the implementation; train/signals.h describes the interface. */
#define _POSIX_C_SOURCE 200809L
#include "train/signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  if (stop_flag) _exit(128 + sig);
  stop_flag = 1;
}

void fs_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

bool fs_stop_requested(void) { return stop_flag != 0; }
