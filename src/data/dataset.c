/* Binarized datasets: the implementation; data/dataset.h describes the interface. */
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/log.h"

#define MAGIC "FSQDATA1"
#define VERSION 1u
#define CHUNK 65536 /* pairs read, encoded and written at a time */

typedef struct {
  char magic[8];
  uint32_t version, reserved;
  uint64_t spm_checksum, body_checksum, pairs, src_tokens, tgt_tokens;
  uint64_t padding;
} header;

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}
#define FNV_START 1469598103934665603ull

fs_status fs_file_checksum(const char *path, uint64_t *out) {
  FILE *f;
  FS_TRY(fs_open_read(path, &f));
  char buf[1 << 16];
  size_t n;
  uint64_t h = FNV_START;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = fnv(h, buf, n);
  fclose(f);
  *out = h;
  return FS_OK;
}

/* Open-addressing set of pair hashes across chunks (0 marks an empty slot). */
typedef struct {
  uint64_t *slots;
  size_t capacity, count;
} hash_set;

static bool hash_set_insert(hash_set *h, uint64_t key) {
  if (!key) key = 1;
  if (2 * (h->count + 1) > h->capacity) {
    hash_set bigger = {fs_calloc(h->capacity ? 2 * h->capacity : 1 << 16, sizeof(uint64_t)),
                       h->capacity ? 2 * h->capacity : 1 << 16, 0};
    for (size_t i = 0; i < h->capacity; i++)
      if (h->slots[i]) hash_set_insert(&bigger, h->slots[i]);
    free(h->slots);
    *h = bigger;
  }
  for (size_t i = key % h->capacity;; i = (i + 1) % h->capacity) {
    if (h->slots[i] == key) return false;
    if (!h->slots[i]) {
      h->slots[i] = key;
      h->count++;
      return true;
    }
  }
}

static FILE *temp_file(void) { return tmpfile(); }

/* Appends the whole of `from` (rewound) to `to`, folding its bytes into *checksum. */
static fs_status append(fs_output *to, FILE *from, uint64_t *checksum) {
  rewind(from);
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, from)) > 0) {
    *checksum = fnv(*checksum, buf, n);
    FS_TRY(fs_output_write(to, buf, n));
  }
  return ferror(from) ? fs_error(FS_ERR_IO, "prep: a temporary file: read failed: %s", strerror(errno)) : FS_OK;
}

/* The four temporary files (one per column of the dataset) after a chunk's writes. */
static fs_status temp_files_written(FILE *const *parts) {
  for (int k = 0; k < 4; k++)
    if (fflush(parts[k]) || ferror(parts[k]))
      return fs_error(FS_ERR_IO, "prep: a temporary file (in %s): write failed: %s", P_tmpdir, strerror(errno));
  return FS_OK;
}

fs_status fs_dataset_prep(const char *spm_path, const char *src_spec, const char *tgt_spec, const fs_clean_options *o,
                          const char *out_path, fs_clean_counts *counts) {
  memset(counts, 0, sizeof *counts);
  header h = {{0}, VERSION, 0, 0, 0, 0, 0, 0, 0};
  memcpy(h.magic, MAGIC, 8);
  FS_TRY(fs_file_checksum(spm_path, &h.spm_checksum));
  fs_spm *spm;
  FS_TRY(fs_spm_load(spm_path, &spm));
  fs_line_reader *rs = NULL, *rt = NULL;
  fs_status s = fs_line_reader_open(src_spec, &rs);
  if (s == FS_OK) s = fs_line_reader_open(tgt_spec, &rt);
  FILE *src_len = temp_file(), *tgt_len = temp_file(), *src_ids = temp_file(), *tgt_ids = temp_file();
  if (s == FS_OK && (!src_len || !tgt_len || !src_ids || !tgt_ids))
    s = fs_error(FS_ERR_IO, "dataset: no temporary files");
  hash_set seen = {0};
  fs_clean_options chunk_options = *o;
  chunk_options.dedupe = false; /* done across chunks here */
  for (bool more = true; s == FS_OK && more;) {
    fs_text a = {0}, b = {0};
    int capacity = CHUNK;
    a.lines = fs_malloc(sizeof(char *) * capacity);
    b.lines = fs_malloc(sizeof(char *) * capacity);
    while (s == FS_OK && a.count < CHUNK) {
      char *x, *y;
      s = fs_line_reader_next(rs, &x);
      if (s == FS_OK) s = fs_line_reader_next(rt, &y);
      if (s != FS_OK || (!x && !y)) {
        more = false;
        break;
      }
      if (!x || !y) {
        s = fs_error(FS_ERR_FORMAT, "%s ends after %d sentences but %s goes on: the sides must match line for line",
                     x ? tgt_spec : src_spec, counts->read + a.count, x ? src_spec : tgt_spec);
        free(x ? x : y);
        break;
      }
      a.lines[a.count++] = x;
      b.lines[b.count++] = y;
    }
    fs_pairs p;
    fs_clean_counts c;
    if (s == FS_OK && a.count) s = fs_pairs_encode(spm, &a, &b, &chunk_options, &p, &c);
    if (s == FS_OK && a.count) {
      counts->read += c.read, counts->empty += c.empty, counts->too_long += c.too_long,
          counts->bad_ratio += c.bad_ratio;
      for (int i = 0; i < p.count; i++) {
        if (o->dedupe && !hash_set_insert(&seen, fs_pair_hash(p.src[i], p.src_len[i], p.tgt[i], p.tgt_len[i]))) {
          counts->duplicates++;
          continue;
        }
        uint32_t ls = (uint32_t)p.src_len[i], lt = (uint32_t)p.tgt_len[i];
        fwrite(&ls, 4, 1, src_len);
        fwrite(&lt, 4, 1, tgt_len);
        fwrite(p.src[i], 4, ls, src_ids);
        fwrite(p.tgt[i], 4, lt, tgt_ids);
        h.pairs++, h.src_tokens += ls, h.tgt_tokens += lt;
      }
      fs_pairs_free(&p);
      s = temp_files_written((FILE *[]){src_len, tgt_len, src_ids, tgt_ids});
      fs_log("data", "prep: %d pairs read, %llu kept", counts->read, (unsigned long long)h.pairs);
    }
    fs_text_free(&a);
    fs_text_free(&b);
  }
  counts->kept = (int)h.pairs;
  if (s == FS_OK && h.pairs == 0) /* a dataset without a pair cannot be trained on: no file */
    s = fs_error(FS_ERR_ARG,
                 "%s: no pair is left to write (%d read; dropped %d empty, %d too long, %d bad length ratio, "
                 "%d duplicates)",
                 out_path, counts->read, counts->empty, counts->too_long, counts->bad_ratio, counts->duplicates);
  fs_output out; /* every write checked: a full disk says so, naming out_path */
  if (s == FS_OK) s = fs_output_open(&out, out_path);
  if (s == FS_OK) {
    s = fs_output_write(&out, &h, sizeof h); /* rewritten with the checksum below */
    uint64_t checksum = FNV_START;
    FILE *parts[4] = {src_len, tgt_len, src_ids, tgt_ids};
    for (int k = 0; k < 4 && s == FS_OK; k++) s = append(&out, parts[k], &checksum);
    h.body_checksum = checksum;
    if (s == FS_OK) s = fs_output_flush(&out); /* a full disk shows here, not as a failed seek */
    if (s == FS_OK && fseek(out.file, 0, SEEK_SET))
      s = fs_error(FS_ERR_IO, "%s: cannot go back to the header: %s", out_path, strerror(errno));
    if (s == FS_OK) s = fs_output_write(&out, &h, sizeof h);
    s = s == FS_OK ? fs_output_close(&out) : (fs_output_abort(&out), s);
  }
  FILE *parts[4] = {src_len, tgt_len, src_ids, tgt_ids};
  for (int k = 0; k < 4; k++)
    if (parts[k]) fclose(parts[k]);
  free(seen.slots);
  fs_line_reader_close(rs);
  fs_line_reader_close(rt);
  fs_spm_free(spm);
  return s;
}

/* The file holds exactly the header's counts. Checked by division, not by computing the
 * expected size, which crafted counts can overflow back to the real size. */
static bool sizes_fit(const header *h, size_t size) {
  uint64_t body = size - sizeof *h;
  if (h->pairs > INT_MAX || h->pairs > body / 8) return false;
  body -= 8 * h->pairs;
  if (h->src_tokens > body / 4) return false;
  body -= 4 * h->src_tokens;
  return h->tgt_tokens <= body / 4 && body - 4 * h->tgt_tokens == 0;
}

/* The checksums only catch accidents (anyone can recompute them), so a crafted file is checked
 * for what training relies on: the lengths add up to the token counts, every id is in the vocabulary. */
static fs_status check_body(const char *path, const header *h, const char *base, int vocab) {
  uint64_t n = h->pairs, total[2] = {0, 0};
  const uint32_t *len = (const uint32_t *)(base + sizeof *h);
  for (uint64_t i = 0; i < 2 * n; i++) total[i >= n] += len[i]; /* source lengths, then target lengths */
  if (total[0] != h->src_tokens || total[1] != h->tgt_tokens)
    return fs_error(FS_ERR_FORMAT,
                    "%s: the pair lengths add up to %llu source and %llu target tokens, the header says "
                    "%llu and %llu (corrupted or crafted file)",
                    path, (unsigned long long)total[0], (unsigned long long)total[1], (unsigned long long)h->src_tokens,
                    (unsigned long long)h->tgt_tokens);
  const int32_t *ids = (const int32_t *)(len + 2 * n);
  uint64_t count = h->src_tokens + h->tgt_tokens;
  for (uint64_t i = 0; i < count; i++)
    if (ids[i] < 0 || ids[i] >= vocab)
      return fs_error(FS_ERR_FORMAT,
                      "%s: %s token %llu has id %d, outside the tokenizer's vocabulary [0, %d) "
                      "(corrupted or crafted file)",
                      path, i < h->src_tokens ? "source" : "target",
                      (unsigned long long)(i < h->src_tokens ? i : i - h->src_tokens), ids[i], vocab);
  return FS_OK;
}

fs_status fs_dataset_load(const char *path, const char *spm_path, int vocab, fs_pairs *out) {
  memset(out, 0, sizeof *out);
  FS_TRY(fs_check_readable_file(path)); /* a directory opens, and mapping it failed with "No such device" */
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  fstat(fd, &st);
  size_t size = (size_t)st.st_size;
  if (size < sizeof(header)) {
    close(fd);
    return fs_error(FS_ERR_FORMAT, "%s: too short for a flowseq dataset (truncated?)", path);
  }
  char *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (base == MAP_FAILED) return fs_error(FS_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
  header h;
  memcpy(&h, base, sizeof h);
  uint64_t spm_checksum = 0;
  fs_status s = FS_OK;
  if (memcmp(h.magic, MAGIC, 8)) s = fs_error(FS_ERR_FORMAT, "%s: not a flowseq dataset (bad magic)", path);
  else if (h.version != VERSION)
    s = fs_error(FS_ERR_FORMAT, "%s: dataset version %u, this flowseq reads %u", path, h.version, VERSION);
  else if (!sizes_fit(&h, size))
    s = fs_error(FS_ERR_FORMAT,
                 "%s: %zu bytes, but its header describes %llu pairs, %llu source and %llu target tokens "
                 "(truncated or corrupted)",
                 path, size, (unsigned long long)h.pairs, (unsigned long long)h.src_tokens,
                 (unsigned long long)h.tgt_tokens);
  else if (fnv(FNV_START, base + sizeof h, size - sizeof h) != h.body_checksum)
    s = fs_error(FS_ERR_FORMAT, "%s: checksum mismatch: the file is corrupted", path);
  else if ((s = fs_file_checksum(spm_path, &spm_checksum)) == FS_OK && spm_checksum != h.spm_checksum)
    s = fs_error(FS_ERR_FORMAT, "%s was prepared with another tokenizer than %s: run flowseq prep again", path,
                 spm_path);
  if (s == FS_OK) s = check_body(path, &h, base, vocab);
  if (s == FS_OK && h.pairs == 0)
    s = fs_error(FS_ERR_FORMAT, "%s: the dataset holds no pair: nothing to train on", path);
  if (s != FS_OK) {
    munmap(base, size);
    return s;
  }
  int n = (int)h.pairs;
  const uint32_t *sl = (const uint32_t *)(base + sizeof h), *tl = sl + n;
  int32_t *ids = (int32_t *)(tl + n);
  out->count = n;
  out->src = fs_malloc(sizeof *out->src * (n ? n : 1));
  out->tgt = fs_malloc(sizeof *out->tgt * (n ? n : 1));
  out->src_len = fs_malloc(sizeof(int) * (n ? n : 1));
  out->tgt_len = fs_malloc(sizeof(int) * (n ? n : 1));
  out->line = fs_malloc(sizeof(int) * (n ? n : 1));
  int32_t *src = ids, *tgt = ids + h.src_tokens;
  for (int i = 0; i < n; i++) {
    out->src[i] = src, out->src_len[i] = (int)sl[i], src += sl[i];
    out->tgt[i] = tgt, out->tgt_len[i] = (int)tl[i], tgt += tl[i];
    out->line[i] = i + 1;
  }
  out->mapping = base;
  out->mapping_size = size;
  return FS_OK;
}
