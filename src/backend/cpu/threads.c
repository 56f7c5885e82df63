/* CPU threads: the implementation; backend/cpu/threads.h explains the choices. */
#define _GNU_SOURCE
#include "backend/cpu/threads.h"

#include <cblas.h>
#include <errno.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* The CPU quota of this process's cgroup in cores, rounded up, or 0 for none. */
static int cgroup_quota(void) {
  long long quota = -1, period = 0;
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r"); /* cgroup v2: "max 100000" or "QUOTA PERIOD" */
  if (f) {
    char q[32];
    if (fscanf(f, "%31s %lld", q, &period) == 2 && strcmp(q, "max")) quota = atoll(q);
    fclose(f);
  } else if ((f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r"))) { /* cgroup v1 */
    if (fscanf(f, "%lld", &quota) != 1) quota = -1;
    fclose(f);
    if ((f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r"))) {
      if (fscanf(f, "%lld", &period) != 1) period = 0;
      fclose(f);
    }
  }
  if (quota <= 0 || period <= 0) return 0;
  return (int)((quota + period - 1) / period);
}

int fs_threads_available(void) {
  cpu_set_t set;
  int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  int quota = cgroup_quota();
  if (quota > 0 && quota < cores) cores = quota;
  return cores > 0 ? cores : 1;
}

/* Restarts the program with a bounded spin unless the user chose a wait policy. */
static void choose_wait_policy(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
  setenv("GOMP_SPINCOUNT", FS_SPIN_COUNT, 1);
  execv("/proc/self/exe", argv);
  /* still here: the policy stays libgomp's default, only slower beside other work */
  fs_log("engine", "could not restart with a bounded OpenMP spin (execv: %s)", strerror(errno));
}

int fs_threads_setup(int *argc, char **argv) {
  choose_wait_policy(argv);
  int threads = 0;
  for (int i = 1; i < *argc; i++) {
    if (strcmp(argv[i], "--threads")) continue;
    char *end = NULL;
    long n = i + 1 < *argc ? strtol(argv[i + 1], &end, 10) : 0;
    if (!end || *end || n < 1 || n > 4096) {
      fprintf(stderr, "flowseq: --threads: expected an integer in [1, 4096], got '%s'\n",
              i + 1 < *argc ? argv[i + 1] : "");
      return 2;
    }
    threads = (int)n;
    memmove(&argv[i], &argv[i + 2], sizeof(char *) * (size_t)(*argc - i - 1)); /* argv[argc] (NULL) moves too */
    *argc -= 2;
    i--;
  }
  if (threads) { /* --threads overrides the environment */
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
  } else if (!getenv("OMP_NUM_THREADS")) { /* OpenBLAS follows OMP_NUM_THREADS unless told otherwise */
    threads = fs_threads_available();
    omp_set_num_threads(threads);
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(threads);
  }
  return 0;
}
