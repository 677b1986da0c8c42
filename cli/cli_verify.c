/* kyso verify: the command line of the verify job (signer/ks_job.h): read
 * the document (and a detached signature's content) once, load the trust
 * anchors, hand over, print the report (signer/ks_report).
 *
 * Exit status (DESIGN.md CLI contract): 0 TOTAL-PASSED, 1 TOTAL-FAILED,
 * 2 INDETERMINATE, 3 usage or I/O error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/ks_cli.h"
#include "ks_io.h"
#include "signer/ks_job.h"
#include "signer/ks_report.h"

#define REPORT_MAX ((size_t)4 << 20)
/* Largest document read from standard input ("kyso verify -"). */
#define STDIN_MAX KS_BUF_DEFAULT_MAX

struct verify_args {
	const char *file, *content, *trust, *lang;
	bool json;
};

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso verify FILE [--content FILE] [--trust PEM] [--json] [--lang vi|en]\n"
		"  FILE       a signed PDF (every signature and the changes after each), a\n"
		"             signed XML record (XAdES/XMLDSig: what each signature covers), or a\n"
		"             CMS signature (.p7s); --content gives the signed file when the\n"
		"             signature is detached (.p7s, or an XML detached signature)\n"
		"  --trust    trusted root certificates (PEM, or one DER certificate); without\n"
		"             them no signature can be more than INDETERMINATE\n"
		"  FILE, --content and --trust must be regular files (FILE may be '-':\n"
		"             standard input, up to 64 MiB); each option at most once\n"
		"exit status: 0 TOTAL-PASSED, 1 TOTAL-FAILED, 2 INDETERMINATE, 3 usage or I/O "
		"error\n");
}

static int parse_args(int argc, char **argv, struct verify_args *a)
{
	enum { O_CONTENT = 1, O_TRUST, O_JSON, O_LANG, O_HELP };
	static const struct option opts[] = {
		{ "content", required_argument, NULL, O_CONTENT },
		{ "trust", required_argument, NULL, O_TRUST },
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
			a->trust = optarg;
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

int ks_cli_verify(int argc, char **argv)
{
	struct verify_args a;
	struct ks_report rep;
	struct ks_file_map doc, content;
	struct ks_verify_job job;
	struct ks_buf out, in;
	X509_STORE *trust = NULL;
	enum ks_lang lang = KS_LANG_VI;
	int r, status = KS_EXIT_USAGE;

	memset(&doc, 0, sizeof(doc));
	memset(&content, 0, sizeof(content));
	memset(&job, 0, sizeof(job));
	doc.fd = -1;
	content.fd = -1;
	ks_report_init(&rep);
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
	if (a.trust != NULL && ks_job_trust_load(a.trust, &trust) < 0)
		goto fail;
	job.name = a.file;
	job.data = doc.data;
	job.len = doc.len;
	job.content = a.content != NULL ? content.data : NULL;
	job.content_len = content.len;
	job.content_name = a.content;
	job.trust = trust;
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
	X509_STORE_free(trust);
	ks_buf_cleanup(&out);
	ks_report_cleanup(&rep);
	return status;
}
