/* The table of operations per format (ks_job.h): what signing means for a
 * CMS detached signature, a PDF and an XML record.  A new format adds its
 * row here and its module below formats/. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "formats/cms/ks_cms.h"
#include "ks_io.h"
#include "signer/ks_job.h"
#include "formats/render/ks_render.h"
#include "signer/ks_policy.h"
#include "signer/ks_record_ref.h"
#include "signer/ks_extend_ltv.h"
#include "signer/ks_sigts.h"
#include "signer/ks_verify_cms.h"
#include "signer/ks_verify_pdf.h"
#include "signer/ks_verify_xml.h"

#define CMS_OUT_MAX ((size_t)1 << 20)

/* B-T and above need a time-stamping authority, B-LT and B-LTA trust
 * anchors too; a level is never lowered. */
static int want_timestamp(const struct ks_sign_job *j, bool *ts, int *lt)
{
	*ts = false;
	*lt = 0;
	if (j->level == NULL || strcmp(j->level, "B-B") == 0)
		return 0;
	if (strcmp(j->level, "B-LT") == 0)
		*lt = 1;
	else if (strcmp(j->level, "B-LTA") == 0)
		*lt = 2;
	else if (strcmp(j->level, "B-T") != 0)
		return KS_SET(KS_ERR_USAGE, "--level must be B-B, B-T, B-LT or B-LTA");
	if (j->tsa == NULL || j->tsa->n_urls == 0)
		return KS_SET(KS_ERR_USAGE,
			      "--level %s needs a time-stamping authority (--tsa URL)", j->level);
	if (*lt > 0 && (j->ltv == NULL || j->ltv->trust == NULL))
		return KS_SET(KS_ERR_USAGE, "--level %s needs trust anchors (--trust)", j->level);
	*ts = true;
	return 0;
}

/* CAdES: a detached SignedData over the file (B-B), with a signature
 * timestamp for B-T. */
static int sign_cms(const struct ks_sign_job *j, enum ks_md md, struct ks_sign_outcome *res)
{
	struct ks_cms_sign_opts co;
	struct ks_buf der, ts;
	enum ks_sig_scheme scheme;
	char lt_summary[192];
	bool stamped;
	int lt, rc = -1;

	ks_buf_init(&der, CMS_OUT_MAX);
	ks_buf_init(&ts, CMS_OUT_MAX);
	KS_GUARD(want_timestamp(j, &stamped, &lt));
	KS_GUARD(ks_policy_check_key(j->key, md, 0));
	scheme = ks_key_default_scheme(j->key);
	if (j->rsa_pss) {
		if (j->key->type != KS_KEY_RSA)
			KS_BAIL(KS_ERR_USAGE, "--pss needs an RSA key");
		scheme = KS_SIG_RSA_PSS;
	}
	ks_cms_sign_opts_init(&co);
	co.signing_time = j->signing_time;
	if (j->in_data != NULL)
		KS_GUARD(ks_cms_sign_data(j->key, scheme, md, j->in_data, j->in_len, &co, &der));
	else
		KS_GUARD(ks_cms_sign_file(j->key, scheme, md, j->in, &co, &der));
	if (stamped)
		KS_GUARD(ks_sigts_add(j->tsa, md, der.data, der.len, 0, &ts, NULL));
	if (stamped && lt > 0) {
		if (j->in_data != NULL)
			KS_BAIL(KS_ERR_UNSUPPORTED,
				"level %s is made from a file (kyso sign), not in memory",
				j->level);
		KS_GUARD(ks_extend_cms_ltv(&ts, j->in, lt == 2, j->tsa, j->ltv, lt_summary,
					   sizeof(lt_summary)));
	}
	if (j->out_buf != NULL)
		KS_GUARD(ks_buf_append(j->out_buf, stamped ? ts.data : der.data,
				       stamped ? ts.len : der.len));
	else
		KS_GUARD(ks_file_write_atomic(j->out, stamped ? ts.data : der.data,
					      stamped ? ts.len : der.len, 0666));
	snprintf(res->summary, sizeof(res->summary), "CAdES-%s signature (%s)",
		 stamped ? j->level : "B-B", ks_md_name(md));
	rc = 0;
out:
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&ts);
	return rc;
}

static int sign_pdf(const struct ks_sign_job *j, enum ks_md md, struct ks_sign_outcome *res)
{
	struct ks_sign_pdf_opts o = j->pdf;
	struct ks_pades_result r;
	char tmp[PATH_MAX], lt_summary[192];
	bool stamped;
	int lt, fd, rc;

	if (want_timestamp(j, &stamped, &lt) < 0)
		return -1;
	if (j->signing_time)
		/* ETSI EN 319 142-1 5.4.3: the signing time is /M, not signed. */
		return KS_SET(KS_ERR_USAGE, "--signing-time does not apply to PDF (PAdES uses /M)");
	if (j->rsa_pss && j->key->type != KS_KEY_RSA)
		return KS_SET(KS_ERR_USAGE, "--pss needs an RSA key");
	o.level = lt > 0 ? "B-T" : j->level;
	o.tsa = j->tsa;
	o.md = j->md;
	o.rsa_pss = j->rsa_pss;
	if (j->in_data != NULL)
		o.input_digest = j->in_digest;
	if (j->want_record)
		o.info_key = KS_RENDER_INFO_RECORD_ID;
	if (lt == 0) {
		if ((j->in_data != NULL
			 ? ks_sign_pdf_mem(j->key, j->in_data, j->in_len, j->out_buf, &o, &r)
			 : ks_sign_pdf(j->key, j->in, j->out, &o, &r)) < 0)
			return -1;
		/* The update keeps the trailer's /Info: what was read is what
		 * the signed document carries. */
		if (j->want_record) {
			ks_record_ref_take(r.info_value, r.info_len, res->record);
			res->record_read = true;
		}
		snprintf(res->summary, sizeof(res->summary),
			 "PAdES-%s signature (%s) in field '%.100s'", stamped ? "B-T" : "B-B",
			 ks_md_name(md), r.field);
		return 0;
	}
	if (j->in_data != NULL)
		return KS_SET(KS_ERR_UNSUPPORTED,
			      "level %s is made from a file (kyso sign), not in memory", j->level);
	/* B-LT, B-LTA: the B-T signature goes to a private temporary file,
	 * then the validation data (and the document timestamp) into the
	 * output; any failure leaves no output. */
	if (strcmp(j->out, "-") == 0)
		return KS_SET(KS_ERR_USAGE, "--level %s writes to a file, not standard output",
			      j->level);
	if (snprintf(tmp, sizeof(tmp), "%s/kyso-lt-XXXXXX",
		     getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp") >= (int)sizeof(tmp))
		return KS_SET(KS_ERR_IO, "TMPDIR too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return KS_SET(KS_ERR_IO, "creating a temporary file in '%s' failed", tmp);
	close(fd);
	rc = ks_sign_pdf(j->key, j->in, tmp, &o, &r);
	if (rc == 0)
		rc = ks_extend_pdf_ltv(tmp, j->out, lt == 2, j->tsa, j->ltv, lt_summary,
				       sizeof(lt_summary));
	unlink(tmp);
	if (rc < 0)
		return -1;
	snprintf(res->summary, sizeof(res->summary), "PAdES-%s signature (%s) in field '%.100s'",
		 j->level, ks_md_name(md), r.field);
	return 0;
}

static int sign_xml(const struct ks_sign_job *j, enum ks_md md, struct ks_sign_outcome *res)
{
	struct ks_sign_xml_opts o = j->xml;

	o.level = j->level;
	o.md = j->md;
	o.rsa_pss = j->rsa_pss;
	o.tsa = j->tsa;
	o.ltv = j->ltv;
	if ((j->in_data != NULL
		 ? ks_sign_xml_mem(j->key, j->in_data, j->in_len, j->in, j->out_buf, &o)
		 : ks_sign_xml(j->key, j->in, j->out, &o)) < 0)
		return -1;
	snprintf(res->summary, sizeof(res->summary), "%s%s%s (%s)",
		 o.counter_sign ? "XAdES counter-signature" : "XAdES-",
		 o.counter_sign ? "" : (j->level != NULL ? j->level : "B-B"),
		 o.counter_sign ? "" : " signature", ks_md_name(md));
	return 0;
}

static int verify_cms(const struct ks_verify_job *j, struct ks_report *rep)
{
	return ks_verify_cms_mem(j->data, j->len, j->content, j->content_len, j->content_name,
				 j->val, j->lang, rep);
}

static int verify_pdf(const struct ks_verify_job *j, struct ks_report *rep)
{
	if (j->content != NULL)
		return KS_SET(KS_ERR_USAGE,
			      "a PDF carries what it signs: --content applies only to a detached "
			      "signature (.p7s, XML)");
	return ks_verify_pdf_mem(j->data, j->len, j->val, j->lang, rep);
}

static int verify_xml(const struct ks_verify_job *j, struct ks_report *rep)
{
	return ks_verify_xml_mem(j->data, j->len, j->content, j->content_len, j->content_name,
				 j->val, j->lang, rep);
}

static const struct ks_format_ops table[] = {
	{ KS_FORMAT_CMS, "cms", sign_cms, verify_cms },
	{ KS_FORMAT_PDF, "pdf", sign_pdf, verify_pdf },
	{ KS_FORMAT_XML, "xml", sign_xml, verify_xml },
};

const struct ks_format_ops *ks_format_ops(enum ks_format f)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].format == f)
			return &table[i];
	return NULL;
}

const char *ks_format_name(enum ks_format f)
{
	const struct ks_format_ops *ops = ks_format_ops(f);

	return ops != NULL ? ops->name : "auto";
}

int ks_format_parse(const char *s, enum ks_format *f)
{
	if (strcmp(s, "cms") == 0 || strcmp(s, "cades") == 0)
		*f = KS_FORMAT_CMS;
	else if (strcmp(s, "pdf") == 0)
		*f = KS_FORMAT_PDF;
	else if (strcmp(s, "xml") == 0)
		*f = KS_FORMAT_XML;
	else
		return KS_SET(KS_ERR_USAGE, "--format must be cms, pdf or xml");
	return 0;
}

static bool has_ext(const char *path, const char *ext)
{
	size_t a = strlen(path), b = strlen(ext);

	return a > b && strcasecmp(path + a - b, ext) == 0;
}

/* The first bytes, from a regular file only. */
static size_t head_of(const char *path, unsigned char *head, size_t cap)
{
	uint64_t size = 0;
	ssize_t got;
	int fd = -1;

	if (strcmp(path, "-") == 0 || ks_file_open_input(path, &fd, &size) < 0) {
		ks_err_clear();
		return 0;
	}
	got = read(fd, head, cap);
	close(fd);
	return got > 0 ? (size_t)got : 0;
}

/* White space skipped before an XML document's '<'. */
#define SNIFF_SPACE_MAX 64
/* Bytes after the '<' that must read as text for the document to be
 * taken for XML. */
#define SNIFF_TEXT_MAX 64

/* Up to SNIFF_TEXT_MAX bytes from p[i] on hold no control character but
 * tab, CR and LF: text, as XML in UTF-8 is (XML 1.0 2.2). */
static bool text_from(const uint8_t *p, size_t i, size_t n)
{
	size_t end = n - i > SNIFF_TEXT_MAX ? i + SNIFF_TEXT_MAX : n;

	for (; i < end; i++)
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* UTF-32 or UTF-16 (a byte order mark, then an ASCII character: all
 * but one of its bytes NUL): XML too, so that the XML reader refuses it
 * by name. */
static bool wide_xml(const uint8_t *p, size_t n)
{
	size_t i, zero = 0;

	/* UTF-32 first: its little-endian mark starts as UTF-16's does */
	if (n >= 8 && (memcmp(p, "\xff\xfe\0\0", 4) == 0 || memcmp(p, "\0\0\xfe\xff", 4) == 0)) {
		for (i = 4; i < 8; i++)
			zero += p[i] == 0;
		return zero == 3;
	}
	return n >= 4 && (memcmp(p, "\xfe\xff", 2) == 0 || memcmp(p, "\xff\xfe", 2) == 0) &&
	       (p[2] == 0) != (p[3] == 0);
}

enum ks_format ks_format_sniff(const uint8_t *p, size_t n)
{
	size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return KS_FORMAT_PDF;
	if (wide_xml(p, n))
		return KS_FORMAT_XML;
	while (i < n && i < SNIFF_SPACE_MAX &&
	       (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i >= n || p[i] != '<')
		return KS_FORMAT_CMS;
	/* '<' then text, or '<' then NUL (UTF-16LE without a byte order
	 * mark); a binary file that merely starts with '<' is no XML. */
	if (text_from(p, i + 1, n) || (i + 1 < n && p[i + 1] == 0))
		return KS_FORMAT_XML;
	return KS_FORMAT_CMS;
}

enum ks_format ks_format_of(const char *path)
{
	unsigned char head[SNIFF_SPACE_MAX + SNIFF_TEXT_MAX + 8];
	size_t n;

	if (has_ext(path, ".pdf"))
		return KS_FORMAT_PDF;
	if (has_ext(path, ".xml"))
		return KS_FORMAT_XML;
	n = head_of(path, head, sizeof(head));
	return ks_format_sniff(head, n);
}
