/* How many CPU threads flowseq computes with, and how they wait for each other.
 *
 * Waiting: OpenMP threads that reach a barrier first spin for a while before they sleep (libgomp:
 * about 300000 polls). On a quiet machine that saves a wake-up; beside other busy processes it
 * is a disaster: the spinning thread holds a core while the thread it waits for is descheduled,
 * and decoding, which crosses a barrier per operation, ran 5x slower beside one busy loop and
 * 56x beside two on 2 cores. libgomp reads its wait policy from the environment once, when it is
 * loaded, so the program restarts itself once with a short bounded spin (GOMP_SPINCOUNT) unless
 * the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT. A program linking libflowseq sets them itself
 * (include/flowseq.h).
 *
 * Thread count: `--threads N` on any command, else OMP_NUM_THREADS, else the cores this process
 * may use: its CPU affinity, capped by a cgroup CPU quota (containers, systemd slices). In that
 * last case decoding also gives way to other busy processes (fs_threads_adapt): a spin that ends
 * sooner does not help a barrier whose last thread waits for a core, fewer threads do. */
#ifndef FLOWSEQ_BACKEND_CPU_THREADS_H
#define FLOWSEQ_BACKEND_CPU_THREADS_H

/* The spin count the program restarts with (docs/architecture.md#threads). */
#define FS_SPIN_COUNT "10000"

/* Restarts the program (execv of /proc/self/exe, same argv) with GOMP_SPINCOUNT = FS_SPIN_COUNT
 * unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set. First thing in main: the BLAS kernel choice,
 * which may restart the program too, keeps its own state only until it is done. */
void fs_threads_wait_policy(char **argv);

/* Removes `--threads N` from argv (updating *argc) and applies it, or the default above, to OpenMP
 * and OpenBLAS. Returns 0, or 2 after printing an error for a bad --threads value. */
int fs_threads_setup(int *argc, char **argv);

/* Decoding calls this before each batch. When flowseq chose the thread count itself (no --threads,
 * no OMP_NUM_THREADS), it counts the other runnable tasks on the machine (/proc/stat's
 * procs_running, less this process's own running threads) at most every 0.2 s, and computes the
 * next batches with the cores they leave free, at least one: a parallel region whose threads
 * outnumber the free cores stalls at every barrier on a thread that waits for a core, so beside
 * busy processes fewer threads finish sooner. Training keeps its count (its workers' random
 * streams depend on it). */
void fs_threads_adapt(void);

/* The cores this process may use: its affinity mask's count, capped by the cgroup v2 (cpu.max) or
 * v1 (cpu.cfs_quota_us / cpu.cfs_period_us) quota rounded up; at least 1. */
int fs_threads_available(void);

#endif
