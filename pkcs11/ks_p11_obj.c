/* Objects on a token: attributes, searches, certificates, public keys
 * and the chain that belongs to a key. */
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "ks_cur.h"
#include "ks_log.h"
#include "ks_p11_int.h"

int ks_p11_attr(struct ks_p11_lease *l, ck_object_handle_t obj, ck_attribute_type_t type,
		struct ks_buf *out)
{
	struct ck_attribute a = { type, NULL, 0 };
	ck_rv_t rv;

	ks_buf_reset(out);
	/* PKCS#11 2.40 5.7, C_GetAttributeValue: first the length, then the
	 * value into a buffer of that size. */
	rv = l->fl->C_GetAttributeValue(l->session, obj, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    a.value_len == CK_UNAVAILABLE_INFORMATION)
		return 1;
	if (rv != CKR_OK)
		goto fail;
	if (a.value_len > KS_P11_ATTR_MAX)
		return KS_SET(KS_ERR_LIMIT, "attribute 0x%lx of %lu bytes (limit %d)", type,
			      a.value_len, KS_P11_ATTR_MAX);
	if (a.value_len == 0)
		return 0;
	if (ks_buf_reserve(out, a.value_len) < 0)
		return -1;
	a.value = out->data;
	rv = l->fl->C_GetAttributeValue(l->session, obj, &a, 1);
	if (rv != CKR_OK)
		goto fail;
	out->len = a.value_len;
	return 0;
fail:
	if (ks_p11_rv_lost(rv)) {
		ks_p11_token_invalidate(l->tok, l->generation, rv);
		return KS_SET(KS_ERR_TOKEN, "token '%s' went away (%s)", l->tok->info.label,
			      ks_p11_rv_name(rv));
	}
	return KS_SET(KS_ERR_PKCS11, "C_GetAttributeValue(0x%lx) on '%s': %s", type,
		      l->tok->info.label, ks_p11_rv_name(rv));
}

int ks_p11_attr_ulong(struct ks_p11_lease *l, ck_object_handle_t obj, ck_attribute_type_t type,
		      unsigned long *v)
{
	struct ks_buf b;
	int r;

	ks_buf_init(&b, KS_P11_ATTR_MAX);
	r = ks_p11_attr(l, obj, type, &b);
	if (r == 0 && b.len != sizeof(*v))
		r = KS_SET(KS_ERR_PKCS11, "attribute 0x%lx has size %zu, not a CK_ULONG", type,
			   b.len);
	if (r == 0)
		memcpy(v, b.data, sizeof(*v));
	ks_buf_cleanup(&b);
	return r;
}

int ks_p11_attr_bool(struct ks_p11_lease *l, ck_object_handle_t obj, ck_attribute_type_t type,
		     bool *v)
{
	struct ks_buf b;
	int r;

	ks_buf_init(&b, KS_P11_ATTR_MAX);
	r = ks_p11_attr(l, obj, type, &b);
	if (r == 0 && b.len != 1)
		r = KS_SET(KS_ERR_PKCS11, "attribute 0x%lx has size %zu, not a CK_BBOOL", type,
			   b.len);
	if (r == 0)
		*v = b.data[0] != 0;
	ks_buf_cleanup(&b);
	return r;
}

int ks_p11_find(struct ks_p11_lease *l, struct ck_attribute *tmpl, unsigned long n,
		ck_object_handle_t **out, size_t *count_out)
{
	ck_object_handle_t *v = NULL, batch[64];
	unsigned long got, i;
	size_t cnt = 0;
	ck_rv_t rv;
	bool active = false;
	int rc = -1;

	*out = NULL;
	*count_out = 0;
	rv = l->fl->C_FindObjectsInit(l->session, tmpl, n);
	if (rv != CKR_OK)
		goto fail;
	active = true;
	for (;;) {
		rv = l->fl->C_FindObjects(l->session, batch, 64, &got);
		if (rv != CKR_OK)
			goto fail;
		if (got == 0)
			break;
		KS_ENSURE(got <= 64 && cnt + got <= KS_P11_OBJECTS_MAX, KS_ERR_LIMIT,
			  "more than %d objects on token '%s'", KS_P11_OBJECTS_MAX,
			  l->tok->info.label);
		{
			void *nv = realloc(v, (cnt + got) * sizeof(*v));

			KS_ENSURE(nv != NULL, KS_ERR_NOMEM, "out of memory");
			v = nv;
		}
		for (i = 0; i < got; i++)
			v[cnt++] = batch[i];
	}
	active = false;
	rv = l->fl->C_FindObjectsFinal(l->session);
	if (rv != CKR_OK)
		goto fail;
	*out = v;
	*count_out = cnt;
	v = NULL;
	rc = 0;
	goto out;
fail:
	if (ks_p11_rv_lost(rv)) {
		ks_p11_token_invalidate(l->tok, l->generation, rv);
		ks_err_set(KS_ERR_TOKEN, __FILE__, __LINE__,
			   "token '%s' went away while searching (%s)", l->tok->info.label,
			   ks_p11_rv_name(rv));
	} else {
		ks_err_set(KS_ERR_PKCS11, __FILE__, __LINE__, "object search on '%s': %s",
			   l->tok->info.label, ks_p11_rv_name(rv));
	}
out:
	if (active)
		(void)l->fl->C_FindObjectsFinal(l->session);
	free(v);
	return rc;
}

int ks_p11_token_certs(struct ks_p11_lease *l, STACK_OF(X509) * *out)
{
	ck_object_class_t cls = CKO_CERTIFICATE;
	ck_certificate_type_t ctype = CKC_X_509;
	struct ck_attribute t[] = { { CKA_CLASS, &cls, sizeof(cls) },
				    { CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) } };
	ck_object_handle_t *objs = NULL;
	size_t n = 0, i;
	struct ks_buf der;
	STACK_OF(X509) *sk = NULL;
	int rc = -1;

	ks_buf_init(&der, KS_P11_ATTR_MAX);
	*out = NULL;
	sk = sk_X509_new_null();
	KS_ENSURE(sk != NULL, KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_p11_find(l, t, 2, &objs, &n));
	for (i = 0; i < n; i++) {
		const unsigned char *p;
		X509 *x;
		long dl;
		int r = ks_p11_attr(l, objs[i], CKA_VALUE, &der);

		if (r < 0)
			goto out;
		if (r > 0 || der.len == 0)
			continue;
		p = der.data;
		dl = (long)der.len;
		x = d2i_X509(NULL, &p, dl);
		if (x == NULL || p != der.data + der.len) {
			/* A damaged certificate on the token is skipped, not
			 * fatal: the key may still have a good one. */
			X509_free(x);
			ks_log(KS_LOG_WARN, "token '%s': unreadable certificate object skipped",
			       l->tok->info.label);
			continue;
		}
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
	}
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	ks_buf_cleanup(&der);
	free(objs);
	return rc;
}

/* CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 2.40
 * 2.3.3); some modules return the bare point.  Unwrap when the DER form
 * fits exactly. */
static int ec_point_unwrap(const struct ks_buf *in, struct ks_buf *out)
{
	const unsigned char *p = in->data;
	ASN1_OCTET_STRING *os;

	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)in->len);
	if (os != NULL && p == in->data + in->len) {
		int r = ks_buf_set(out, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));

		ASN1_OCTET_STRING_free(os);
		return r;
	}
	ASN1_OCTET_STRING_free(os);
	return ks_buf_set(out, in->data, in->len);
}

int ks_p11_key_pub(struct ks_p11_lease *l, ck_object_handle_t key, unsigned long ktype,
		   const struct ks_buf *id, struct ks_buf *pub)
{
	ck_object_class_t cls = CKO_PUBLIC_KEY;
	struct ck_attribute t[] = { { CKA_CLASS, &cls, sizeof(cls) },
				    { CKA_ID, id->data, id->len } };
	ck_attribute_type_t want = ktype == CKK_RSA ? CKA_MODULUS : CKA_EC_POINT;
	ck_object_handle_t *objs = NULL;
	struct ks_buf raw;
	size_t n = 0;
	int r, rc = -1;

	ks_buf_init(&raw, KS_P11_ATTR_MAX);
	ks_buf_reset(pub);
	/* RSA private keys carry the modulus; EC private keys usually not
	 * the point, which lives in the public key object. */
	r = ks_p11_attr(l, key, want, &raw);
	KS_GUARD(r);
	if ((r > 0 || raw.len == 0) && id->len > 0) {
		KS_GUARD(ks_p11_find(l, t, 2, &objs, &n));
		if (n == 1) {
			r = ks_p11_attr(l, objs[0], want, &raw);
			KS_GUARD(r);
		}
	}
	if (raw.len > 0) {
		if (ktype == CKK_RSA)
			KS_GUARD(ks_buf_set(pub, raw.data, raw.len));
		else
			KS_GUARD(ec_point_unwrap(&raw, pub));
	}
	rc = 0;
out:
	ks_buf_cleanup(&raw);
	free(objs);
	return rc;
}

bool ks_p11_cert_matches(X509 *cert, unsigned long ktype, const struct ks_buf *pub)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	bool ok = false;

	if (pk == NULL || pub->len == 0)
		return false;
	if (ktype == CKK_RSA && (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS"))) {
		BIGNUM *n = NULL, *m = BN_bin2bn(pub->data, (int)pub->len, NULL);

		if (m != NULL && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1)
			ok = BN_cmp(n, m) == 0;
		BN_free(n);
		BN_free(m);
	} else if (ktype == CKK_EC && EVP_PKEY_is_a(pk, "EC")) {
		unsigned char pt[256];
		size_t len = 0;

		if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
						    sizeof(pt), &len) == 1)
			ok = len == pub->len && memcmp(pt, pub->data, len) == 0;
	}
	ERR_clear_error();
	return ok;
}

/* Among candidates, the certificate to use: currently valid first, then
 * the one that expires last (a renewed certificate for the same key). */
static X509 *pick_cert(STACK_OF(X509) * c)
{
	X509 *best = NULL;
	bool best_valid = false;
	int i;

	for (i = 0; i < sk_X509_num(c); i++) {
		X509 *x = sk_X509_value(c, i);
		bool valid = X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
			     X509_cmp_current_time(X509_get0_notAfter(x)) > 0;

		if (best == NULL || (valid && !best_valid) ||
		    (valid == best_valid &&
		     ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(best)) > 0)) {
			best = x;
			best_valid = valid;
		}
	}
	return best;
}

int ks_p11_find_cert(struct ks_p11_lease *l, const struct ks_buf *id, unsigned long ktype,
		     const struct ks_buf *pub, STACK_OF(X509) * token_certs, STACK_OF(X509) * extra,
		     X509 **cert)
{
	ck_object_class_t cls = CKO_CERTIFICATE;
	struct ck_attribute t[] = { { CKA_CLASS, &cls, sizeof(cls) },
				    { CKA_ID, id->data, id->len } };
	ck_object_handle_t *objs = NULL;
	STACK_OF(X509) *cand = NULL;
	struct ks_buf der;
	size_t n = 0, i;
	int j, rc = -1;
	X509 *x = NULL;

	*cert = NULL;
	ks_buf_init(&der, KS_P11_ATTR_MAX);
	cand = sk_X509_new_null();
	KS_ENSURE(cand != NULL, KS_ERR_NOMEM, "out of memory");
	/* 1. Same CKA_ID (PKCS#11 2.40 4.6.3: "the key identifier for a
	 *    public/private key pair ... should be the same as the
	 *    certificate's").  Checked against the public key when known: an
	 *    id reused by an unrelated certificate must not be taken. */
	if (id->len > 0) {
		KS_GUARD(ks_p11_find(l, t, 2, &objs, &n));
		for (i = 0; i < n; i++) {
			const unsigned char *p;
			int r = ks_p11_attr(l, objs[i], CKA_VALUE, &der);

			KS_GUARD(r);
			if (r > 0 || der.len == 0)
				continue;
			p = der.data;
			x = d2i_X509(NULL, &p, (long)der.len);
			if (x == NULL || p != der.data + der.len) {
				X509_free(x);
				x = NULL;
				continue;
			}
			if (pub->len == 0 || ks_p11_cert_matches(x, ktype, pub)) {
				KS_ENSURE(sk_X509_push(cand, x) > 0, KS_ERR_NOMEM, "out of memory");
			} else {
				ks_log(
				    KS_LOG_WARN,
				    "token '%s': certificate with the key's CKA_ID holds another "
				    "public key; ignored",
				    l->tok->info.label);
				X509_free(x);
			}
			x = NULL;
		}
	}
	/* 2. By public key, among the token's certificates and the extra
	 *    ones the caller supplied. */
	if (sk_X509_num(cand) == 0 && pub->len > 0) {
		STACK_OF(X509) * pools[2] = { token_certs, extra };

		for (i = 0; i < 2; i++) {
			for (j = 0; pools[i] != NULL && j < sk_X509_num(pools[i]); j++) {
				X509 *c = sk_X509_value(pools[i], j);

				if (!ks_p11_cert_matches(c, ktype, pub))
					continue;
				KS_ENSURE(X509_up_ref(c) == 1, KS_ERR_CRYPTO, "X509_up_ref");
				if (sk_X509_push(cand, c) <= 0) {
					X509_free(c);
					KS_BAIL(KS_ERR_NOMEM, "out of memory");
				}
			}
		}
	}
	KS_ENSURE(sk_X509_num(cand) > 0, KS_ERR_NOT_FOUND,
		  "no certificate for this key on token '%s' (none with its CKA_ID or public "
		  "key); supply it with the chain file",
		  l->tok->info.label);
	x = pick_cert(cand);
	KS_ENSURE(X509_up_ref(x) == 1, KS_ERR_CRYPTO, "X509_up_ref");
	*cert = x;
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	sk_X509_pop_free(cand, X509_free);
	ks_buf_cleanup(&der);
	free(objs);
	return rc;
}

int ks_p11_build_chain(X509 *cert, STACK_OF(X509) * pool, STACK_OF(X509) * *chain)
{
	STACK_OF(X509) *c = NULL;
	X509 *cur = cert;
	int depth, i, rc = -1;

	*chain = NULL;
	c = sk_X509_new_null();
	KS_ENSURE(c != NULL, KS_ERR_NOMEM, "out of memory");
	/* Walk issuer by issuer (RFC 5280 6.1: name chaining, and the issuer
	 * really signed it), stopping at a self-issued certificate. */
	for (depth = 0; depth < KS_P11_CHAIN_MAX; depth++) {
		X509 *next = NULL;

		if (X509_check_issued(cur, cur) == X509_V_OK)
			break;
		for (i = 0; pool != NULL && i < sk_X509_num(pool); i++) {
			X509 *cand = sk_X509_value(pool, i);

			EVP_PKEY *ipk = X509_get0_pubkey(cand);

			/* X509_check_issued compares names and key ids only:
			 * the signature is checked here. */
			if (X509_cmp(cand, cur) == 0 || X509_check_issued(cand, cur) != X509_V_OK ||
			    ipk == NULL || X509_verify(cur, ipk) != 1)
				continue;
			next = cand;
			break;
		}
		if (next == NULL)
			break;
		for (i = 0; i < sk_X509_num(c); i++)
			if (X509_cmp(sk_X509_value(c, i), next) == 0)
				next = NULL; /* a loop: stop */
		if (next == NULL)
			break;
		KS_ENSURE(X509_up_ref(next) == 1, KS_ERR_CRYPTO, "X509_up_ref");
		if (sk_X509_push(c, next) <= 0) {
			X509_free(next);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
		cur = next;
	}
	*chain = c;
	c = NULL;
	rc = 0;
out:
	sk_X509_pop_free(c, X509_free);
	ERR_clear_error();
	return rc;
}
