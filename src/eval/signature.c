/* sacreBLEU signatures: the implementation; eval/signature.h describes the interface. */
#include "eval/signature.h"

#include <stdio.h>
#include <string.h>

void fs_signature_compose(const fs_signature_test *test, const char *metric_fields, char *buf, size_t size) {
  if (test->bootstrap_n > 0)
    snprintf(buf, size, "nrefs:%d|bs:%d|seed:%llu|%s|version:%s", test->n_refs, test->bootstrap_n,
             (unsigned long long)test->seed, metric_fields, FS_SACREBLEU_VERSION);
  else snprintf(buf, size, "nrefs:%d|%s|version:%s", test->n_refs, metric_fields, FS_SACREBLEU_VERSION);
}

void fs_signature_short(const char *signature, char *buf, size_t size) {
  static const char *abbreviations[][2] = {{"nrefs", "#"},  {"seed", "rs"}, {"case", "c"},   {"eff", "e"},
                                           {"smooth", "s"}, {"space", "s"}, {"version", "v"}};
  size_t used = 0;
  buf[0] = '\0';
  for (const char *pair = signature; *pair && used + 1 < size;) {
    size_t key_len = strcspn(pair, ":"), pair_len = strcspn(pair, "|");
    const char *key = NULL;
    for (size_t k = 0; k < sizeof abbreviations / sizeof *abbreviations && !key; k++)
      if (strlen(abbreviations[k][0]) == key_len && !strncmp(pair, abbreviations[k][0], key_len))
        key = abbreviations[k][1];
    int wrote = key ? snprintf(buf + used, size - used, "%s%.*s", key, (int)(pair_len - key_len), pair + key_len)
                    : snprintf(buf + used, size - used, "%.*s", (int)pair_len, pair);
    used += (size_t)wrote < size - used ? (size_t)wrote : size - used - 1;
    pair += pair_len;
    if (*pair == '|') {
      if (used + 1 < size) buf[used++] = '|', buf[used] = '\0';
      pair++;
    }
  }
}
