/* Atomic output files (src/core/fileio.c): a regular file is replaced whole; a symlink survives
 * and its target gets the content; a FIFO is written through (a reader gets the bytes, the FIFO
 * stays); /dev/null stays a character device; /dev/stdout on a file opened for appending is
 * appended to; a full disk (/dev/full) is reported with its cause. Outputs that are inputs are
 * refused by any of the file's names, and a checked output stream fails at its first failed write,
 * naming the file and the cause. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "test.h"

static char dir[] = "/tmp/flowseq-fileio-XXXXXX";

static const char *at(const char *name) { return test_path_in(dir, name); }

static fs_status write_all(const char *path, const char *text) {
  fs_atomic_file f;
  FS_TRY(fs_atomic_open(&f, path));
  fputs(text, f.file);
  return fs_atomic_commit(&f);
}

static void test_regular_and_new(void) {
  CHECK(write_all(at("new.txt"), "one\n") == FS_OK && test_file_equals(at("new.txt"), "one\n"));
  CHECK(write_all(at("new.txt"), "two\n") == FS_OK && test_file_equals(at("new.txt"), "two\n"));
  fs_atomic_file f;
  CHECK(fs_atomic_open(&f, at("new.txt")) == FS_OK);
  fputs("abandoned\n", f.file);
  fs_atomic_abort(&f);
  CHECK(test_file_equals(at("new.txt"), "two\n"));
}

/* Issue 13: -o LINK replaced the symlink by a regular file. */
static void test_symlink(void) {
  CHECK(write_all(at("target.txt"), "old\n") == FS_OK && symlink("target.txt", at("link.txt")) == 0);
  CHECK_MSG(write_all(at("link.txt"), "new\n") == FS_OK, "%s", fs_last_error());
  struct stat st;
  CHECK(lstat(at("link.txt"), &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(test_file_equals(at("target.txt"), "new\n"));
}

/* Issue 13: -o FIFO replaced the FIFO by a regular file (the reader never got a byte). */
static void test_fifo(void) {
  CHECK(mkfifo(at("fifo"), 0600) == 0);
  pid_t child = fork();
  if (child == 0) { /* the reader: copies what comes through the FIFO to fifo.out */
    alarm(20);      /* never hang the test when the FIFO was not written through */
    FILE *in = fopen(at("fifo"), "r"), *out = fopen(at("fifo.out"), "w");
    int c;
    while (in && out && (c = fgetc(in)) != EOF) fputc(c, out);
    if (out) fclose(out);
    _exit(0);
  }
  CHECK_MSG(write_all(at("fifo"), "through\n") == FS_OK, "%s", fs_last_error());
  struct stat st;
  bool still_fifo = lstat(at("fifo"), &st) == 0 && S_ISFIFO(st.st_mode);
  CHECK(still_fifo);
  if (!still_fifo) kill(child, SIGKILL); /* it waits on the unlinked FIFO */
  waitpid(child, NULL, 0);
  CHECK(test_file_equals(at("fifo.out"), "through\n"));
}

/* Issue 13: -o /dev/null (as root) replaced the device node by a regular file. */
static void test_dev_null(void) {
  CHECK_MSG(write_all("/dev/null", "nothing\n") == FS_OK, "%s", fs_last_error());
  struct stat st;
  CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}

/* /dev/stdout redirected to a regular file in append mode is appended to (not replaced). */
static void test_dev_stdout(void) {
  CHECK(write_all(at("log.txt"), "before\n") == FS_OK);
  struct stat before, after;
  CHECK(stat(at("log.txt"), &before) == 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int fd = open(at("log.txt"), O_WRONLY | O_APPEND);
    if (fd < 0 || dup2(fd, 1) < 0) _exit(2);
    _exit(write_all("/dev/stdout", "after\n") == FS_OK ? 0 : 1);
  }
  int status = -1;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(stat(at("log.txt"), &after) == 0 && after.st_ino == before.st_ino);
  CHECK(test_file_equals(at("log.txt"), "before\nafter\n"));
}

/* Issue 13: a full disk must say so ("No space left on device"), not just "failed". */
static void test_disk_full(void) {
  if (access("/dev/full", W_OK) != 0) {
    fprintf(stderr, "note: no /dev/full; the disk-full check is skipped\n");
    return;
  }
  CHECK(write_all("/dev/full", "x") == FS_ERR_IO && strstr(fs_last_error(), strerror(ENOSPC)) &&
        strstr(fs_last_error(), "/dev/full"));
  FILE *big = fopen(at("source.txt"), "w"); /* more than a stdio buffer: the copy loop itself fails */
  for (int i = 0; i < 20000; i++) fputs("some bytes\n", big);
  fclose(big);
  CHECK_MSG(fs_copy_file(at("source.txt"), "/dev/full") == FS_ERR_IO && strstr(fs_last_error(), "copying") &&
                strstr(fs_last_error(), strerror(ENOSPC)),
            "%s", fs_last_error());
}

/* Issue 22: an output that is an input is refused, by any name of the file; other files, files
 * that do not exist yet and devices are not. */
static void test_output_not_input(void) {
  char a[512], b[512], missing[512]; /* at() reuses its buffers */
  snprintf(a, sizeof a, "%s", at("in.txt"));
  snprintf(missing, sizeof missing, "%s", at("missing.txt"));
  CHECK(write_all(a, "input\n") == FS_OK && write_all(at("other.txt"), "other\n") == FS_OK);
  CHECK(symlink("in.txt", at("in.link")) == 0 && link(a, at("in.hard")) == 0);
  const char *inputs[] = {NULL, missing, a};
  const char *same[] = {"in.txt", "in.link", "in.hard"};
  for (int i = 0; i < 3; i++) {
    snprintf(b, sizeof b, "%s", at(same[i]));
    CHECK_MSG(
        fs_output_not_input(b, inputs, 3) == FS_ERR_ARG && strstr(fs_last_error(), "is the same file as the input"),
        "%s: %s", same[i], fs_last_error());
  }
  CHECK(fs_output_not_input(at("other.txt"), inputs, 3) == FS_OK);
  CHECK(fs_output_not_input(at("new.out"), inputs, 3) == FS_OK);
  const char *devices[] = {"/dev/null"};
  CHECK(fs_output_not_input("/dev/null", devices, 1) == FS_OK);
}

/* Issue 22: a failed write says where and why, at once, and every later call fails too. */
static void test_checked_output(void) {
  fs_output o;
  CHECK(fs_output_open(&o, at("out.txt")) == FS_OK);
  CHECK(fs_output_printf(&o, "%d\n", 42) == FS_OK && fs_output_write(&o, "x\n", 2) == FS_OK);
  CHECK(fs_output_close(&o) == FS_OK && test_file_equals(at("out.txt"), "42\nx\n"));
  if (access("/dev/full", W_OK) != 0) return;
  CHECK(fs_output_open(&o, "/dev/full") == FS_OK);
  fs_status s = FS_OK;
  int lines = 0;
  for (; s == FS_OK && lines < 100000; lines++) s = fs_output_printf(&o, "line %d of some text\n", lines);
  CHECK_MSG(s == FS_ERR_IO && lines < 1000 && strstr(fs_last_error(), "/dev/full: write failed: ") &&
                strstr(fs_last_error(), strerror(ENOSPC)),
            "after %d lines: %s", lines, fs_last_error());
  CHECK(fs_output_write(&o, "y", 1) == FS_ERR_IO && fs_output_close(&o) == FS_ERR_IO);
  CHECK(strstr(fs_last_error(), strerror(ENOSPC)) != NULL);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_regular_and_new();
  test_symlink();
  test_fifo();
  test_dev_null();
  test_dev_stdout();
  test_disk_full();
  test_output_not_input();
  test_checked_output();
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
  return test_summary();
}
