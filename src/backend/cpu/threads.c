/* CPU threads: the implementation; backend/cpu/threads.h explains the choices. */
#define _GNU_SOURCE
#include "backend/cpu/threads.h"

#include <cblas.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

void fs_threads_wait_policy(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
  setenv("GOMP_SPINCOUNT", FS_SPIN_COUNT, 1);
  execv("/proc/self/exe", argv);
  /* still here: the policy stays libgomp's default, only slower beside other work */
  fs_log("engine", "could not restart with a bounded OpenMP spin (execv: %s)", strerror(errno));
}

/* The thread count fs_threads_adapt may use at most; 0 while the user fixed it (or before setup, in
 * a program that links the library: the first adaptation then takes OpenMP's own count). */
static int adaptable = -1;

/* Runnable tasks on the machine now (/proc/stat's procs_running), or -1. */
static int machine_running(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  while (n < 0 && fgets(line, sizeof line, f))
    if (!strncmp(line, "procs_running ", 14)) n = atoi(line + 14);
  fclose(f);
  return n;
}

/* This process's threads that are running or runnable now. */
static int own_running(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return 1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    const char *state = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold anything */
    if (state && state[1] == ' ' && state[2] == 'R') n++;
  }
  closedir(d);
  return n > 0 ? n : 1;
}

void fs_threads_adapt(void) {
  static double last;
  static int current;
  if (adaptable == -1) adaptable = getenv("OMP_NUM_THREADS") ? 0 : omp_get_max_threads();
  if (adaptable <= 1) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double t = (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
  if (current && t - last < 0.2) return;
  last = t;
  /* the fewest other runnable tasks in four looks 0.5 ms apart: a busy process is in every one,
   * a kernel worker or a process that wakes for a moment is not */
  int others = INT_MAX;
  for (int k = 0; k < 4; k++) {
    int running = machine_running();
    if (running < 0) return;
    int n = running - own_running();
    others = n < others ? n : others;
    if (others <= 0) break;
    nanosleep(&(struct timespec){0, 500000}, NULL);
  }
  int free_cores = fs_threads_available() - (others > 0 ? others : 0);
  int n = free_cores < 1 ? 1 : free_cores > adaptable ? adaptable : free_cores;
  if (n == current) return;
  current = n;
  omp_set_num_threads(n);
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(n);
}

int fs_threads_setup(int *argc, char **argv) {
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
  adaptable = 0;
  if (threads) { /* --threads overrides the environment */
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
  } else if (!getenv("OMP_NUM_THREADS")) { /* OpenBLAS follows OMP_NUM_THREADS unless told otherwise */
    threads = adaptable = fs_threads_available();
    omp_set_num_threads(threads);
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(threads);
  }
  return 0;
}
