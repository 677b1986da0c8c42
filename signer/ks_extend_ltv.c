/* The long-term levels after signing: see ks_extend_ltv.h. */
#include "signer/ks_extend_ltv.h"

#include <openssl/cms.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cades_ltv.h"
#include "formats/cms/ks_cms.h"
#include "formats/pdf/ks_pades.h"
#include "formats/pdf/ks_pades_ltv.h"
#include "formats/tsp/ks_tsp.h"
#include "ks_io.h"
#include "signer/ks_sigts.h"
#include "signer/validate/ks_engine.h"

/* Timestamps read from one SignerInfo. */
#define KS_EXTEND_TOKENS_MAX 8
/* The largest PDF raised (it is read into memory: each step appends). */
#define KS_EXTEND_LTV_PDF_MAX ((size_t)256 << 20)
/* The largest .p7s raised in memory. */
#define KS_EXTEND_LTV_CMS_MAX KS_CMS_DER_MAX
/* Text naming what data is collected for, in messages. */
#define KS_EXTEND_WHAT_LEN 200

/* The exact DER of a value followed by padding (a PDF /Contents): its
 * first TLV.  BER with an indefinite length is not a timestamp token. */
static int der_extent(const uint8_t *p, size_t n, size_t *len)
{
	struct ks_cur c, val;
	uint8_t tag;

	ks_cur_init(&c, p, n);
	if (ks_der_read(&c, &tag, &val) < 0)
		return -1;
	*len = n - c.left;
	return 0;
}

/* The TSA of a timestamp token: its validation data. */
static int collect_token(struct ks_ltv *v, const uint8_t *der, size_t n,
			 const struct ks_ltv_opts *o, const char *what)
{
	struct ks_tsp_token *t = NULL;
	struct ks_tsp_verdict vd;
	size_t len;
	int rc = -1;

	KS_GUARD(der_extent(der, n, &len));
	KS_GUARD(ks_tsp_token_parse(der, len, &t));
	KS_GUARD(ks_tsp_token_verify(t, NULL, NULL, &vd));
	if (vd.indication != KS_IND_TOTAL_PASSED || ks_tsp_token_signer(t) == NULL)
		KS_BAIL(KS_ERR_TSP, "%s: the timestamp does not verify: %s", what, vd.detail);
	KS_GUARD(ks_ltv_collect(v, ks_tsp_token_signer(t), ks_tsp_token_certs(t), o, what));
	rc = 0;
out:
	ks_tsp_token_free(t);
	return rc;
}

static void free_vals(struct ks_buf *vals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ks_buf_cleanup(&vals[i]);
}

/* Signer `i` of a parsed SignedData and the TSAs of its signature
 * timestamps. */
static int collect_signer(struct ks_ltv *v, const struct ks_cms *cms, size_t i,
			  const struct ks_ltv_opts *o, const char *where)
{
	struct ks_buf vals[KS_EXTEND_TOKENS_MAX];
	char what[KS_EXTEND_WHAT_LEN];
	size_t n = 0, k;
	X509 *cert;
	int rc = -1;

	cert = ks_cades_signer_cert(cms, i);
	if (cert == NULL)
		KS_BAIL(KS_ERR_CERT,
			"%s, signer %zu: the signer certificate is not in the signature", where,
			i + 1);
	snprintf(what, sizeof(what), "%s, signer %zu", where, i + 1);
	KS_GUARD(ks_ltv_collect(v, cert, ks_cms_get0_certs(cms), o, what));
	KS_GUARD(ks_cades_unsigned_values(cms, i, KS_TSP_OID_SIGNATURE_TIME_STAMP, vals,
					  KS_EXTEND_TOKENS_MAX, &n));
	for (k = 0; k < n; k++) {
		snprintf(what, sizeof(what), "%s, TSA of signature timestamp %zu of signer %zu",
			 where, k + 1, i + 1);
		KS_GUARD(collect_token(v, vals[k].data, vals[k].len, o, what));
	}
	rc = 0;
out:
	free_vals(vals, n);
	return rc;
}

static int collect_signature(struct ks_ltv *v, const struct ks_buf *der,
			     const struct ks_ltv_opts *o, const char *where)
{
	struct ks_cms *cms = NULL;
	size_t i;
	int rc = -1;

	KS_GUARD(ks_cms_parse(der->data, der->len, true, &cms));
	for (i = 0; i < ks_cms_signer_count(cms); i++)
		KS_GUARD(collect_signer(v, cms, i, o, where));
	rc = 0;
out:
	ks_cms_free(cms);
	return rc;
}

/* ---- PDF ---------------------------------------------------------------- */

static int pdf_collect(struct ks_ltv *v, const struct ks_pades_sig_list *l, bool renew,
		       const struct ks_ltv_opts *o)
{
	char where[KS_EXTEND_WHAT_LEN];
	size_t i, last = l->n;

	for (i = 0; i < l->n; i++)
		if (l->items[i].doc_timestamp &&
		    (last == l->n || l->items[i].range_end > l->items[last].range_end))
			last = i;
	for (i = 0; i < l->n; i++) {
		const struct ks_pades_sig_item *it = &l->items[i];

		/* Renewal: the newest document timestamp, and any signature
		 * made after it (a later signer's data is not in the DSS yet). */
		if (renew && i != last &&
		    (it->doc_timestamp || it->range_end <= l->items[last].range_end))
			continue;
		snprintf(where, sizeof(where), "%s '%.100s'",
			 it->doc_timestamp ? "document timestamp" : "signature", it->field);
		if (it->doc_timestamp) {
			if (collect_token(v, it->der.data, it->der.len, o, where) < 0)
				return -1;
		} else if (collect_signature(v, &it->der, o, where) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Does some signature lack a time the long-term levels can build on
 * (EN 319 142-1 5.4: B-LT presupposes B-T): no signature-time-stamp of
 * its own and no document timestamp after it? */
static int pdf_needs_timestamp(const struct ks_pades_sig_list *l, bool *need)
{
	struct ks_cms *cms = NULL;
	size_t i, k, have;
	bool later;

	*need = false;
	for (i = 0; i < l->n && !*need; i++) {
		if (l->items[i].doc_timestamp)
			continue;
		later = false;
		for (k = 0; k < l->n; k++)
			if (l->items[k].doc_timestamp &&
			    l->items[k].range_end > l->items[i].range_end)
				later = true;
		if (later)
			continue;
		if (ks_cms_parse(l->items[i].der.data, l->items[i].der.len, true, &cms) < 0)
			return -1;
		if (ks_cms_unsigned_attr_count(cms, 0, KS_TSP_OID_SIGNATURE_TIME_STAMP, &have) <
		    0) {
			ks_cms_free(cms);
			return -1;
		}
		ks_cms_free(cms);
		cms = NULL;
		*need = have == 0;
	}
	return 0;
}

/* A document timestamp over `cur` (replaced). */
static int pdf_doc_timestamp(struct ks_buf *cur, const struct ks_tsa_client *tsa, char *field,
			     size_t n)
{
	struct ks_docts_pades ctx;
	struct ks_pades_cms cms;
	struct ks_pades_opts po;
	struct ks_pades_result r;
	struct ks_buf next;
	int rc = -1;

	ks_buf_init(&next, cur->max);
	ks_pades_opts_init(&po);
	po.doc_timestamp = true;
	ks_docts_pades(&ctx, tsa, &cms);
	KS_GUARD(ks_pades_sign_mem(cur->data, cur->len, &cms, &po, &next, &r));
	ks_buf_move(cur, &next);
	snprintf(field, n, "%s", r.field);
	rc = 0;
out:
	ks_buf_cleanup(&next);
	return rc;
}

int ks_extend_pdf_ltv(const char *in_path, const char *out_path, bool lta,
		      const struct ks_tsa_client *tsa, const struct ks_ltv_opts *o, char *summary,
		      size_t n)
{
	struct ks_pades_sig_list *l = NULL;
	struct ks_pades_dss_read d;
	struct ks_ltv *v = NULL;
	struct ks_pades_dss add;
	struct ks_buf cur, next;
	char first_ts[128] = "", last_ts[128] = "";
	bool renew = false, need_ts;
	bool has_tsa = tsa != NULL && tsa->n_urls > 0;
	size_t added = 0, i;
	int rc = -1;

	ks_buf_init(&cur, KS_EXTEND_LTV_PDF_MAX);
	ks_buf_init(&next, KS_EXTEND_LTV_PDF_MAX);
	ks_pades_dss_read_init(&d);
	if (lta && !has_tsa)
		KS_BAIL(KS_ERR_USAGE, "B-LTA needs a time-stamping authority (--tsa URL)");
	l = calloc(1, sizeof(*l));
	v = calloc(1, sizeof(*v));
	if (l == NULL || v == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	ks_pades_sig_list_init(l);
	ks_ltv_init(v);
	KS_GUARD(ks_file_read(in_path, KS_EXTEND_LTV_PDF_MAX, &cur));
	KS_GUARD(ks_pades_sig_list_read(cur.data, cur.len, l));
	if (l->n == 0)
		KS_BAIL(KS_ERR_ARG, "'%s' has no signature to extend", in_path);
	KS_GUARD(pdf_needs_timestamp(l, &need_ts));
	if (need_ts) {
		/* B-T first: a document timestamp covers the signatures without
		 * a time of their own. */
		if (!has_tsa)
			KS_BAIL(KS_ERR_USAGE, "a signature has no timestamp: B-LT needs B-T first "
					      "(--tsa URL)");
		KS_GUARD(pdf_doc_timestamp(&cur, tsa, first_ts, sizeof(first_ts)));
		KS_GUARD(ks_pades_sig_list_read(cur.data, cur.len, l));
	} else {
		KS_GUARD(ks_pades_dss_read(cur.data, cur.len, &d));
		for (i = 0; i < l->n; i++)
			if (l->items[i].doc_timestamp)
				renew = d.present;
	}
	KS_GUARD(pdf_collect(v, l, renew, o));
	memset(&add, 0, sizeof(add));
	add.certs = v->certs;
	add.n_certs = v->n_certs;
	add.ocsps = v->ocsps;
	add.n_ocsps = v->n_ocsps;
	add.crls = v->crls;
	add.n_crls = v->n_crls;
	KS_GUARD(ks_pades_add_dss_mem(cur.data, cur.len, &add, &next, &added));
	ks_buf_move(&cur, &next);
	if (lta)
		KS_GUARD(pdf_doc_timestamp(&cur, tsa, last_ts, sizeof(last_ts)));
	KS_GUARD(ks_file_write_atomic(out_path, cur.data, cur.len, 0666));
	snprintf(summary, n,
		 "PAdES-%s: %s%.60s; %s; DSS +%zu item(s) (%zu certificate(s), %zu OCSP, %zu "
		 "CRL)%s%.60s",
		 lta ? "B-LTA" : "B-LT", need_ts ? "B-T by a document timestamp in field " : "",
		 first_ts,
		 renew ? "renewed for the newest document timestamp"
		       : "validation data of every signature and timestamp",
		 added, v->n_certs, v->n_ocsps, v->n_crls,
		 lta ? ", document timestamp in field " : "", last_ts);
	rc = 0;
out:
	if (l != NULL)
		ks_pades_sig_list_cleanup(l);
	if (v != NULL)
		ks_ltv_cleanup(v);
	free(l);
	free(v);
	ks_pades_dss_read_cleanup(&d);
	ks_buf_cleanup(&cur);
	ks_buf_cleanup(&next);
	return rc;
}

/* ---- CAdES -------------------------------------------------------------- */

static int reparse(const struct ks_buf *der, struct ks_cms **cms)
{
	ks_cms_free(*cms);
	*cms = NULL;
	return ks_cms_parse(der->data, der->len, false, cms);
}

static int add_attr(struct ks_buf *cur, size_t i, const char *oid, const struct ks_buf *value)
{
	struct ks_buf next;
	int rc = -1;

	ks_buf_init(&next, KS_EXTEND_LTV_CMS_MAX);
	KS_GUARD(
	    ks_cms_add_unsigned_attr(cur->data, cur->len, i, oid, value->data, value->len, &next));
	ks_buf_move(cur, &next);
	rc = 0;
out:
	ks_buf_cleanup(&next);
	return rc;
}

/* The data collected in v as a certificate-values and a
 * revocation-values attribute on signer i (EN 319 122-1 5.5.1, 5.5.2). */
static int put_values(struct ks_buf *cur, size_t i, const struct ks_ltv *v)
{
	struct ks_cades_values *cv = NULL;
	struct ks_buf certs, revs;
	size_t k;
	int rc = -1;

	ks_buf_init(&certs, KS_CMS_UNSIGNED_VALUE_MAX);
	ks_buf_init(&revs, KS_CMS_UNSIGNED_VALUE_MAX);
	cv = calloc(1, sizeof(*cv));
	if (cv == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (k = 0; k < v->n_certs; k++) {
		ks_buf_init(&cv->certs[k], KS_CADES_ITEM_MAX);
		cv->n_certs++;
		KS_GUARD(ks_buf_set(&cv->certs[k], v->certs[k].data, v->certs[k].len));
	}
	for (k = 0; k < v->n_crls; k++) {
		ks_buf_init(&cv->crls[k], KS_CADES_ITEM_MAX);
		cv->n_crls++;
		KS_GUARD(ks_buf_set(&cv->crls[k], v->crls[k].data, v->crls[k].len));
	}
	for (k = 0; k < v->n_ocsps; k++) {
		ks_buf_init(&cv->ocsps[k], KS_CADES_ITEM_MAX);
		cv->n_ocsps++;
		KS_GUARD(ks_ltv_basic_ocsp(&v->ocsps[k], &cv->ocsps[k]));
	}
	KS_GUARD(ks_cades_values_encode(cv, &certs, &revs));
	KS_GUARD(add_attr(cur, i, KS_CADES_OID_CERT_VALUES, &certs));
	KS_GUARD(add_attr(cur, i, KS_CADES_OID_REVOCATION_VALUES, &revs));
	rc = 0;
out:
	if (cv != NULL)
		ks_cades_values_cleanup(cv);
	free(cv);
	ks_buf_cleanup(&certs);
	ks_buf_cleanup(&revs);
	return rc;
}

/* certificate-values and revocation-values of signer i: its own chain
 * and the TSAs of its signature timestamps. */
static int cms_values(struct ks_buf *cur, const struct ks_cms *cms, size_t i,
		      const struct ks_ltv_opts *o)
{
	struct ks_ltv *v = NULL;
	int rc = -1;

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(collect_signer(v, cms, i, o, "the .p7s"));
	KS_GUARD(put_values(cur, i, v));
	rc = 0;
out:
	if (v != NULL)
		ks_ltv_cleanup(v);
	free(v);
	return rc;
}

/* Which of signer i's archive timestamps is the newest (latest genTime):
 * its index in vals[0..n), or n when none can be read. */
static size_t newest_archive(const struct ks_buf *vals, size_t n)
{
	struct ks_tsp_token *t = NULL;
	size_t k, best = n, len;
	time_t best_time = 0, gt;

	for (k = 0; k < n; k++) {
		if (der_extent(vals[k].data, vals[k].len, &len) < 0 ||
		    ks_tsp_token_parse(vals[k].data, len, &t) < 0) {
			ks_err_clear();
			continue;
		}
		gt = ks_tsp_token_info(t)->gen_time;
		ks_tsp_token_free(t);
		t = NULL;
		if (best == n || gt >= best_time) {
			best = k;
			best_time = gt;
		}
	}
	return best;
}

/* Renewal (EN 319 122-1 5.5.3): before a new archive timestamp, the
 * validation data of the TSA of the newest one goes in as a new
 * certificate-values and revocation-values instance.  The values already
 * there stay as they are, so the hash index of every earlier archive
 * timestamp still finds what it covered.  *renewed: an archive timestamp
 * was there. */
static int cms_renew(struct ks_buf *cur, const struct ks_cms *cms, size_t i,
		     const struct ks_ltv_opts *o, bool *renewed)
{
	struct ks_buf vals[KS_EXTEND_TOKENS_MAX];
	char what[KS_EXTEND_WHAT_LEN];
	struct ks_ltv *v = NULL;
	size_t n = 0, last;
	int rc = -1;

	*renewed = false;
	KS_GUARD(ks_cades_unsigned_values(cms, i, KS_CADES_OID_ARCHIVE_TS_V3, vals,
					  KS_EXTEND_TOKENS_MAX, &n));
	if (n == 0) {
		rc = 0;
		goto out;
	}
	last = newest_archive(vals, n);
	if (last == n)
		KS_BAIL(KS_ERR_TSP, "the .p7s, signer %zu: no archive timestamp can be read",
			i + 1);
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	snprintf(what, sizeof(what), "the .p7s, TSA of the newest archive timestamp of signer %zu",
		 i + 1);
	KS_GUARD(collect_token(v, vals[last].data, vals[last].len, o, what));
	KS_GUARD(put_values(cur, i, v));
	*renewed = true;
	rc = 0;
out:
	if (v != NULL)
		ks_ltv_cleanup(v);
	free(v);
	free_vals(vals, n);
	return rc;
}

/* The digest of what the signature signs: the signed file of a detached
 * signature, the eContent of an attached one. */
static int content_digest(const struct ks_cms *cms, const char *content, enum ks_md md,
			  struct ks_buf *out)
{
	ASN1_OCTET_STRING **pos;

	if (ks_cms_is_attached(cms)) {
		pos = CMS_get0_content(ks_cms_get0_ci(cms));
		if (pos == NULL || *pos == NULL)
			return KS_SET(KS_ERR_CMS, "the attached content cannot be read");
		return ks_md_digest(md, ASN1_STRING_get0_data(*pos),
				    (size_t)ASN1_STRING_length(*pos), out);
	}
	if (content == NULL)
		return KS_SET(KS_ERR_USAGE, "B-LTA of a detached .p7s needs the signed file "
					    "(--content FILE)");
	return ks_cms_digest_file(md, content, out);
}

/* archive-time-stamp-v3 on signer i (EN 319 122-1 5.5.3). */
static int cms_archive(struct ks_buf *cur, const struct ks_cms *cms, size_t i, const char *content,
		       const struct ks_tsa_client *tsa)
{
	const enum ks_md md = KS_MD_SHA256;
	struct ks_buf cd, index, digest, resp, token;
	struct ks_tsp_token *tok = NULL;
	const struct ks_buf *td;
	int rc = -1;

	ks_buf_init(&cd, EVP_MAX_MD_SIZE);
	ks_buf_init(&index, KS_CMS_UNSIGNED_VALUE_MAX);
	ks_buf_init(&digest, EVP_MAX_MD_SIZE);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	ks_buf_init(&token, KS_CMS_UNSIGNED_VALUE_MAX);
	KS_GUARD(content_digest(cms, content, md, &cd));
	KS_GUARD(ks_cades_ats_hash_index(cms, i, md, &index));
	KS_GUARD(ks_cades_ats_digest(cms, i, md, cd.data, cd.len, &index, &digest));
	KS_GUARD(ks_tsa_timestamp(tsa, md, digest.data, digest.len, &resp, &tok, NULL));
	td = ks_tsp_token_der(tok);
	/* The index travels in the token's own unsigned attributes. */
	KS_GUARD(ks_cms_add_unsigned_attr(td->data, td->len, 0, KS_CADES_OID_ATS_HASH_INDEX_V3,
					  index.data, index.len, &token));
	KS_GUARD(add_attr(cur, i, KS_CADES_OID_ARCHIVE_TS_V3, &token));
	rc = 0;
out:
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&cd);
	ks_buf_cleanup(&index);
	ks_buf_cleanup(&digest);
	ks_buf_cleanup(&resp);
	ks_buf_cleanup(&token);
	return rc;
}

/* A signer keeps no more timestamps than verification reads
 * (KS_ENGINE_TS_MAX): a file whose newest archive timestamp would not be
 * looked at is refused rather than written. */
static int room_for_archive(const struct ks_cms *cms, size_t i)
{
	size_t sig_ts, archive;

	if (ks_cms_unsigned_attr_count(cms, i, KS_TSP_OID_SIGNATURE_TIME_STAMP, &sig_ts) < 0 ||
	    ks_cms_unsigned_attr_count(cms, i, KS_CADES_OID_ARCHIVE_TS_V3, &archive) < 0)
		return -1;
	if (sig_ts + archive + 1 > KS_ENGINE_TS_MAX)
		return KS_SET(KS_ERR_LIMIT,
			      "signer %zu has %zu timestamp(s) already: one more archive timestamp "
			      "would be more than verification reads (%d)",
			      i + 1, sig_ts + archive, KS_ENGINE_TS_MAX);
	return 0;
}

int ks_extend_cms_ltv(struct ks_buf *cur, const char *content, bool lta,
		      const struct ks_tsa_client *tsa, const struct ks_ltv_opts *o, char *summary,
		      size_t n)
{
	struct ks_cms *cms = NULL;
	struct ks_buf next;
	size_t i, count, have, stamped = 0, valued = 0, kept = 0, renewals = 0;
	bool renewed = false;
	bool has_tsa = tsa != NULL && tsa->n_urls > 0;
	int rc = -1;

	ks_buf_init(&next, KS_EXTEND_LTV_CMS_MAX);
	if (lta && !has_tsa)
		KS_BAIL(KS_ERR_USAGE, "B-LTA needs a time-stamping authority (--tsa URL)");
	KS_GUARD(reparse(cur, &cms));
	count = ks_cms_signer_count(cms);
	/* B-T first: B-LT builds on a signature timestamp (EN 319 122-1 5.4). */
	for (i = 0; i < count; i++) {
		KS_GUARD(
		    ks_cms_unsigned_attr_count(cms, i, KS_TSP_OID_SIGNATURE_TIME_STAMP, &have));
		if (have > 0)
			continue;
		if (!has_tsa)
			KS_BAIL(KS_ERR_USAGE,
				"signer %zu has no signature timestamp: B-LT needs one first "
				"(--tsa URL)",
				i + 1);
		ks_buf_reset(&next);
		KS_GUARD(ks_sigts_add(tsa, KS_MD_SHA256, cur->data, cur->len, i, &next, NULL));
		ks_buf_move(cur, &next);
		KS_GUARD(reparse(cur, &cms));
		stamped++;
	}
	for (i = 0; i < count; i++) {
		KS_GUARD(ks_cms_unsigned_attr_count(cms, i, KS_CADES_OID_CERT_VALUES, &have));
		if (have > 0) {
			kept++;
			continue;
		}
		KS_GUARD(cms_values(cur, cms, i, o));
		KS_GUARD(reparse(cur, &cms));
		valued++;
	}
	if (lta) {
		for (i = 0; i < count; i++) {
			KS_GUARD(room_for_archive(cms, i));
			KS_GUARD(cms_renew(cur, cms, i, o, &renewed));
			if (renewed) {
				KS_GUARD(reparse(cur, &cms));
				renewals++;
			}
			KS_GUARD(cms_archive(cur, cms, i, content, tsa));
			KS_GUARD(reparse(cur, &cms));
		}
	}
	snprintf(summary, n,
		 "CAdES-%s: %zu signature timestamp(s), validation data on %zu signer(s) (%zu had "
		 "it)%s%s",
		 lta ? "B-LTA" : "B-LT", stamped, valued, kept,
		 renewals > 0 ? ", renewed: validation data of the newest archive timestamp's TSA"
			      : "",
		 lta ? ", an archive-time-stamp-v3 on every signer" : "");
	rc = 0;
out:
	ks_cms_free(cms);
	ks_buf_cleanup(&next);
	return rc;
}
