/*
 * cli.h: the kindred command line.  Each command lives in its own file
 * src/cli/cmd_NAME.c and exposes one entry point with main()'s shape;
 * main.c dispatches on argv[1] and prints help from the table.
 *
 * Exit codes (documented in README.md):
 *   0 success; 1 the command ran and failed (I/O, database, server);
 *   2 usage error (unknown command or option, bad argument);
 *   3 configuration or data-directory problem (also: a master key that
 *     opens none of the data keys a rotation re-wrapped).
 */
#ifndef KD_CLI_H
#define KD_CLI_H

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_CONFIG = 3 };

/* argv[0] is the command name ("serve"); returns an exit code above. */
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_score(int argc, char **argv);
/* Hidden: the route table as JSON, for tests. */
int cmd_routes(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);

#endif
