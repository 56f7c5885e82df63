/* sacreBLEU's default "13a" tokenizer (the mteval-v13a.pl rules), exactly as sacrebleu 2.x
 * applies it; see docs/evaluation.md#tokenizer-13a for the rules and their order. */
#ifndef FLOWSEQ_EVAL_TOK13A_H
#define FLOWSEQ_EVAL_TOK13A_H

/* Tokenizes one (already rstripped, optionally lowercased) line; returns a malloc'd string. */
char *fs_tok13a(const char *line);

#endif
