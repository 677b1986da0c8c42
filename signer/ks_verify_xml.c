/* XML verification for the CLI and the API: XAdES facts + trust ->
 * report.  See ks_verify_xml.h. */
#include "signer/ks_verify_xml.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "formats/tsp/ks_tsp.h"
#include "ks_io.h"
#include "signer/ks_verify_docdata.h"

#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256
#define TEXT_MAX ((size_t)4096)

static bool md_ok(int nid)
{
	return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512 || nid == NID_sha3_256 ||
	       nid == NID_sha3_384 || nid == NID_sha3_512;
}

/* The constraints on the signature itself, once its integrity holds:
 * the signer certificate's keyUsage and the strength of every algorithm
 * the signature uses (EN 319 102-1 5.2.8, with the floor of Circular
 * 15/2025/TT-BKHCN).  The path, trust and revocation are the engine's. */
static void signature_constraints(const struct ks_xades_sig_facts *f, enum ks_subindication *sub,
				  char *detail, size_t n)
{
	EVP_PKEY *pub;
	uint32_t ku;
	int bits;

	*sub = KS_SUB_NONE;
	detail[0] = '\0';
	if (f->signer == NULL) {
		*sub = KS_SUB_NO_SIGNING_CERTIFICATE_FOUND;
		snprintf(detail, n, "no signer certificate");
		return;
	}
	/* RFC 5280 4.2.1.3 */
	ku = X509_get_key_usage(f->signer);
	if (ku != UINT32_MAX && (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		*sub = KS_SUB_CHAIN_CONSTRAINTS_FAILURE;
		snprintf(detail, n, "the signer certificate's keyUsage does not allow signatures");
		goto done;
	}
	/* EN 319 102-1 5.2.8 with the floor of Circular 15/2025/TT-BKHCN */
	*sub = KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE;
	if (!md_ok(f->sig_md_nid)) {
		snprintf(detail, n, "signature hash %s is too weak",
			 ks_dsig_md_label(f->sig_md_nid));
		goto done;
	}
	if (f->scheme == KS_SIG_RSA_PSS && !md_ok(f->mgf1_nid)) {
		snprintf(detail, n, "MGF1 hash %s is too weak", ks_dsig_md_label(f->mgf1_nid));
		goto done;
	}
	if (!md_ok(f->weakest_ref_md_nid)) {
		snprintf(detail, n, "reference digest %s is too weak",
			 ks_dsig_md_label(f->weakest_ref_md_nid));
		goto done;
	}
	if (f->signer_bound && f->signer_ref_md_nid != NID_undef && !md_ok(f->signer_ref_md_nid)) {
		snprintf(detail, n, "SigningCertificate identifies the signer with %s, too weak",
			 ks_dsig_md_label(f->signer_ref_md_nid));
		goto done;
	}
	/* The signer certificate's own signature and the CA certificates':
	 * the engine's path building (core/ks_crypto), after the path. */
	pub = X509_get0_pubkey(f->signer);
	bits = pub != NULL ? EVP_PKEY_get_bits(pub) : 0;
	if (pub != NULL && (EVP_PKEY_is_a(pub, "EC") ? bits < EC_MIN_BITS : bits < RSA_MIN_BITS)) {
		snprintf(detail, n, "signer key of %d bits is too weak", bits);
		goto done;
	}
	*sub = KS_SUB_NONE;
done:
	ERR_clear_error();
}

/* ---- coverage text ---- */

static int ref_text(const struct ks_xades_ref_fact *r, const struct ks_xades_sig_facts *f,
		    const char *content_name, enum ks_lang lang, struct ks_buf *t)
{
	bool en = lang == KS_LANG_EN;

	switch (r->role) {
	case KS_XADES_REF_SIGNED_PROPS:
		return ks_buf_append_str(t, en ? "the signed properties (signing time, signer "
						 "certificate, role)"
					       : "các thuộc tính được ký (thời điểm ký, chứng thư "
						 "số, vai trò)");
	case KS_XADES_REF_COUNTERSIGNED:
		return ks_buf_printf(t,
				     en ? "the signature value of signature %ld (%s)"
					: "giá trị của chữ ký %ld (%s)",
				     f->parent + 1, r->path);
	case KS_XADES_REF_KEYINFO:
		return ks_buf_append_str(t, en ? "the key information (KeyInfo)"
					       : "thông tin khóa (KeyInfo)");
	default:
		break;
	}
	switch (r->kind) {
	case KS_DSIG_REF_DOCUMENT:
		return ks_buf_printf(
		    t, en ? "the whole document %s%s" : "toàn bộ tài liệu %s%s", r->path,
		    r->exclude_sigs ? (en ? " except its signatures" : ", trừ các chữ ký")
		    : r->enveloped ? (en ? " except this signature" : ", trừ chính chữ ký này")
				   : "");
	case KS_DSIG_REF_ELEMENT:
		return ks_buf_printf(
		    t, en ? "element %s (%s)%s" : "phần tử %s (%s)%s", r->path, r->uri,
		    r->exclude_sigs ? (en ? " except its signatures" : ", trừ các chữ ký")
		    : r->enveloped ? (en ? " except this signature" : ", trừ chính chữ ký này")
				   : "");
	case KS_DSIG_REF_EXTERNAL:
		return ks_buf_printf(
		    t, en ? "the file '%s'%s%s%s" : "tệp '%s'%s%s%s", r->uri,
		    content_name != NULL ? (en ? " (checked against " : " (đối chiếu với ") : "",
		    content_name != NULL ? content_name : "", content_name != NULL ? ")" : "");
	}
	return 0;
}

static int coverage(const struct ks_xades_sig_facts *f, const char *content_name, enum ks_lang lang,
		    struct ks_report_sig *s)
{
	struct ks_buf t;
	const char *text;
	size_t i;
	int rc = -1;

	ks_buf_init(&t, TEXT_MAX);
	for (i = 0; i < f->n_refs; i++) {
		if (i > 0)
			KS_GUARD(ks_buf_append_str(&t, "; "));
		KS_GUARD(ref_text(&f->refs[i], f, content_name, lang, &t));
		if (f->refs[i].status == KS_XADES_REF_MISMATCH)
			KS_GUARD(ks_buf_append_str(&t, lang == KS_LANG_EN ? " [CHANGED]"
									  : " [ĐÃ BỊ SỬA]"));
	}
	if (t.len == 0)
		KS_GUARD(ks_buf_append_str(&t, lang == KS_LANG_EN ? "unknown" : "không xác định"));
	KS_GUARD(ks_buf_cstr(&t, &text));
	KS_GUARD(ks_report_set(&s->coverage, text));
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

/* The level the signature claims by what it carries (each part is
 * checked by the engine, not by this label). */
static const char *level_of(const struct ks_xades_sig_facts *f)
{
	unsigned u = f->unsigned_props;

	if ((u & KS_XADES_U_ARCHIVE_TIMESTAMP) != 0)
		return "B-LTA";
	if ((u & KS_XADES_U_CERT_VALUES) != 0 && (u & KS_XADES_U_REV_VALUES) != 0 &&
	    (u & KS_XADES_U_SIG_TIMESTAMP) != 0)
		return "B-LT";
	if ((u & KS_XADES_U_SIG_TIMESTAMP) != 0)
		return "B-T";
	return "B-B";
}

static void format_of(const struct ks_xades_sig_facts *f, char *buf, size_t n)
{
	const char *where = f->place == KS_XADES_PLACE_ENVELOPING ? "enveloping"
			    : f->place == KS_XADES_PLACE_DETACHED ? "detached"
								  : "enveloped";

	if (f->place == KS_XADES_PLACE_COUNTER)
		snprintf(buf, n, "XAdES counter-signature");
	else if (!f->xades)
		snprintf(buf, n, "XMLDSig");
	else
		snprintf(buf, n, "XAdES-%s (%s)", level_of(f), where);
}

static void ts_fail(struct ks_engine_ts *t, const char *why)
{
	t->indication = KS_IND_TOTAL_FAILED;
	snprintf(t->detail, sizeof(t->detail), "%s: %.200s",
		 t->archive ? "archive timestamp" : "signature timestamp", why);
}

/* One timestamp of the signature: the token parsed and verified itself,
 * its imprint matched against what it must cover. */
static int one_ts(const struct ks_xades_ts_fact *x, struct ks_engine_ts *t,
		  struct ks_tsp_token **keep)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_verdict v;
	enum ks_md md;

	memset(t, 0, sizeof(*t));
	t->archive = x->kind == KS_XADES_TS_ARCHIVE;
	if (x->problem[0] != '\0') {
		ts_fail(t, x->problem);
		return 0;
	}
	if (ks_tsp_token_parse(x->token.data, x->token.len, &tok) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ts_fail(t, ks_err_msg());
		ks_err_clear();
		return 0;
	}
	*keep = tok;
	t->gen_time = ks_tsp_token_info(tok)->gen_time;
	if (ks_tsp_token_verify(tok, NULL, NULL, &v) < 0)
		return -1;
	if (v.indication != KS_IND_TOTAL_PASSED) {
		ts_fail(t, v.detail);
		return 0;
	}
	t->tsa = ks_tsp_token_signer(tok);
	t->certs = ks_tsp_token_certs(tok);
	if (ks_tsp_token_imprint_md(tok, &md) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ts_fail(t, ks_err_msg());
		ks_err_clear();
		return 0;
	}
	if (ks_tsp_token_match_imprint(tok, md, x->digest[md], x->digest_len[md]) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ts_fail(t, t->archive ? "it does not cover this signature and its data"
				      : "it does not cover this signature's value");
		ks_err_clear();
		return 0;
	}
	t->indication = KS_IND_TOTAL_PASSED;
	return 0;
}

/* The timestamps of f into e, its revocation values into dd. */
static int lt_facts(const struct ks_xades_sig_facts *f, struct ks_engine_sig *e,
		    struct ks_tsp_token **keep, struct ks_verify_docdata *dd)
{
	size_t i;

	for (i = 0; i < f->n_ts && i < KS_ENGINE_TS_MAX; i++) {
		if (one_ts(&f->ts[i], &e->ts[i], &keep[i]) < 0)
			return -1;
		e->n_ts = i + 1;
	}
	for (i = 0; i < f->n_vals; i++) {
		size_t before = ks_rev_data_count(dd->rev, KS_REV_OCSP);

		if (f->vals[i].kind == KS_XADES_VAL_CRL) {
			if (ks_verify_docdata_crl(dd, &f->vals[i].der) < 0)
				return -1;
			continue;
		}
		/* EN 319 132-1: a whole OCSPResponse; some producers put the
		 * BasicOCSPResponse alone */
		if (ks_verify_docdata_ocsp(dd, &f->vals[i].der, false) < 0)
			return -1;
		if (ks_rev_data_count(dd->rev, KS_REV_OCSP) == before &&
		    ks_verify_docdata_ocsp(dd, &f->vals[i].der, true) < 0)
			return -1;
	}
	return 0;
}

static int add_sig(const struct ks_xades_sig_facts *f, size_t total, const char *content_name,
		   enum ks_lang lang, struct ks_report *rep)
{
	struct ks_report_sig *s;
	enum ks_subindication sub = f->sub;
	char detail[KS_DSIG_PROBLEM_MAX], format[64];

	snprintf(detail, sizeof(detail), "%s", f->detail);
	format_of(f, format, sizeof(format));
	if (ks_report_add(rep, &s) < 0)
		return -1;
	if (sub == KS_SUB_NONE)
		signature_constraints(f, &sub, detail, sizeof(detail));
	s->indication = ks_subindication_class(sub);
	s->sub = sub;
	if (f->signer != NULL && !f->signer_bound)
		s->notes |= KS_NOTE_NO_ESS;
	if (f->signer_v1 && f->signer_ref_md_nid == NID_sha1)
		s->notes |= KS_NOTE_ESS_V1;
	if (total > 1)
		s->notes |= KS_NOTE_MULTIPLE_SIGNERS;
	/* timestamps and validation values are checked (the engine) */
	if ((f->unsigned_props & KS_XADES_U_OTHER) != 0 || f->ts_dropped > 0)
		s->notes |= KS_NOTE_UNSIGNED_ATTRS;
	s->has_signing_time = f->has_signing_time;
	s->signing_time = f->signing_time;
	if (f->has_signing_time)
		s->notes |= KS_NOTE_SIGNING_TIME_CLAIMED;
	if (ks_report_set_why(&s->detail, detail[0] != '\0' ? detail : NULL) < 0 ||
	    ks_report_set(&s->format, format) < 0 ||
	    ks_report_set(&s->digest_alg, f->digest_alg[0] != '\0' ? f->digest_alg : NULL) < 0 ||
	    ks_report_set(&s->sig_alg, f->sig_alg[0] != '\0' ? f->sig_alg : NULL) < 0 ||
	    ks_report_set(&s->role, f->role[0] != '\0' ? f->role : NULL) < 0)
		return -1;
	if (f->signer != NULL && ks_report_sig_set_cert(s, f->signer) < 0)
		return -1;
	return coverage(f, content_name, lang, s);
}

int ks_verify_xml_mem(const uint8_t *xml, size_t n, const uint8_t *content, size_t clen,
		      const char *content_name, const struct ks_validation *val, enum ks_lang lang,
		      struct ks_report *rep)
{
	struct ks_engine_sig *es = NULL;
	struct ks_tsp_token **keep = NULL;
	struct ks_verify_docdata dd;
	size_t first = rep->n;
	struct ks_xades_verify_opts o = { .content = content,
					  .content_len = clen,
					  .content_name = content_name };
	struct ks_xades_result res;
	struct ks_report_sig *s;
	char text[200];
	size_t i;
	int rc = -1;

	ks_xades_result_init(&res);
	if (ks_verify_docdata_init(&dd) < 0)
		return -1;
	KS_GUARD(ks_xades_verify_mem(xml, n, &o, &res));
	if (res.unreadable) {
		/* Refused before any signature could be looked at (a DOCTYPE,
		 * a limit): a format failure of the document, not "unsigned". */
		KS_GUARD(ks_report_add(rep, &s));
		s->indication = KS_IND_TOTAL_FAILED;
		s->sub = KS_SUB_FORMAT_FAILURE;
		KS_GUARD(ks_report_set_why(&s->detail, res.detail));
		KS_GUARD(ks_report_set(&s->format, "XML"));
		first = rep->n;
	}
	for (i = 0; i < res.n; i++)
		KS_GUARD(add_sig(&res.sigs[i], res.n, content_name, lang, rep));
	if (res.n > 0) {
		es = calloc(res.n, sizeof(*es));
		keep = calloc(res.n * KS_ENGINE_TS_MAX, sizeof(*keep));
		if (es == NULL || keep == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		for (i = 0; i < res.n; i++) {
			es[i].out = &rep->sigs[first + i];
			es[i].signer = res.sigs[i].signer;
			es[i].certs = res.sigs[i].certs;
			KS_GUARD(lt_facts(&res.sigs[i], &es[i], &keep[i * KS_ENGINE_TS_MAX], &dd));
		}
	}
	KS_GUARD(ks_engine_run(val, es, res.n, &dd.doc, rep));
	if (res.dropped > 0) {
		KS_GUARD(ks_report_add(rep, &s));
		s->indication = KS_IND_INDETERMINATE;
		s->sub = KS_SUB_SIG_CONSTRAINTS_FAILURE;
		snprintf(text, sizeof(text), "%zu more signatures than the %d kyso verifies",
			 res.dropped, KS_XADES_SIGS_MAX);
		KS_GUARD(ks_report_set_why(&s->detail, text));
	}
	rc = 0;
out:
	for (i = 0; keep != NULL && i < res.n * KS_ENGINE_TS_MAX; i++)
		ks_tsp_token_free(keep[i]);
	free(keep);
	free(es);
	ks_verify_docdata_cleanup(&dd);
	ks_xades_result_cleanup(&res);
	return rc;
}

int ks_verify_xml_file(const char *path, const char *content_path, const struct ks_validation *val,
		       enum ks_lang lang, struct ks_report *rep)
{
	struct ks_buf xml, content;
	int rc = -1;

	ks_buf_init(&xml, KS_XML_DOC_MAX);
	ks_buf_init(&content, KS_VERIFY_XML_CONTENT_MAX);
	if (ks_file_read(path, KS_XML_DOC_MAX, &xml) < 0) {
		if (ks_err_code() != KS_ERR_LIMIT)
			goto out;
		/* too large to be read: a format failure, not an I/O one */
		struct ks_report_sig *s;

		KS_GUARD(ks_report_add(rep, &s));
		s->indication = KS_IND_TOTAL_FAILED;
		s->sub = KS_SUB_FORMAT_FAILURE;
		KS_GUARD(ks_report_set_why(&s->detail, ks_err_msg()));
		rc = 0;
		goto out;
	}
	if (content_path != NULL)
		KS_GUARD(ks_file_read(content_path, KS_VERIFY_XML_CONTENT_MAX, &content));
	KS_GUARD(ks_verify_xml_mem(xml.data, xml.len, content_path != NULL ? content.data : NULL,
				   content.len, content_path, val, lang, rep));
	rc = 0;
out:
	ks_buf_cleanup(&xml);
	ks_buf_cleanup(&content);
	return rc;
}
