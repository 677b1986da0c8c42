#include <stdio.h>

#include "ks_err.h"
#include "signer/ks_cli.h"

void ks_cli_error(const char *what)
{
	fprintf(stderr, "kyso: %s: %s\n", what, ks_err_msg());
}
