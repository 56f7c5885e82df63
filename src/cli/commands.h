/* One entry point per subcommand; each lives in its own cmd_<name>.c and handles --help.
 * argv[0] is the subcommand name. Returns the process exit code. */
#ifndef FLOWSEQ_CLI_COMMANDS_H
#define FLOWSEQ_CLI_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_bleu(int argc, char **argv);
int cmd_vocab(int argc, char **argv);
int cmd_prep(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_translate(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_distill(int argc, char **argv);
int cmd_average(int argc, char **argv);

#endif
