/* The smallest program using libflowseq: translates one German sentence with a model directory
 * (the bundled FlowSeq model unless another is named) and prints the English. Build it against an
 * installed copy with  cc translate.c $(pkg-config --cflags --libs flowseq)  */
#include <flowseq.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *model = argc > 1 ? argv[1] : "models/flowseq-small-multi30k";
  const char *german[] = {argc > 2 ? argv[2] : "Ein Hund läuft durch den Schnee."};
  flowseq_translator *t = flowseq_open(model, NULL);
  char *english[1];
  if (!t || flowseq_translate(t, german, 1, NULL, english)) {
    fprintf(stderr, "translate: %s\n", flowseq_last_error());
    return 1;
  }
  puts(english[0]);
  free(english[0]);
  flowseq_close(t);
  return 0;
}
