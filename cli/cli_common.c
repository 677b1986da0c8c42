/* Pieces every command of the CLI shares: error printing, exit status,
 * options given once. */
#include <stdio.h>
#include <string.h>

#include "ks_err.h"
#include "cli/ks_cli.h"

/* Options that may be given more than once, for every command: each
 * collects its values in its command (several TSAs tried in order). */
static const char *const repeatable[] = { "tsa", NULL };

void ks_cli_error(const char *what)
{
	fprintf(stderr, "kyso: %s: %s\n", what, ks_err_msg());
}

int ks_cli_exit_for_error(void)
{
	return ks_err_code() == KS_ERR_PIN ? KS_EXIT_FAILED : KS_EXIT_USAGE;
}

int ks_cli_once(struct ks_cli_seen *seen, const char *name)
{
	unsigned i;

	for (i = 0; repeatable[i] != NULL; i++)
		if (strcmp(repeatable[i], name) == 0)
			return 0;
	for (i = 0; i < seen->n; i++)
		if (strcmp(seen->names[i], name) == 0)
			return KS_SET(KS_ERR_USAGE,
				      "option --%s given more than once; give it once", name);
	if (seen->n >= KS_CLI_MAX_OPTIONS)
		return KS_SET(KS_ERR_USAGE, "more than %d options", KS_CLI_MAX_OPTIONS);
	seen->names[seen->n++] = name;
	return 0;
}
