/* kyso extend: raise signed documents to B-T, B-LT or B-LTA after signing
 * (signer/ks_extend.h): parse the options, hand over, print the outcome. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/ks_cli.h"
#include "cli/ks_cli_ltv.h"
#include "signer/ks_extend.h"

static void extend_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso extend --level B-T|B-LT|B-LTA --in FILE --out FILE [--tsa URL]...\n"
		"                   [--format pdf|cms|xml] [--content FILE]\n"
		"                   [--trust FILE|DIR]... [--cache DIR | --no-cache]\n"
		"  PDF:   B-T adds a document timestamp over the file; B-LT the validation data\n"
		"         (certificates, OCSP responses, CRLs) of every signature and timestamp\n"
		"         in the DSS; B-LTA both, the document timestamp last.  A document with\n"
		"         a DSS and a document timestamp is renewed: the data of the newest\n"
		"         timestamp's TSA, and (B-LTA) a new document timestamp over it\n"
		"  CAdES: B-T adds a signature timestamp to every signer without one; B-LT\n"
		"         adds certificate-values and revocation-values; B-LTA an\n"
		"         archive-time-stamp-v3 (--content: the signed file of a detached .p7s)\n"
		"  XAdES: B-T adds a SignatureTimeStamp to every signature without one; B-LT\n"
		"         adds CertificateValues and RevocationValues; B-LTA an ArchiveTimeStamp\n"
		"         (--content: the signed file of a detached XML signature)\n"
		"  --tsa  an RFC 3161 TSA; several are tried in order; extending fails, with\n"
		"         no output, when none answers\n" KS_CLI_LTV_USAGE
		"exit status: 0 extended, 3 usage or I/O error, a TSA, a responder or a\n"
		"             document refused\n");
}

int ks_cli_extend(int argc, char **argv)
{
	enum { O_IN = 1, O_OUT, O_LEVEL, O_TSA, O_FORMAT, O_CONTENT, O_LTV, O_HELP };
	static const struct option opts[] = {
		{ "in", required_argument, NULL, O_IN },
		{ "out", required_argument, NULL, O_OUT },
		{ "level", required_argument, NULL, O_LEVEL },
		{ "tsa", required_argument, NULL, O_TSA },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "content", required_argument, NULL, O_CONTENT },
		{ "trust", required_argument, NULL, O_LTV },
		{ "cache", required_argument, NULL, O_LTV },
		{ "no-cache", no_argument, NULL, O_LTV },
		{ "allow-no-nonce", no_argument, NULL, O_LTV },
		{ "timeout", required_argument, NULL, O_LTV },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_extend_job j;
	struct ks_extend_outcome res;
	struct ks_tsa_client tsa;
	struct ks_cli_seen seen;
	struct ks_cli_ltv ltv;
	int c, idx, status;

	memset(&j, 0, sizeof(j));
	ks_cli_ltv_init(&ltv);
	memset(&seen, 0, sizeof(seen));
	ks_tsa_client_init(&tsa);
	j.tsa = &tsa;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (c > 0 && c != '?' && c != ':' && strcmp(opts[idx].name, "trust") != 0 &&
		    ks_cli_once(&seen, opts[idx].name) < 0)
			goto usage;
		switch (c) {
		case O_CONTENT:
			j.content = optarg;
			break;
		case O_LTV:
			if (ks_cli_ltv_option(&ltv, opts[idx].name, optarg) < 0)
				goto usage;
			break;
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
	if (ks_cli_ltv_open(&ltv, &j.ltv) < 0) {
		ks_cli_ltv_close(&ltv);
		goto usage;
	}
	if (ks_job_extend(&j, &res) < 0) {
		ks_cli_error("extend");
		status = ks_cli_exit_for_error();
	} else {
		printf("%s: %s, written to %s\n", j.in, res.summary, j.out);
		status = KS_EXIT_OK;
	}
	ks_cli_ltv_close(&ltv);
	return status;
usage:
	ks_cli_error("extend");
	extend_usage(stderr);
	return KS_EXIT_USAGE;
}
