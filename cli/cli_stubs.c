/* Commands whose implementation lands with a later part of the product.
 * Each says so plainly and exits with the usage/I-O status. */
#include <stdio.h>

#include "cli/ks_cli.h"

static int not_yet(const char *name)
{
	fprintf(stderr, "kyso %s: not available in this version\n", name);
	return KS_EXIT_USAGE;
}

int ks_cli_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_yet("serve");
}

int ks_cli_audit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_yet("audit");
}
