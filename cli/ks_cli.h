/* Subcommands of the kyso CLI.  Each returns the process exit status
 * (DESIGN.md, CLI contract: 0 passed, 1 failed, 2 indeterminate, 3 usage
 * or I/O error). */
#ifndef KS_CLI_H
#define KS_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "ks_err.h"

enum ks_exit {
	KS_EXIT_OK = 0,
	KS_EXIT_FAILED = 1,
	KS_EXIT_INDETERMINATE = 2,
	KS_EXIT_USAGE = 3,
};

int ks_cli_tokens(int argc, char **argv);
int ks_cli_keys(int argc, char **argv);
int ks_cli_sign(int argc, char **argv);
int ks_cli_verify(int argc, char **argv);
int ks_cli_extend(int argc, char **argv);
int ks_cli_timestamp(int argc, char **argv);
int ks_cli_tsa(int argc, char **argv);
int ks_cli_render(int argc, char **argv);
int ks_cli_trust(int argc, char **argv);
int ks_cli_serve(int argc, char **argv);
int ks_cli_audit(int argc, char **argv);
int ks_cli_client(int argc, char **argv);
int ks_cli_agent(int argc, char **argv);
int ks_cli_activate(int argc, char **argv);

/* Print the current error as "kyso: <what>: <message>" on stderr. */
void ks_cli_error(const char *what);
/* Exit status of sign, keys and tokens for the current error (docs/cli.md):
 * KS_EXIT_FAILED when a PIN or key password was refused or is missing,
 * KS_EXIT_USAGE for everything else. */
int ks_cli_exit_for_error(void);

/* Options given so far on one command line: each may be given once (a
 * repeat would silently replace the first value).  Zero it, then call
 * ks_cli_once() for every option parsed. */
#define KS_CLI_MAX_OPTIONS 64
struct ks_cli_seen {
	const char *names[KS_CLI_MAX_OPTIONS];
	unsigned n;
};
KS_WUR int ks_cli_once(struct ks_cli_seen *seen, const char *name);

/* The options of a listing command (tokens, keys): [--uri URI] [--json]
 * [--help].  -1 to go on; otherwise the exit status (help printed, or a
 * usage error reported). */
int ks_cli_list_opts(const char *cmd, int argc, char **argv, void (*usage)(FILE *f),
		     const char **uri, bool *json);

/* A time given as "YYYY-MM-DDTHH:MM:SSZ" (UTC), for --at. */
KS_WUR int ks_cli_parse_time(const char *s, time_t *out);

#endif
