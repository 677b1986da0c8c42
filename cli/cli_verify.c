/* kyso verify: the command line of the verify job (signer/ks_job.h): read
 * the document (and a detached signature's content) once, load the trust
 * anchors, hand over, print the report (signer/ks_report).
 *
 * Exit status: the document's verdict (signer/validate/ks_verdict.h):
 * 0 authentic and unchanged, 4 changed after signing as permitted, 1 not
 * authentic or not signed, 2 cannot be confirmed; 3 usage or I/O error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/ks_cli.h"
#include "ks_io.h"
#include "signer/ks_job.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_engine.h"

#define REPORT_MAX ((size_t)4 << 20)
/* Largest document read from standard input ("kyso verify -"). */
#define STDIN_MAX KS_BUF_DEFAULT_MAX
/* --trust given at most this many times. */
#define TRUST_ARGS_MAX 16

struct verify_args {
	const char *file, *content, *lang, *policy, *at, *revocation, *cache, *intermediates;
	const char *trust[TRUST_ARGS_MAX];
	size_t n_trust;
	bool json, offline;
};

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso verify FILE [--content FILE] [--trust PEM|DIR]... [--json]\n"
		"                   [--lang vi|en] [--revocation on|off] [--offline]\n"
		"                   [--cache DIR] [--policy FILE] [--at TIME]\n"
		"                   [--intermediates PEM|DIR]\n"
		"  FILE       a signed PDF (every signature and the changes after each), a\n"
		"             signed XML record (XAdES/XMLDSig: what each signature covers), or a\n"
		"             CMS signature (.p7s); --content gives the signed file when the\n"
		"             signature is detached (.p7s, or an XML detached signature)\n"
		"  --trust    trusted root certificates (PEM, one DER certificate, or a folder\n"
		"             of them), repeatable; without them nothing can be confirmed\n"
		"  --intermediates  CA certificates for building paths (not trusted by\n"
		"             themselves), besides those the signature and document carry\n"
		"  --revocation  on (default): every certificate's revocation status, by OCSP\n"
		"             or CRL; off: not checked (integrity and changes only), said in the\n"
		"             report\n"
		"  --offline  only what the document carries and the cache, no network\n"
		"  --cache    revocation cache folder (default ./var/cache/revocation)\n"
		"  --policy   validation policy file (docs/policy.md); default: built in\n"
		"  --at       validation time, YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
		"  FILE, --content and --trust must be regular files or folders (FILE may be\n"
		"             '-': standard input, up to 64 MiB); other options at most once\n"
		"exit status: 0 authentic and unchanged, 4 changed after signing (as the\n"
		"             signatures permit), 1 not authentic or not signed, 2 cannot be\n"
		"             confirmed, 3 usage or I/O error\n");
}

static int parse_args(int argc, char **argv, struct verify_args *a)
{
	enum {
		O_CONTENT = 1,
		O_TRUST,
		O_JSON,
		O_LANG,
		O_HELP,
		O_REVOCATION,
		O_OFFLINE,
		O_CACHE,
		O_POLICY,
		O_AT,
		O_INTERMEDIATES
	};
	static const struct option opts[] = {
		{ "content", required_argument, NULL, O_CONTENT },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "revocation", required_argument, NULL, O_REVOCATION },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "at", required_argument, NULL, O_AT },
		{ "intermediates", required_argument, NULL, O_INTERMEDIATES },
		{ "json", no_argument, NULL, O_JSON },
		{ "lang", required_argument, NULL, O_LANG },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cli_seen seen;
	int c, idx;

	memset(a, 0, sizeof(*a));
	memset(&seen, 0, sizeof(seen));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (c > 0 && c != '?' && c != ':' && ks_cli_once(&seen, opts[idx].name) < 0)
			return -1;
		switch (c) {
		case O_CONTENT:
			a->content = optarg;
			break;
		case O_TRUST:
			if (a->n_trust >= TRUST_ARGS_MAX)
				return KS_SET(KS_ERR_USAGE, "--trust at most %d times",
					      TRUST_ARGS_MAX);
			a->trust[a->n_trust++] = optarg;
			break;
		case O_REVOCATION:
			a->revocation = optarg;
			break;
		case O_OFFLINE:
			a->offline = true;
			break;
		case O_CACHE:
			a->cache = optarg;
			break;
		case O_POLICY:
			a->policy = optarg;
			break;
		case O_AT:
			a->at = optarg;
			break;
		case O_INTERMEDIATES:
			a->intermediates = optarg;
			break;
		case O_JSON:
			a->json = true;
			break;
		case O_LANG:
			a->lang = optarg;
			break;
		case O_HELP:
			verify_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return KS_SET(KS_ERR_USAGE, "give exactly one file to verify");
	a->file = argv[optind];
	return 0;
}

/* The trust store, revocation options, policy and time of the engine. */
static int setup_validation(const struct verify_args *a, struct ks_validation *val,
			    struct ks_trust **trust)
{
	if (ks_trust_new(trust) < 0 ||
	    (a->n_trust > 0 && ks_trust_add_anchor_paths(*trust, a->trust, a->n_trust) < 0))
		return -1;
	if (a->intermediates != NULL && ks_trust_add_intermediates(*trust, a->intermediates) < 0)
		return -1;
	val->trust = *trust;
	if (a->revocation != NULL) {
		if (strcmp(a->revocation, "off") == 0)
			val->revocation = false;
		else if (strcmp(a->revocation, "on") != 0)
			return KS_SET(KS_ERR_USAGE, "--revocation must be on or off");
	}
	val->rev.offline = a->offline;
	if (a->cache != NULL)
		val->rev.cache_dir = a->cache;
	if (a->policy != NULL && ks_vpolicy_load(a->policy, &val->policy) < 0)
		return -1;
	if (a->at != NULL && ks_cli_parse_time(a->at, &val->at) < 0)
		return -1;
	return 0;
}

int ks_cli_verify(int argc, char **argv)
{
	struct verify_args a;
	struct ks_report rep;
	struct ks_file_map doc, content;
	struct ks_verify_job job;
	struct ks_validation val;
	struct ks_buf out, in;
	struct ks_trust *trust = NULL;
	enum ks_lang lang = KS_LANG_VI;
	int r, status = KS_EXIT_USAGE;

	memset(&doc, 0, sizeof(doc));
	memset(&content, 0, sizeof(content));
	memset(&job, 0, sizeof(job));
	doc.fd = -1;
	content.fd = -1;
	ks_report_init(&rep);
	ks_validation_init(&val);
	ks_buf_init(&out, REPORT_MAX);
	ks_buf_init(&in, STDIN_MAX);
	r = parse_args(argc, argv, &a);
	if (r > 0) {
		status = KS_EXIT_OK;
		goto done;
	}
	if (r < 0 || (a.lang != NULL && ks_lang_parse(a.lang, &lang) < 0)) {
		ks_cli_error("verify");
		verify_usage(stderr);
		goto done;
	}
	/* The document is opened once (a regular file, mapped; or standard
	 * input, read up to a limit): its format and its verification see the
	 * same bytes. */
	if (strcmp(a.file, "-") == 0) {
		if (ks_file_read("-", STDIN_MAX, &in) < 0)
			goto fail;
		doc.data = in.len > 0 ? in.data : (const uint8_t *)"";
		doc.len = in.len;
	} else if (ks_file_map(a.file, &doc) < 0) {
		goto fail;
	}
	if (a.content != NULL && ks_file_map(a.content, &content) < 0)
		goto fail;
	if (setup_validation(&a, &val, &trust) < 0)
		goto fail;
	job.name = a.file;
	job.data = doc.data;
	job.len = doc.len;
	job.content = a.content != NULL ? content.data : NULL;
	job.content_len = content.len;
	job.content_name = a.content;
	job.val = &val;
	job.lang = lang;
	if (ks_job_verify(&job, &rep) < 0)
		goto fail;
	if ((a.json ? ks_report_json(&rep, lang, &out) : ks_report_text(&rep, lang, &out)) < 0)
		goto fail;
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		KS_SET(KS_ERR_IO, "writing the report failed");
		goto fail;
	}
	status = ks_report_exit_code(&rep);
	goto done;
fail:
	ks_cli_error("verify");
done:
	ks_file_unmap(&doc);
	ks_file_unmap(&content);
	ks_buf_cleanup(&in);
	ks_trust_free(trust);
	ks_buf_cleanup(&out);
	ks_report_cleanup(&rep);
	return status;
}
