/* kyso extend: raise signed documents to B-T, B-LT or B-LTA after signing
 * (signer/ks_extend.h): parse the options, hand over, print the outcome. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/ks_cli.h"
#include "signer/ks_extend.h"

static void extend_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso extend --level B-T|B-LT|B-LTA --in FILE --out FILE [--tsa URL]...\n"
		"                   [--format pdf|cms]\n"
		"  PDF:   B-T adds a document timestamp over the file; B-LT the validation data\n"
		"         of every signature (DSS); B-LTA both, the timestamp last\n"
		"  CAdES: B-T adds a signature timestamp to every signer without one\n"
		"  --tsa  an RFC 3161 TSA; several are tried in order; extending fails, with\n"
		"         no output, when none answers\n"
		"exit status: 0 extended, 3 usage or I/O error, a TSA or a document refused\n");
}

int ks_cli_extend(int argc, char **argv)
{
	enum { O_IN = 1, O_OUT, O_LEVEL, O_TSA, O_FORMAT, O_HELP };
	static const struct option opts[] = {
		{ "in", required_argument, NULL, O_IN },
		{ "out", required_argument, NULL, O_OUT },
		{ "level", required_argument, NULL, O_LEVEL },
		{ "tsa", required_argument, NULL, O_TSA },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_extend_job j;
	struct ks_extend_outcome res;
	struct ks_tsa_client tsa;
	struct ks_cli_seen seen;
	int c, idx;

	memset(&j, 0, sizeof(j));
	memset(&seen, 0, sizeof(seen));
	ks_tsa_client_init(&tsa);
	j.tsa = &tsa;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (c > 0 && c != '?' && c != ':' && ks_cli_once(&seen, opts[idx].name) < 0)
			goto usage;
		switch (c) {
		case O_IN:
			j.in = optarg;
			break;
		case O_OUT:
			j.out = optarg;
			break;
		case O_LEVEL:
			j.level = optarg;
			break;
		case O_TSA:
			if (ks_tsa_client_add_url(&tsa, optarg) < 0)
				goto usage;
			break;
		case O_FORMAT:
			if (ks_format_parse(optarg, &j.format) < 0)
				goto usage;
			break;
		case O_HELP:
			extend_usage(stdout);
			return KS_EXIT_OK;
		default:
			KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (j.in != NULL && j.out != NULL && strcmp(j.in, j.out) == 0) {
		KS_SET(KS_ERR_USAGE, "--out must not be the input file");
		goto usage;
	}
	if (ks_job_extend(&j, &res) < 0) {
		ks_cli_error("extend");
		return ks_cli_exit_for_error();
	}
	printf("%s: %s, written to %s\n", j.in, res.summary, j.out);
	return KS_EXIT_OK;
usage:
	ks_cli_error("extend");
	extend_usage(stderr);
	return KS_EXIT_USAGE;
}
