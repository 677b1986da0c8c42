/* kyso verify: validate every signature of a document and print the
 * report (signer/ks_report).  CMS (.p7s, detached or with its content),
 * PDF (signer/ks_verify_pdf) and XML (XAdES/XMLDSig, signer/ks_verify_xml).
 *
 * Exit status (DESIGN.md CLI contract): 0 TOTAL-PASSED, 1 TOTAL-FAILED,
 * 2 INDETERMINATE, 3 usage or I/O error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/cms/ks_cms.h"
#include "ks_io.h"
#include "cli/ks_cli.h"
#include "signer/ks_report.h"
#include "signer/ks_verify_pdf.h"
#include "signer/ks_verify_xml.h"

#define REPORT_MAX ((size_t)4 << 20)
#define SNIFF_SPACE_MAX 64 /* white space skipped before an XML document's '<' */
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

enum doc_kind { DOC_CMS, DOC_PDF, DOC_XML };

/* The format comes from the bytes, not the name (DESIGN.md, verify). */
static enum doc_kind sniff(const struct ks_file_map *m)
{
	size_t i = m->len >= 3 && memcmp(m->data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	if (m->len >= 5 && memcmp(m->data, "%PDF-", 5) == 0)
		return DOC_PDF;
	while (
	    i < m->len && i < SNIFF_SPACE_MAX &&
	    (m->data[i] == ' ' || m->data[i] == '\t' || m->data[i] == '\r' || m->data[i] == '\n'))
		i++;
	/* UTF-16 XML too, so that the XML reader refuses it by name */
	if ((i < m->len && m->data[i] == '<') ||
	    (m->len >= 2 &&
	     (memcmp(m->data, "\xfe\xff", 2) == 0 || memcmp(m->data, "\xff\xfe", 2) == 0)))
		return DOC_XML;
	return DOC_CMS;
}

/* An XML document from memory; --content (mapped) for a detached one. */
static int verify_xml(const struct verify_args *a, const struct ks_file_map *doc, enum ks_lang lang,
		      X509_STORE *trust, struct ks_report *rep)
{
	struct ks_file_map content;
	int rc = -1;

	memset(&content, 0, sizeof(content));
	content.fd = -1;
	if (a->content != NULL)
		KS_GUARD(ks_file_map(a->content, &content));
	KS_GUARD(ks_verify_xml_mem(doc->data, doc->len, a->content != NULL ? content.data : NULL,
				   content.len, a->content, trust, lang, rep));
	rc = 0;
out:
	ks_file_unmap(&content);
	return rc;
}

static int load_trust(const char *path, X509_STORE **out)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *st = NULL;
	int i, rc = -1;

	*out = NULL;
	KS_GUARD(ks_pem_load_certs(path, &certs));
	st = X509_STORE_new();
	if (st == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < sk_X509_num(certs); i++)
		if (X509_STORE_add_cert(st, sk_X509_value(certs, i)) != 1)
			KS_BAIL_OSSL(KS_ERR_CERT, "adding a trust anchor from '%s'", path);
	*out = st;
	st = NULL;
	rc = 0;
out:
	X509_STORE_free(st);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* What a detached CMS signature covers: the whole content file. */
static int cms_coverage(const char *content, bool attached, enum ks_lang lang,
			struct ks_report_sig *s)
{
	struct stat st;
	struct ks_buf t;
	const char *text;
	int rc = -1;

	ks_buf_init(&t, KS_REPORT_STR_MAX);
	if (attached)
		KS_GUARD(ks_buf_append_str(&t, lang == KS_LANG_EN
						   ? "the content carried inside the signature"
						   : "nội dung nằm trong tệp chữ ký"));
	else if (stat(content, &st) == 0)
		KS_GUARD(ks_buf_printf(&t,
				       lang == KS_LANG_EN ? "the whole file %s (%lld bytes)"
							  : "toàn bộ tệp %s (%lld byte)",
				       content, (long long)st.st_size));
	else
		KS_GUARD(ks_buf_printf(
		    &t, lang == KS_LANG_EN ? "the whole file %s" : "toàn bộ tệp %s", content));
	KS_GUARD(ks_buf_cstr(&t, &text));
	KS_GUARD(ks_report_set(&s->coverage, text));
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

/* Fill the report for a CMS file.  -1 only for errors that are not about
 * the signature (I/O, memory): a malformed signature is a report entry. */
static int verify_cms(const struct verify_args *a, const struct ks_file_map *m, enum ks_lang lang,
		      X509_STORE *trust, struct ks_report *rep)
{
	struct ks_cms_verify_opts vo = { .trust = trust };
	struct ks_cms_result res;
	struct ks_report_sig *s;
	struct ks_cms *cms = NULL;
	size_t i;
	int rc = -1;

	ks_cms_result_init(&res);
	if (m->len > KS_CMS_DER_MAX) {
		/* Too large to be a signature: a format failure, not an I/O one. */
		KS_SET(KS_ERR_LIMIT, "'%s' is larger than the limit of %zu bytes", a->file,
		       KS_CMS_DER_MAX);
	} else if (ks_cms_parse(m->data, m->len, false, &cms) < 0 &&
		   (ks_err_code() == KS_ERR_NOMEM || ks_err_code() == KS_ERR_INTERNAL)) {
		goto out;
	}
	if (cms == NULL) {
		KS_GUARD(ks_report_add(rep, &s));
		s->indication = KS_IND_TOTAL_FAILED;
		s->sub = KS_SUB_FORMAT_FAILURE;
		KS_GUARD(ks_report_set(&s->detail, ks_err_msg()));
		rc = 0;
		goto out;
	}
	if (ks_cms_is_attached(cms) && a->content != NULL)
		KS_BAIL(KS_ERR_USAGE, "the signature carries its content: do not pass --content");
	if (!ks_cms_is_attached(cms) && a->content == NULL)
		KS_BAIL(KS_ERR_USAGE,
			"detached signature: give the signed file with --content FILE");
	if (ks_cms_is_attached(cms))
		KS_GUARD(ks_cms_verify_data(cms, NULL, 0, &vo, &res));
	else
		KS_GUARD(ks_cms_verify_file(cms, a->content, &vo, &res));
	for (i = 0; i < res.n; i++) {
		KS_GUARD(ks_report_add_cms(rep, &res.signers[i], NULL, &s));
		KS_GUARD(cms_coverage(a->content, ks_cms_is_attached(cms), lang, s));
	}
	rc = 0;
out:
	ks_cms_result_cleanup(&res);
	ks_cms_free(cms);
	return rc;
}

int ks_cli_verify(int argc, char **argv)
{
	struct verify_args a;
	struct ks_report rep;
	struct ks_file_map doc;
	struct ks_buf out, in;
	X509_STORE *trust = NULL;
	enum ks_lang lang = KS_LANG_VI;
	enum doc_kind kind;
	int r, status = KS_EXIT_USAGE;

	memset(&doc, 0, sizeof(doc));
	doc.fd = -1;
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
	if (a.trust != NULL && load_trust(a.trust, &trust) < 0)
		goto fail;
	kind = sniff(&doc);
	if (kind == DOC_PDF && a.content != NULL) {
		KS_SET(KS_ERR_USAGE,
		       "'%s' is a PDF, which carries what it signs: --content "
		       "applies only to a detached signature (.p7s)",
		       a.file);
		goto fail;
	}
	if (ks_report_set_document(&rep, a.file) < 0 ||
	    (kind == DOC_PDF   ? ks_verify_pdf_mem(doc.data, doc.len, trust, lang, &rep)
	     : kind == DOC_XML ? verify_xml(&a, &doc, lang, trust, &rep)
			       : verify_cms(&a, &doc, lang, trust, &rep)) < 0)
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
	ks_buf_cleanup(&in);
	X509_STORE_free(trust);
	ks_buf_cleanup(&out);
	ks_report_cleanup(&rep);
	return status;
}
