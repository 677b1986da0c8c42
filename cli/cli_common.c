/* Pieces every command of the CLI shares: error printing, exit status,
 * options given once. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ks_err.h"
#include "cli/ks_cli.h"
#include "ks_cur.h"

/* Options that may be given more than once, for every command: each
 * collects its values in its command (several TSAs tried in order). */
static const char *const repeatable[] = { "tsa", "trust", NULL };

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

/* "YYYY-MM-DDTHH:MM:SSZ", read digit by digit. */
int ks_cli_parse_time(const char *s, time_t *out)
{
	static const char seps[] = "--T::Z";
	static const size_t digits[] = { 4, 2, 2, 2, 2, 2 };
	static const uint64_t maxv[] = { 9999, 12, 31, 23, 59, 60 };
	struct ks_cur c;
	uint64_t v[6];
	struct tm tm;
	size_t i;

	ks_cur_init(&c, s, strlen(s));
	for (i = 0; i < 6; i++) {
		struct ks_cur before = c;

		if (ks_cur_decimal(&c, digits[i], maxv[i], &v[i]) < 0 ||
		    c.p - before.p != (ptrdiff_t)digits[i] || ks_cur_expect(&c, &seps[i], 1) < 0)
			return KS_SET(KS_ERR_USAGE, "--at '%.40s': YYYY-MM-DDTHH:MM:SSZ expected",
				      s);
	}
	if (!ks_cur_eof(&c) || v[0] < 1970 || v[1] == 0 || v[2] == 0)
		return KS_SET(KS_ERR_USAGE, "--at '%.40s': YYYY-MM-DDTHH:MM:SSZ expected", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	*out = timegm(&tm);
	return 0;
}

int ks_cli_list_opts(const char *cmd, int argc, char **argv, void (*usage)(FILE *f),
		     const char **uri, bool *json)
{
	struct ks_cli_seen seen;
	int i;

	memset(&seen, 0, sizeof(seen));
	for (i = 1; i < argc; i++) {
		bool is_json = strcmp(argv[i], "--json") == 0;

		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return KS_EXIT_OK;
		}
		if (!is_json && (strcmp(argv[i], "--uri") != 0 || i + 1 == argc)) {
			usage(stderr);
			return KS_EXIT_USAGE;
		}
		if (ks_cli_once(&seen, is_json ? "json" : "uri") < 0) {
			ks_cli_error(cmd);
			return KS_EXIT_USAGE;
		}
		if (is_json)
			*json = true;
		else
			*uri = argv[++i];
	}
	return -1;
}
