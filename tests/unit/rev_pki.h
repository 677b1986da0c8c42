/* Revocation fixtures for the unit tests: certificates, OCSP responses
 * and CRLs made here with OpenSSL (real signatures, any shape a test
 * needs: stale, forged, from another CA, with odd extensions), beside the
 * test PKI's own (`make pki`). */
#ifndef KS_REV_PKI_H
#define KS_REV_PKI_H

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_key.h"

#define RP_NO_NEXT LONG_MIN /* no nextUpdate */

static inline X509 *rp_load_cert(const char *name)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x;

	if (ks_pem_load_certs(ks_test_pki(name), &sk) < 0)
		return NULL;
	x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

static inline EVP_PKEY *rp_load_key(const char *name)
{
	FILE *f = fopen(ks_test_pki(name), "r");
	EVP_PKEY *k;

	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static inline EVP_PKEY *rp_eckey(void)
{
	return EVP_EC_gen("P-256");
}

struct rp_cert_spec {
	const char *cn;
	X509 *issuer;         /* NULL: self-signed */
	EVP_PKEY *issuer_key; /* NULL: key */
	EVP_PKEY *key;
	const char *bc;   /* basicConstraints value, NULL: none */
	const char *ku;   /* keyUsage value, NULL: none */
	const char *eku;  /* extendedKeyUsage value, NULL: none */
	bool nocheck;     /* id-pkix-ocsp-nocheck */
	const char *ocsp; /* AIA OCSP URL */
	const char *crl;  /* CRL distribution point URL */
	long from, to;    /* validity, seconds from now (0, 0: -1 day .. +1 year) */
	long serial;
};

static inline bool rp_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	bool ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok;
}

static inline X509 *rp_cert(const struct rp_cert_spec *s)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	char buf[300];
	bool ok;

	if (x == NULL || n == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial != 0 ? s->serial : 4242);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"VN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Kyso Unit", -1, -1,
				   0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, s->issuer != NULL ? X509_get_subject_name(s->issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from != 0 || s->to != 0 ? s->from : -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), s->from != 0 || s->to != 0 ? s->to : 365 * 86400L);
	X509_set_pubkey(x, s->key);
	X509V3_set_ctx(&ctx, s->issuer != NULL ? s->issuer : x, x, NULL, NULL, 0);
	ok = rp_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	     rp_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (ok && s->bc != NULL)
		ok = rp_ext(x, &ctx, NID_basic_constraints, s->bc);
	if (ok && s->ku != NULL)
		ok = rp_ext(x, &ctx, NID_key_usage, s->ku);
	if (ok && s->eku != NULL)
		ok = rp_ext(x, &ctx, NID_ext_key_usage, s->eku);
	if (ok && s->nocheck)
		ok = rp_ext(x, &ctx, NID_id_pkix_OCSP_noCheck, "ignored");
	if (ok && s->ocsp != NULL) {
		snprintf(buf, sizeof(buf), "OCSP;URI:%s", s->ocsp);
		ok = rp_ext(x, &ctx, NID_info_access, buf);
	}
	if (ok && s->crl != NULL) {
		snprintf(buf, sizeof(buf), "URI:%s", s->crl);
		ok = rp_ext(x, &ctx, NID_crl_distribution_points, buf);
	}
	if (!ok ||
	    X509_sign(x, s->issuer_key != NULL ? s->issuer_key : s->key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static inline ASN1_GENERALIZEDTIME *rp_time(time_t base, long off)
{
	return ASN1_GENERALIZEDTIME_adj(NULL, base, 0, off);
}

/* ---- OCSP ---- */

struct rp_ocsp_spec {
	X509 *cert, *issuer; /* what the answer is about */
	X509 *signer;        /* who signs it */
	EVP_PKEY *key;
	int status;                 /* V_OCSP_CERTSTATUS_* */
	int reason;                 /* with REVOKED; -1 none */
	long rev_off;               /* revocationTime, from base */
	long this_off, next_off;    /* from base; next_off RP_NO_NEXT: none */
	const EVP_MD *id_md;        /* CertID hash, NULL: SHA-1 */
	const EVP_MD *sign_md;      /* NULL: SHA-256 */
	OCSP_REQUEST *req;          /* its nonce is echoed */
	const unsigned char *nonce; /* or this one */
	size_t nonce_len;
	bool no_certs, by_key, crit_unknown_ext;
	long archive_cutoff;    /* != 0: archiveCutoff at base + this */
	time_t base;            /* 0: now */
	STACK_OF(X509) * extra; /* more certificates in the response */
};

/* A whole OCSPResponse (basic: the BasicOCSPResponse alone) appended
 * to out; 0 or -1. */
static inline int rp_ocsp(const struct rp_ocsp_spec *s, bool basic, struct ks_buf *out)
{
	time_t base = s->base != 0 ? s->base : time(NULL);
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	OCSP_CERTID *id =
	    OCSP_cert_to_id(s->id_md != NULL ? s->id_md : EVP_sha1(), s->cert, s->issuer);
	ASN1_GENERALIZEDTIME *thisupd = rp_time(base, s->this_off), *nextupd = NULL, *rev = NULL,
			     *cutoff = NULL;
	unsigned char *der = NULL;
	unsigned long flags = 0;
	int len = -1, rc = -1;

	if (s->next_off != RP_NO_NEXT)
		nextupd = rp_time(base, s->next_off);
	if (s->status == V_OCSP_CERTSTATUS_REVOKED)
		rev = rp_time(base, s->rev_off);
	if (bs == NULL || id == NULL ||
	    OCSP_basic_add1_status(bs, id, s->status, s->reason, rev, thisupd, nextupd) == NULL)
		goto out;
	if (s->req != NULL && OCSP_copy_nonce(bs, s->req) <= 0)
		goto out;
	if (s->nonce != NULL &&
	    OCSP_basic_add1_nonce(bs, (unsigned char *)s->nonce, (int)s->nonce_len) != 1)
		goto out;
	if (s->archive_cutoff != 0) {
		cutoff = rp_time(base, s->archive_cutoff);
		if (OCSP_BASICRESP_add1_ext_i2d(bs, NID_id_pkix_OCSP_archiveCutoff, cutoff, 0, 0) !=
		    1)
			goto out;
	}
	if (s->crit_unknown_ext) {
		ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e = NULL;

		if (o != NULL && v != NULL &&
		    ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2))
			e = X509_EXTENSION_create_by_OBJ(NULL, o, 1, v);
		if (e == NULL || OCSP_BASICRESP_add_ext(bs, e, -1) != 1)
			rc = -2;
		X509_EXTENSION_free(e);
		ASN1_OBJECT_free(o);
		ASN1_OCTET_STRING_free(v);
		if (rc == -2)
			goto out;
	}
	if (s->no_certs)
		flags |= OCSP_NOCERTS;
	if (s->by_key)
		flags |= OCSP_RESPID_KEY;
	if (OCSP_basic_sign(bs, s->signer, s->key, s->sign_md != NULL ? s->sign_md : EVP_sha256(),
			    s->extra, flags) != 1)
		goto out;
	if (basic) {
		len = i2d_OCSP_BASICRESP(bs, &der);
	} else {
		resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
		if (resp != NULL)
			len = i2d_OCSP_RESPONSE(resp, &der);
	}
	if (len > 0 && ks_buf_append(out, der, (size_t)len) == 0)
		rc = 0;
out:
	if (rc < 0) {
		ERR_print_errors_fp(stderr);
		rc = -1;
	}
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_GENERALIZEDTIME_free(thisupd);
	ASN1_GENERALIZEDTIME_free(nextupd);
	ASN1_GENERALIZEDTIME_free(rev);
	ASN1_GENERALIZEDTIME_free(cutoff);
	return rc;
}

/* An OCSPResponse with a non-successful status and no body. */
static inline int rp_ocsp_status(int status, struct ks_buf *out)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	unsigned char *der = NULL;
	int len = resp != NULL ? i2d_OCSP_RESPONSE(resp, &der) : -1, rc = -1;

	if (len > 0 && ks_buf_append(out, der, (size_t)len) == 0)
		rc = 0;
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	return rc;
}

/* ---- CRLs ---- */

struct rp_crl_spec {
	X509 *issuer;            /* its name (and key identifier with aki) */
	EVP_PKEY *key;           /* signs */
	long this_off, next_off; /* next_off RP_NO_NEXT: none */
	X509 *revoked[4];
	int reasons[4]; /* -1: no reasonCode */
	size_t n_revoked;
	const EVP_MD *md; /* NULL: SHA-256 */
	bool aki, delta, freshest, crit_unknown, entry_cert_issuer;
	const char *idp;           /* issuingDistributionPoint value */
	long expired_certs_on_crl; /* != 0: at base + this */
	time_t base;
};

static inline X509_EXTENSION *rp_raw_ext(const char *oid, bool crit, const unsigned char *v, int n)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;

	if (o != NULL && s != NULL && ASN1_OCTET_STRING_set(s, v, n))
		e = X509_EXTENSION_create_by_OBJ(NULL, o, crit ? 1 : 0, s);
	ASN1_OBJECT_free(o);
	ASN1_OCTET_STRING_free(s);
	return e;
}

static inline int rp_crl(const struct rp_crl_spec *s, struct ks_buf *out)
{
	time_t base = s->base != 0 ? s->base : time(NULL);
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;
	size_t i;

	if (crl == NULL || X509_CRL_set_version(crl, 1) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(s->issuer)) != 1)
		goto out;
	t = ASN1_TIME_adj(NULL, base, 0, s->this_off);
	if (t == NULL || X509_CRL_set1_lastUpdate(crl, t) != 1)
		goto out;
	ASN1_TIME_free(t);
	t = NULL;
	if (s->next_off != RP_NO_NEXT) {
		t = ASN1_TIME_adj(NULL, base, 0, s->next_off);
		if (t == NULL || X509_CRL_set1_nextUpdate(crl, t) != 1)
			goto out;
		ASN1_TIME_free(t);
		t = NULL;
	}
	for (i = 0; i < s->n_revoked; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

		t = ASN1_TIME_adj(NULL, base, 0, s->this_off - 3600);
		if (r == NULL || e == NULL || t == NULL ||
		    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(s->revoked[i])) != 1 ||
		    X509_REVOKED_set_revocationDate(r, t) != 1 ||
		    (s->reasons[i] >= 0 &&
		     (ASN1_ENUMERATED_set(e, s->reasons[i]) != 1 ||
		      X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) != 1))) {
			X509_REVOKED_free(r);
			ASN1_ENUMERATED_free(e);
			goto out;
		}
		if (s->entry_cert_issuer) {
			GENERAL_NAMES *gns = sk_GENERAL_NAME_new_null();
			GENERAL_NAME *gn = GENERAL_NAME_new();

			gn->type = GEN_DIRNAME;
			gn->d.directoryName = X509_NAME_dup(X509_get_subject_name(s->issuer));
			sk_GENERAL_NAME_push(gns, gn);
			X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, gns, 1, 0);
			GENERAL_NAMES_free(gns);
		}
		ASN1_ENUMERATED_free(e);
		ASN1_TIME_free(t);
		t = NULL;
		if (X509_CRL_add0_revoked(crl, r) != 1) {
			X509_REVOKED_free(r);
			goto out;
		}
	}
	X509V3_set_ctx(&ctx, s->issuer, NULL, NULL, crl, 0);
	if (s->aki && ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
						  "keyid:always")) == NULL ||
		       X509_CRL_add_ext(crl, ext, -1) != 1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (s->idp != NULL && ((ext = X509V3_EXT_conf_nid(
				    NULL, &ctx, NID_issuing_distribution_point, s->idp)) == NULL ||
			       X509_CRL_add_ext(crl, ext, -1) != 1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (s->freshest && ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_freshest_crl,
						       "URI:http://127.0.0.1/d.crl")) == NULL ||
			    X509_CRL_add_ext(crl, ext, -1) != 1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (s->delta) {
		ASN1_INTEGER *num = ASN1_INTEGER_new();

		if (num == NULL || ASN1_INTEGER_set(num, 7) != 1 ||
		    X509_CRL_add1_ext_i2d(crl, NID_delta_crl, num, 1, 0) != 1) {
			ASN1_INTEGER_free(num);
			goto out;
		}
		ASN1_INTEGER_free(num);
	}
	if (s->crit_unknown && ((ext = rp_raw_ext("1.3.6.1.4.1.99999.2", true,
						  (const unsigned char *)"\x05\x00", 2)) == NULL ||
				X509_CRL_add_ext(crl, ext, -1) != 1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (s->expired_certs_on_crl != 0) {
		ASN1_GENERALIZEDTIME *gt = rp_time(base, s->expired_certs_on_crl);
		unsigned char *p = NULL;
		int n = gt != NULL ? i2d_ASN1_GENERALIZEDTIME(gt, &p) : -1;

		ext = n > 0 ? rp_raw_ext("2.5.29.60", false, p, n) : NULL;
		OPENSSL_free(p);
		ASN1_GENERALIZEDTIME_free(gt);
		if (ext == NULL || X509_CRL_add_ext(crl, ext, -1) != 1)
			goto out;
		X509_EXTENSION_free(ext);
		ext = NULL;
	}
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, s->key, s->md != NULL ? s->md : EVP_sha256()) <= 0)
		goto out;
	len = i2d_X509_CRL(crl, &der);
	if (len > 0 && ks_buf_append(out, der, (size_t)len) == 0)
		rc = 0;
out:
	if (rc < 0)
		ERR_print_errors_fp(stderr);
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return rc;
}

#endif
