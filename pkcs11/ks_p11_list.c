/* Listing the keys on the tokens, with their certificates.
 *
 * Listing logs in only with a PIN meant for the token: one in the URI, or
 * KYSO_PIN when the URI selects exactly one token.  Trying one PIN on
 * every token present could use up the retry counter of a token it was
 * never meant for.  Without login, a token's private keys are usually
 * invisible (CKA_PRIVATE); they are then listed from their public key and
 * certificate objects, marked "inferred". */
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "ks_log.h"
#include "ks_p11_int.h"

bool ks_p11_token_pinpad(const struct ks_p11_token_info *t)
{
	return (t->flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
}

void ks_p11_key_info_free(struct ks_p11_key_info *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].uri);
		free(v[i].label);
		ks_buf_cleanup(&v[i].id);
		X509_free(v[i].cert);
	}
	free(v);
}

struct keylist {
	struct ks_p11_key_info *v;
	size_t n;
};

static int keylist_add(struct keylist *kl, const struct ks_p11_token_info *t, const char *label,
		       const struct ks_buf *id, unsigned long ktype, X509 *cert, bool inferred)
{
	struct ks_p11_key_info *e;
	struct ks_buf uri;
	const char *s;
	void *nv;
	int rc = -1;

	ks_buf_init(&uri, KS_P11_URI_MAX);
	KS_ENSURE(kl->n < KS_P11_OBJECTS_MAX, KS_ERR_LIMIT, "more than %d keys",
		  KS_P11_OBJECTS_MAX);
	nv = realloc(kl->v, (kl->n + 1) * sizeof(*kl->v));
	KS_ENSURE(nv != NULL, KS_ERR_NOMEM, "out of memory");
	kl->v = nv;
	e = &kl->v[kl->n];
	memset(e, 0, sizeof(*e));
	ks_buf_init(&e->id, KS_P11_URI_VALUE_MAX);
	kl->n++;
	e->token = *t;
	e->inferred = inferred;
	e->type = ktype == CKK_EC ? KS_KEY_EC : KS_KEY_RSA;
	KS_GUARD(ks_p11_object_uri(t, label, id, &uri));
	KS_GUARD(ks_buf_cstr(&uri, &s));
	e->uri = strdup(s);
	e->label = strdup(label);
	KS_ENSURE(e->uri != NULL && e->label != NULL, KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_set(&e->id, id->data, id->len));
	if (cert != NULL) {
		EVP_PKEY *pk = X509_get0_pubkey(cert);

		KS_ENSURE(X509_up_ref(cert) == 1, KS_ERR_CRYPTO, "X509_up_ref");
		e->cert = cert;
		e->bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
	}
	rc = 0;
out:
	ks_buf_cleanup(&uri);
	return rc;
}

static bool keylist_has_id(const struct keylist *kl, size_t from, const struct ks_buf *id)
{
	size_t i;

	for (i = from; i < kl->n; i++)
		if (ks_buf_equal(&kl->v[i].id, id))
			return true;
	return false;
}

/* Bits of a key from its public key object when there is no certificate:
 * CKA_MODULUS_BITS for RSA, the curve of CKA_EC_PARAMS for EC. */
static int pub_bits(struct ks_p11_lease *l, ck_object_handle_t h, unsigned long ktype)
{
	struct ks_buf b;
	unsigned long bits = 0;
	int r = 0;

	if (ktype == CKK_RSA) {
		if (ks_p11_attr_ulong(l, h, CKA_MODULUS_BITS, &bits) == 0 && bits < 65536)
			r = (int)bits;
		return r;
	}
	ks_buf_init(&b, KS_P11_ATTR_MAX);
	if (ks_p11_attr(l, h, CKA_EC_PARAMS, &b) == 0 && b.len > 0) {
		const unsigned char *p = b.data;
		ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)b.len);
		EC_GROUP *g = oid != NULL ? EC_GROUP_new_by_curve_name(OBJ_obj2nid(oid)) : NULL;

		if (g != NULL)
			r = EC_GROUP_order_bits(g);
		EC_GROUP_free(g);
		ASN1_OBJECT_free(oid);
	}
	ks_buf_cleanup(&b);
	ERR_clear_error();
	return r;
}

/* Not logged in: keys from public key objects, then from end-entity
 * certificates that no public key object already stands for. */
static int list_inferred(struct ks_p11_lease *l, const struct ks_p11_uri *u,
			 const struct ks_p11_token_info *t, STACK_OF(X509) * certs,
			 struct keylist *kl)
{
	ck_object_class_t cls = CKO_PUBLIC_KEY;
	struct ck_attribute tp[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	ck_object_handle_t *objs = NULL;
	struct ks_buf lab, id, pub;
	size_t n = 0, i, start = kl->n;
	int rc = -1;

	ks_buf_init(&lab, KS_P11_ATTR_MAX);
	ks_buf_init(&id, KS_P11_ATTR_MAX);
	ks_buf_init(&pub, KS_P11_ATTR_MAX);
	KS_GUARD(ks_p11_find(l, tp, 1, &objs, &n));
	for (i = 0; i < n; i++) {
		unsigned long ktype;
		const char *s;
		X509 *cert = NULL;

		if (ks_p11_attr_ulong(l, objs[i], CKA_KEY_TYPE, &ktype) != 0 ||
		    (ktype != CKK_RSA && ktype != CKK_EC))
			continue;
		KS_GUARD(ks_p11_attr(l, objs[i], CKA_LABEL, &lab));
		KS_GUARD(ks_p11_attr(l, objs[i], CKA_ID, &id));
		KS_GUARD(ks_buf_cstr(&lab, &s));
		if (u != NULL &&
		    !ks_p11_uri_match_object(u, s, id.data, id.len, KS_P11_OBJ_PRIVATE))
			continue;
		if (keylist_has_id(kl, start, &id))
			continue;
		KS_GUARD(ks_p11_key_pub(l, objs[i], ktype, &id, &pub));
		if (ks_p11_find_cert(l, &id, ktype, &pub, certs, NULL, &cert) < 0) {
			KS_ENSURE(ks_err_code() == KS_ERR_NOT_FOUND, ks_err_code(), "%s",
				  ks_err_msg());
			ks_err_clear();
		}
		rc = keylist_add(kl, t, s, &id, ktype, cert, true);
		if (rc == 0 && cert == NULL)
			kl->v[kl->n - 1].bits = pub_bits(l, objs[i], ktype);
		X509_free(cert);
		KS_GUARD(rc);
		rc = -1;
	}
	/* Certificates without a public key object (some tokens store only
	 * the certificate and the private key): same CKA_ID and label as the
	 * key by convention (PKCS#11 2.40 4.6.3). */
	free(objs);
	objs = NULL;
	cls = CKO_CERTIFICATE;
	KS_GUARD(ks_p11_find(l, tp, 1, &objs, &n));
	for (i = 0; i < n; i++) {
		const unsigned char *p;
		const char *s;
		X509 *x;
		EVP_PKEY *pk;
		int r;

		KS_GUARD(ks_p11_attr(l, objs[i], CKA_LABEL, &lab));
		KS_GUARD(ks_p11_attr(l, objs[i], CKA_ID, &id));
		KS_GUARD(ks_buf_cstr(&lab, &s));
		if (id.len == 0 || keylist_has_id(kl, start, &id) ||
		    (u != NULL &&
		     !ks_p11_uri_match_object(u, s, id.data, id.len, KS_P11_OBJ_PRIVATE)))
			continue;
		r = ks_p11_attr(l, objs[i], CKA_VALUE, &pub);
		KS_GUARD(r);
		if (r > 0)
			continue;
		p = pub.data;
		x = d2i_X509(NULL, &p, (long)pub.len);
		pk = x != NULL ? X509_get0_pubkey(x) : NULL;
		if (pk == NULL || X509_check_ca(x) != 0) {
			X509_free(x);
			ERR_clear_error();
			continue;
		}
		r = keylist_add(kl, t, s, &id, EVP_PKEY_is_a(pk, "EC") ? CKK_EC : CKK_RSA, x, true);
		X509_free(x);
		KS_GUARD(r);
	}
	rc = 0;
out:
	ks_buf_cleanup(&lab);
	ks_buf_cleanup(&id);
	ks_buf_cleanup(&pub);
	free(objs);
	return rc;
}

static int list_token(struct ks_p11_module *m, const struct ks_p11_token_info *t,
		      const struct ks_p11_uri *u, bool may_login, struct keylist *kl)
{
	struct ks_p11_token *tok = NULL;
	struct ks_p11_lease l;
	struct ks_p11_found *f = NULL;
	STACK_OF(X509) *certs = NULL;
	struct ks_buf pin, pub;
	size_t n = 0, i;
	int r, rc = -1;

	memset(&l, 0, sizeof(l));
	ks_buf_init_secret(&pin, KS_P11_PIN_MAX);
	ks_buf_init(&pub, KS_P11_ATTR_MAX);
	KS_GUARD(ks_p11_token_get(m, t, &tok));
	KS_GUARD(ks_p11_session_get(tok, &l));
	if (may_login && !ks_p11_token_logged_in(tok)) {
		r = ks_p11_pin_obtain(u, t, false, &pin);
		KS_GUARD(r);
		if (r == 0)
			KS_GUARD(ks_p11_token_login(&l, &pin));
	}
	KS_GUARD(ks_p11_token_certs(&l, &certs));
	KS_GUARD(ks_p11_privkeys(&l, u, &f, &n));
	for (i = 0; i < n; i++) {
		X509 *cert = NULL;

		if (f[i].ktype != CKK_RSA && f[i].ktype != CKK_EC)
			continue;
		KS_GUARD(ks_p11_key_pub(&l, f[i].handle, f[i].ktype, &f[i].id, &pub));
		if (ks_p11_find_cert(&l, &f[i].id, f[i].ktype, &pub, certs, NULL, &cert) < 0) {
			KS_ENSURE(ks_err_code() == KS_ERR_NOT_FOUND, ks_err_code(), "%s",
				  ks_err_msg());
			ks_err_clear();
		}
		r = keylist_add(kl, t, f[i].label, &f[i].id, f[i].ktype, cert, false);
		X509_free(cert);
		KS_GUARD(r);
	}
	if (n == 0 && (t->flags & CKF_LOGIN_REQUIRED) && !ks_p11_token_logged_in(tok))
		KS_GUARD(list_inferred(&l, u, t, certs, kl));
	rc = 0;
out:
	if (l.tok != NULL)
		ks_p11_session_put(&l, false);
	ks_p11_token_put(tok);
	ks_p11_found_free(f, n);
	sk_X509_pop_free(certs, X509_free);
	ks_buf_cleanup(&pin);
	ks_buf_cleanup(&pub);
	return rc;
}

int ks_p11_list_keys(const char *uri, struct ks_p11_key_info **out, size_t *n)
{
	struct ks_p11_uri u;
	struct ks_p11_token_info *infos = NULL;
	struct ks_p11_module **mods = NULL;
	struct keylist kl = { NULL, 0 };
	size_t nt = 0, i;
	bool have_uri = uri != NULL, may_login;
	int rc = -1;

	*out = NULL;
	*n = 0;
	ks_p11_uri_init(&u);
	if (have_uri)
		KS_GUARD(ks_p11_uri_parse(uri, &u));
	KS_ENSURE(u.type == KS_P11_OBJ_ANY || u.type == KS_P11_OBJ_PRIVATE, KS_ERR_ARG,
		  "keys are listed by private key: use type=private or no type");
	KS_GUARD(ks_p11_tokens_matching(have_uri ? &u : NULL, &infos, &mods, &nt));
	/* A PIN (in the URI or KYSO_PIN) is tried only when there is just
	 * one token it can be for: sent to others, it would tell them a PIN
	 * and use up their retry counters. */
	if ((u.has_pin_value || u.pin_source != NULL) && nt > 1)
		KS_BAIL(KS_ERR_ARG,
			"the URI's PIN would go to %zu tokens: name one (token=, serial=) or "
			"list without a PIN",
			nt);
	may_login =
	    u.has_pin_value || u.pin_source != NULL || (nt == 1 && getenv("KYSO_PIN") != NULL);
	for (i = 0; i < nt; i++) {
		if (!(infos[i].flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (list_token(mods[i], &infos[i], have_uri ? &u : NULL, may_login, &kl) < 0) {
			if (ks_err_code() == KS_ERR_PIN)
				goto out;
			/* One broken token must not hide the keys of the others. */
			ks_log_err(KS_LOG_WARN, "listing keys");
		}
	}
	*out = kl.v;
	*n = kl.n;
	kl.v = NULL;
	kl.n = 0;
	rc = 0;
out:
	ks_p11_key_info_free(kl.v, kl.n);
	free(infos);
	free(mods);
	ks_p11_uri_cleanup(&u);
	return rc;
}
