/* SIGINT / SIGTERM handling for long runs: the first signal sets a flag the training loop polls
 * (it then saves a checkpoint and exits); a second one terminates at once. */
#ifndef FLOWSEQ_TRAIN_SIGNALS_H
#define FLOWSEQ_TRAIN_SIGNALS_H

#include <stdbool.h>

void fs_signals_install(void);
bool fs_stop_requested(void);

#endif
