/* The validation data collector: see ks_ltv.h. */
#include "signer/ks_ltv.h"

#include <openssl/bio.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

/* Bytes of one certificate, OCSP response or CRL kept. */
#define KS_LTV_CERT_MAX KS_TRUST_CERT_DER_MAX
#define KS_LTV_OCSP_MAX KS_REV_OCSP_RESP_MAX
#define KS_LTV_CRL_MAX KS_REV_CRL_MAX
/* Text of one certificate's subject in messages. */
#define KS_LTV_NAME_LEN 256

void ks_ltv_opts_init(struct ks_ltv_opts *o)
{
	memset(o, 0, sizeof(*o));
	ks_rev_opts_init(&o->rev);
}

void ks_ltv_init(struct ks_ltv *v)
{
	memset(v, 0, sizeof(*v));
}

static void free_items(struct ks_buf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ks_buf_cleanup(&b[i]);
}

void ks_ltv_cleanup(struct ks_ltv *v)
{
	free_items(v->certs, v->n_certs);
	free_items(v->ocsps, v->n_ocsps);
	free_items(v->crls, v->n_crls);
	memset(v, 0, sizeof(*v));
}

/* Add a copy of der to items unless the same bytes are there. */
static int add_item(struct ks_buf *items, size_t *n, const uint8_t *der, size_t len, size_t max,
		    const char *kind)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (items[i].len == len && memcmp(items[i].data, der, len) == 0)
			return 0;
	if (*n == KS_LTV_ITEMS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d %s in the validation data",
			      KS_LTV_ITEMS_MAX, kind);
	ks_buf_init(&items[*n], max);
	if (ks_buf_set(&items[*n], der, len) < 0) {
		ks_buf_cleanup(&items[*n]);
		return -1;
	}
	(*n)++;
	return 0;
}

static int add_cert(struct ks_ltv *v, X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	int rc;

	if (len <= 0)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "encoding a certificate");
	rc = add_item(v->certs, &v->n_certs, der, (size_t)len, KS_LTV_CERT_MAX, "certificates");
	OPENSSL_free(der);
	return rc;
}

/* The subject as UTF-8 text ("C=VN, O=..., CN=..."), cut to n bytes. */
static void name_of(X509 *cert, char *buf, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	int got = 0;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
			       XN_FLAG_ONELINE & ~(unsigned long)ASN1_STRFLGS_ESC_MSB) >= 0)
		got = BIO_read(b, buf, (int)n - 1);
	buf[got > 0 ? got : 0] = '\0';
	BIO_free(b);
}

static int add_evidence(struct ks_ltv *v, const struct ks_rev_evidence *e)
{
	if (e->kind == KS_REV_OCSP) {
		if (e->basic_only)
			return KS_SET(KS_ERR_INTERNAL,
				      "a bare BasicOCSPResponse without a document");
		return add_item(v->ocsps, &v->n_ocsps, e->der.data, e->der.len, KS_LTV_OCSP_MAX,
				"OCSP responses");
	}
	return add_item(v->crls, &v->n_crls, e->der.data, e->der.len, KS_LTV_CRL_MAX, "CRLs");
}

static bool has_nocheck(X509 *cert)
{
	return X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1) >= 0;
}

/* One revocation check that must give GOOD; its evidence is kept. */
static int check_one(struct ks_ltv *v, X509 *cert, X509 *issuer, const struct ks_ltv_opts *o,
		     const struct ks_rev_opts *ro, const char *what, struct ks_rev_result *r)
{
	char name[KS_LTV_NAME_LEN], desc[KS_ERR_MSG_MAX / 2];

	ks_rev_result_cleanup(r);
	ks_rev_result_init(r);
	if (ks_rev_check(cert, issuer, o->at, NULL, ro, r) < 0)
		return -1;
	name_of(cert, name, sizeof(name));
	switch (r->status) {
	case KS_REV_GOOD:
		return add_evidence(v, &r->evidence);
	case KS_REV_REVOKED:
		return KS_SET(KS_ERR_POLICY, "%s: certificate '%s' is revoked (%s)", what, name,
			      ks_rev_reason_name(r->reason));
	default:
		ks_rev_result_describe(r, desc, sizeof(desc));
		return KS_SET(KS_ERR_VERIFY,
			      "%s: no revocation data for '%s' (status %s), so the long-term "
			      "level cannot be reached: %s",
			      what, name, ks_rev_status_name(r->status), desc);
	}
}

/* The OCSP responder of an answer: its certificate, and for a delegated
 * responder that is not exempt (RFC 6960 4.2.2.2.1) the CRL covering it. */
static int responder(struct ks_ltv *v, const struct ks_rev_result *r, X509 *issuer,
		     const struct ks_ltv_opts *o, const char *what)
{
	struct ks_rev_result rr;
	struct ks_rev_opts ro = o->rev;
	X509 *signer = r->evidence.signer;
	int rc;

	if (r->evidence.kind != KS_REV_OCSP || signer == NULL)
		return 0;
	if (add_cert(v, signer) < 0)
		return -1;
	if (!r->evidence.delegated || has_nocheck(signer))
		return 0;
	ro.no_ocsp = true;
	ks_rev_result_init(&rr);
	rc = check_one(v, signer, issuer, o, &ro, what, &rr);
	ks_rev_result_cleanup(&rr);
	return rc;
}

int ks_ltv_collect(struct ks_ltv *v, X509 *cert, STACK_OF(X509) * untrusted,
		   const struct ks_ltv_opts *o, const char *what)
{
	struct ks_trust_pool *pool = NULL;
	struct ks_trust_path path;
	struct ks_rev_result r;
	char name[KS_LTV_NAME_LEN];
	int i, n, rc = -1;

	ks_trust_path_init(&path);
	ks_rev_result_init(&r);
	if (o->trust == NULL)
		KS_BAIL(KS_ERR_USAGE, "the long-term levels need trust anchors (--trust)");
	if (v->subjects == KS_LTV_SUBJECTS_MAX)
		KS_BAIL(KS_ERR_LIMIT, "validation data for more than %d certificates",
			KS_LTV_SUBJECTS_MAX);
	KS_GUARD(ks_trust_pool_new(o->trust, &pool));
	if (untrusted != NULL)
		KS_GUARD(ks_trust_pool_add_stack(pool, untrusted));
	KS_GUARD(ks_trust_pool_chain(pool, cert, o->at, &path));
	if (!path.ok) {
		name_of(cert, name, sizeof(name));
		KS_BAIL(KS_ERR_CERT, "%s: no certification path from '%s' to a trust anchor: %s",
			what, name, path.detail);
	}
	n = sk_X509_num(path.chain);
	for (i = 0; i < n; i++)
		KS_GUARD(add_cert(v, sk_X509_value(path.chain, i)));
	/* Every certificate but the anchor (RFC 5280 6.1: the anchor is
	 * trusted as configured, not checked for revocation). */
	for (i = 0; i + 1 < n; i++) {
		X509 *c = sk_X509_value(path.chain, i), *issuer = sk_X509_value(path.chain, i + 1);

		KS_GUARD(check_one(v, c, issuer, o, &o->rev, what, &r));
		KS_GUARD(responder(v, &r, issuer, o, what));
	}
	v->subjects++;
	rc = 0;
out:
	ks_rev_result_cleanup(&r);
	ks_trust_path_cleanup(&path);
	ks_trust_pool_free(pool);
	return rc;
}

int ks_ltv_basic_ocsp(const struct ks_buf *ocsp_response, struct ks_buf *out)
{
	const unsigned char *p = ocsp_response->data;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	if (ocsp_response->len > KS_LTV_OCSP_MAX)
		KS_BAIL(KS_ERR_LIMIT, "OCSP response of %zu bytes", ocsp_response->len);
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ocsp_response->len);
	if (resp == NULL || p != ocsp_response->data + ocsp_response->len)
		KS_BAIL(KS_ERR_PARSE, "not one OCSP response");
	basic = OCSP_response_get1_basic(resp);
	if (basic == NULL)
		KS_BAIL(KS_ERR_PARSE, "an OCSP response without a BasicOCSPResponse");
	len = i2d_OCSP_BASICRESP(basic, &der);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding a BasicOCSPResponse");
	KS_GUARD(ks_buf_append(out, der, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(der);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	return rc;
}
