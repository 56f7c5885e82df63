/* An encoded parallel corpus in memory: the implementation; data/pairs.h describes the interface. */
#include "data/pairs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"

/* 64-bit FNV-1a of both sides' ids, for duplicate detection. */
uint64_t fs_pair_hash(const int32_t *a, int na, const int32_t *b, int nb) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < na; i++) h = (h ^ (uint32_t)a[i]) * 1099511628211ull;
  h = (h ^ 0xFFFFFFFFu) * 1099511628211ull; /* side separator */
  for (int i = 0; i < nb; i++) h = (h ^ (uint32_t)b[i]) * 1099511628211ull;
  return h;
}

/* (hash, index) pairs ordered by hash, then index: the first occurrence sorts first. */
static int compare_hash_index(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  if (x[0] != y[0]) return (x[0] > y[0]) - (x[0] < y[0]);
  return (x[1] > y[1]) - (x[1] < y[1]);
}

fs_status fs_pairs_encode(const fs_spm *spm, const fs_text *src, const fs_text *tgt, const fs_clean_options *o,
                          fs_pairs *out, fs_clean_counts *counts) {
  int n = src->count;
  memset(out, 0, sizeof *out);
  memset(counts, 0, sizeof *counts);
  int32_t **s_ids = fs_calloc(n, sizeof *s_ids), **t_ids = fs_calloc(n, sizeof *t_ids);
  int *s_len = fs_calloc(n, sizeof(int)), *t_len = fs_calloc(n, sizeof(int));
  fs_status status = FS_OK;
  /* SentencePiece encoding is the expensive part and independent per line */
#pragma omp parallel for schedule(dynamic, 256)
  for (int i = 0; i < n; i++) {
    fs_status a = fs_spm_encode(spm, src->lines[i], &s_ids[i], &s_len[i]);
    fs_status b = a == FS_OK ? fs_spm_encode(spm, tgt->lines[i], &t_ids[i], &t_len[i]) : a;
    if (b != FS_OK) {
#pragma omp critical
      status = b;
    }
  }
  counts->read = n;
  uint64_t *seen = o->dedupe ? fs_malloc(sizeof(uint64_t) * (n ? n : 1)) : NULL;
  int n_seen = 0;
  out->src = fs_malloc(sizeof *out->src * (n ? n : 1));
  out->tgt = fs_malloc(sizeof *out->tgt * (n ? n : 1));
  out->src_len = fs_malloc(sizeof(int) * (n ? n : 1));
  out->tgt_len = fs_malloc(sizeof(int) * (n ? n : 1));
  out->line = fs_malloc(sizeof(int) * (n ? n : 1));
  for (int i = 0; status == FS_OK && i < n; i++) {
    int a = s_len[i], b = t_len[i];
    bool keep = true;
    if (a == 0 || b == 0) counts->empty++, keep = false;
    else if (o->max_length && (a > o->max_length || b > o->max_length)) counts->too_long++, keep = false;
    else if (o->max_ratio > 0 && (a > o->max_ratio * b || b > o->max_ratio * a)) counts->bad_ratio++, keep = false;
    if (keep && seen) seen[n_seen++] = fs_pair_hash(s_ids[i], a, t_ids[i], b);
    if (!keep) {
      free(s_ids[i]);
      free(t_ids[i]);
      continue;
    }
    out->src[out->count] = s_ids[i];
    out->tgt[out->count] = t_ids[i];
    out->src_len[out->count] = a;
    out->tgt_len[out->count] = b;
    out->line[out->count++] = i + 1;
  }
  if (status == FS_OK && seen) {
    /* keep the first occurrence of every (hash) pair: mark repeats by sorting (hash, index) */
    uint64_t *keyed = fs_malloc(sizeof(uint64_t) * 2 * (n_seen ? n_seen : 1));
    for (int i = 0; i < n_seen; i++) keyed[2 * i] = seen[i], keyed[2 * i + 1] = (uint64_t)i;
    qsort(keyed, n_seen, 2 * sizeof(uint64_t), compare_hash_index);
    bool *drop = fs_calloc(n_seen ? n_seen : 1, sizeof(bool));
    for (int i = 1; i < n_seen; i++)
      if (keyed[2 * i] == keyed[2 * i - 2]) drop[keyed[2 * i + 1]] = true;
    int w = 0;
    for (int i = 0; i < out->count; i++) {
      if (drop[i]) {
        free(out->src[i]);
        free(out->tgt[i]);
        counts->duplicates++;
        continue;
      }
      out->src[w] = out->src[i], out->tgt[w] = out->tgt[i];
      out->src_len[w] = out->src_len[i], out->tgt_len[w] = out->tgt_len[i], out->line[w] = out->line[i];
      w++;
    }
    out->count = w;
    free(drop);
    free(keyed);
  }
  counts->kept = out->count;
  free(seen);
  free(s_ids);
  free(t_ids);
  free(s_len);
  free(t_len);
  if (status != FS_OK) fs_pairs_free(out);
  return status;
}

void fs_pairs_free(fs_pairs *p) {
  for (int i = 0; !p->mapping && i < p->count; i++) {
    free(p->src[i]);
    free(p->tgt[i]);
  }
  if (p->mapping) munmap(p->mapping, p->mapping_size);
  free(p->src);
  free(p->tgt);
  free(p->src_len);
  free(p->tgt_len);
  free(p->line);
  memset(p, 0, sizeof *p);
}
