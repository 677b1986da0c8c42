/* The token key: a struct ks_key whose signatures are made by a PKCS#11
 * token through the session pool. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ks_log.h"
#include "ks_p11_int.h"

struct p11key {
	struct ks_p11_token *tok;
	pthread_mutex_t lock; /* guards handle and handle_gen */
	ck_object_handle_t handle;
	unsigned long handle_gen;
	struct ks_buf id;    /* CKA_ID, to find the key again after recovery */
	char *label;         /* CKA_LABEL */
	unsigned long ktype; /* CKK_RSA or CKK_EC */
	size_t siglen;       /* RSA modulus bytes; EC 2 * field bytes */
	bool always_auth;
};

static void p11key_destroy(void *impl)
{
	struct p11key *k = impl;

	if (k == NULL)
		return;
	ks_p11_token_put(k->tok);
	pthread_mutex_destroy(&k->lock);
	ks_buf_cleanup(&k->id);
	free(k->label);
	free(k);
}

int ks_p11_privkeys(struct ks_p11_lease *l, const struct ks_p11_uri *u, struct ks_p11_found **out,
		    size_t *n)
{
	ck_object_class_t cls = CKO_PRIVATE_KEY;
	struct ck_attribute t[3];
	unsigned long nt = 0;
	ck_object_handle_t *objs = NULL;
	size_t cnt = 0, i;
	struct ks_p11_found *v = NULL;
	struct ks_buf lab;
	int rc = -1;

	*out = NULL;
	*n = 0;
	ks_buf_init(&lab, KS_P11_ATTR_MAX);
	/* Narrow the search on the token, then check every attribute here
	 * (a module may ignore part of a template). */
	t[nt++] = (struct ck_attribute){ CKA_CLASS, &cls, sizeof(cls) };
	if (u != NULL && u->has_id)
		t[nt++] = (struct ck_attribute){ CKA_ID, u->id.data, u->id.len };
	if (u != NULL && u->object != NULL)
		t[nt++] = (struct ck_attribute){ CKA_LABEL, u->object, strlen(u->object) };
	KS_GUARD(ks_p11_find(l, t, nt, &objs, &cnt));
	v = calloc(cnt + 1, sizeof(*v));
	KS_ENSURE(v != NULL, KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < cnt; i++) {
		struct ks_p11_found *f = &v[*n];
		const char *s;
		int r;

		ks_buf_init(&f->id, KS_P11_URI_VALUE_MAX);
		f->handle = objs[i];
		r = ks_p11_attr(l, objs[i], CKA_LABEL, &lab);
		KS_GUARD(r);
		KS_GUARD(ks_buf_cstr(&lab, &s));
		f->label = strdup(r == 0 ? s : "");
		KS_ENSURE(f->label != NULL, KS_ERR_NOMEM, "out of memory");
		r = ks_p11_attr(l, objs[i], CKA_ID, &f->id);
		KS_GUARD(r);
		r = ks_p11_attr_ulong(l, objs[i], CKA_KEY_TYPE, &f->ktype);
		KS_GUARD(r);
		if (u != NULL && !ks_p11_uri_match_object(u, f->label, f->id.data, f->id.len,
							  KS_P11_OBJ_PRIVATE)) {
			free(f->label);
			f->label = NULL;
			ks_buf_cleanup(&f->id);
			continue;
		}
		(*n)++;
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	if (v != NULL) {
		for (i = 0; i <= *n && i < cnt; i++) {
			free(v[i].label);
			ks_buf_cleanup(&v[i].id);
		}
		free(v);
		*n = 0;
	}
	ks_buf_cleanup(&lab);
	free(objs);
	return rc;
}

void ks_p11_found_free(struct ks_p11_found *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].label);
		ks_buf_cleanup(&v[i].id);
	}
	free(v);
}

int ks_p11_object_uri(const struct ks_p11_token_info *t, const char *label, const struct ks_buf *id,
		      struct ks_buf *out)
{
	return ks_p11_uri_format(t->label, t->manufacturer, t->serial, t->model, label, id->data,
				 id->len, KS_P11_OBJ_PRIVATE, out);
}

/* The key object handle for this generation: found again by CKA_ID and
 * label after a recovery (handles may change when a token comes back). */
static int key_handle(struct p11key *k, struct ks_p11_lease *l, ck_object_handle_t *h)
{
	struct ks_p11_uri u;
	struct ks_p11_found *f = NULL;
	size_t n = 0;
	int rc = -1;

	pthread_mutex_lock(&k->lock);
	if (k->handle_gen == l->generation) {
		*h = k->handle;
		pthread_mutex_unlock(&k->lock);
		return 0;
	}
	ks_p11_uri_init(&u);
	u.object = k->label;
	u.has_id = true;
	KS_GUARD(ks_buf_set(&u.id, k->id.data, k->id.len));
	KS_GUARD(ks_p11_privkeys(l, &u, &f, &n));
	KS_ENSURE(n == 1, n == 0 ? KS_ERR_TOKEN : KS_ERR_AMBIGUOUS,
		  "key '%s' %s on token '%s' after it came back", k->label,
		  n == 0 ? "is no longer" : "is no longer unique", l->tok->info.label);
	k->handle = f[0].handle;
	k->handle_gen = l->generation;
	*h = k->handle;
	rc = 0;
out:
	u.object = NULL; /* borrowed */
	ks_p11_uri_cleanup(&u);
	ks_p11_found_free(f, n);
	pthread_mutex_unlock(&k->lock);
	return rc;
}

static ck_mechanism_type_t md_ckm(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA384:
		return CKM_SHA384;
	case KS_MD_SHA512:
		return CKM_SHA512;
	case KS_MD_SHA256:
		break;
	}
	return CKM_SHA256;
}

static unsigned long md_mgf(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA384:
		return CKG_MGF1_SHA384;
	case KS_MD_SHA512:
		return CKG_MGF1_SHA512;
	case KS_MD_SHA256:
		break;
	}
	return CKG_MGF1_SHA256;
}

static int sign_error(struct ks_p11_lease *l, const char *what, ck_rv_t rv)
{
	const char *label = l->tok->info.label;

	if (ks_p11_rv_lost(rv)) {
		ks_p11_token_invalidate(l->tok, l->generation, rv);
		return KS_SET(KS_ERR_TOKEN,
			      "token '%s' was removed or its session was lost (%s in %s); sessions "
			      "and login dropped, the next request will look for it again",
			      label, ks_p11_rv_name(rv), what);
	}
	switch (rv) {
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
		return KS_SET(KS_ERR_UNSUPPORTED,
			      "token '%s' refuses this signature mechanism (%s)", label,
			      ks_p11_rv_name(rv));
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return KS_SET(KS_ERR_PKCS11, "the key on token '%s' may not sign (%s)", label,
			      ks_p11_rv_name(rv));
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		/* The key's handle died with the login: a token logs out when
		 * its last session closes (PKCS#11 2.40 5.6), e.g. when the
		 * token was reset, and a session opened after that is valid
		 * but the handle is not.  Start a new generation, which logs in
		 * and finds the key again; the sessions themselves are alive
		 * and are closed, not leaked. */
		ks_p11_token_invalidate(l->tok, l->generation, CKR_USER_NOT_LOGGED_IN);
		return KS_SET(KS_ERR_TOKEN,
			      "the key on token '%s' is no longer reachable (%s in %s); the next "
			      "request logs in and looks for it again",
			      label, ks_p11_rv_name(rv), what);
	default:
		return KS_SET(KS_ERR_PKCS11, "%s on token '%s': %s", what, label,
			      ks_p11_rv_name(rv));
	}
}

static int p11key_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		       const uint8_t *digest, size_t dlen, struct ks_buf *sig)
{
	struct p11key *k = key->impl;
	struct ks_p11_lease l;
	struct ck_rsa_pkcs_pss_params pss;
	struct ck_mechanism mech = { 0, NULL, 0 };
	struct ks_buf in, raw;
	ck_object_handle_t h;
	unsigned long outlen;
	ck_rv_t rv = CKR_OK;
	bool broken = false, supported;
	int rc = -1;

	ks_buf_init(&in, 1024);
	ks_buf_init(&raw, 4096);
	memset(&l, 0, sizeof(l));
	KS_GUARD(ks_p11_session_get(k->tok, &l));
	KS_ENSURE(!(k->tok->info.flags & CKF_LOGIN_REQUIRED) || ks_p11_token_logged_in(k->tok),
		  KS_ERR_PIN, "token '%s' is logged out and no PIN is known; open the key again",
		  k->tok->info.label);
	KS_GUARD(ks_p11_mechanisms(&l));
	switch (scheme) {
	case KS_SIG_RSA_PKCS1:
		/* CKM_RSA_PKCS signs the DigestInfo we build (RFC 8017 9.2):
		 * the hash is made here, never on the token. */
		KS_GUARD(ks_digestinfo(md, digest, dlen, &in));
		mech.mechanism = CKM_RSA_PKCS;
		supported = k->tok->mech_rsa_pkcs;
		break;
	case KS_SIG_RSA_PSS:
		/* RFC 8017 8.1 with MGF1 over the same hash and a salt as long
		 * as the hash (PKCS#11 2.40 2.1.14). */
		KS_GUARD(ks_buf_set(&in, digest, dlen));
		pss.hash_alg = md_ckm(md);
		pss.mgf = md_mgf(md);
		pss.s_len = dlen;
		mech.mechanism = CKM_RSA_PKCS_PSS;
		mech.parameter = &pss;
		mech.parameter_len = sizeof(pss);
		supported = k->tok->mech_rsa_pss;
		break;
	case KS_SIG_ECDSA:
		KS_GUARD(ks_buf_set(&in, digest, dlen));
		mech.mechanism = CKM_ECDSA;
		supported = k->tok->mech_ecdsa;
		break;
	default:
		KS_BAIL(KS_ERR_ARG, "unknown signature scheme %d", (int)scheme);
	}
	KS_ENSURE(supported, KS_ERR_UNSUPPORTED, "token '%s' cannot sign with %s",
		  k->tok->info.label,
		  mech.mechanism == CKM_RSA_PKCS       ? "CKM_RSA_PKCS"
		  : mech.mechanism == CKM_RSA_PKCS_PSS ? "CKM_RSA_PKCS_PSS"
						       : "CKM_ECDSA");
	KS_GUARD(key_handle(k, &l, &h));
	rv = l.fl->C_SignInit(l.session, &mech, h);
	if (rv != CKR_OK) {
		/* Whatever went wrong may have left the session unusable
		 * (an operation still active, a token that lost it): it is
		 * closed, not pooled; the next request opens another. */
		broken = true;
		KS_GUARD(sign_error(&l, "C_SignInit", rv));
	}
	if (k->always_auth && ks_p11_context_login(&l) < 0) {
		broken = true; /* a sign operation is left initialised */
		goto out;
	}
	KS_GUARD(ks_buf_reserve(&raw, k->siglen));
	outlen = (unsigned long)(raw.cap - 1);
	rv = l.fl->C_Sign(l.session, in.data, in.len, raw.data, &outlen);
	if (rv == CKR_BUFFER_TOO_SMALL && outlen <= 4096) {
		/* The operation stays active after CKR_BUFFER_TOO_SMALL
		 * (PKCS#11 2.40 5.2): call again with the size asked for. */
		KS_GUARD(ks_buf_reserve(&raw, outlen));
		outlen = (unsigned long)(raw.cap - 1);
		rv = l.fl->C_Sign(l.session, in.data, in.len, raw.data, &outlen);
	}
	if (rv != CKR_OK) {
		/* A failed C_Sign ends the operation (5.2), unless the token
		 * gets that wrong: the session is not trusted again. */
		broken = true;
		KS_GUARD(sign_error(&l, "C_Sign", rv));
	}
	KS_ENSURE(outlen <= raw.cap - 1, KS_ERR_PKCS11, "token '%s' overran the signature buffer",
		  k->tok->info.label);
	raw.len = outlen;
	if (scheme == KS_SIG_ECDSA)
		KS_GUARD(ks_ecdsa_raw_to_der(raw.data, raw.len, sig)); /* PKCS#11 2.40 2.3.1 */
	else
		KS_GUARD(ks_buf_append(sig, raw.data, raw.len));
	rc = 0;
out:
	if (l.tok != NULL)
		ks_p11_session_put(&l, broken);
	ks_buf_cleanup(&in);
	ks_buf_cleanup(&raw);
	return rc;
}

static const struct ks_key_ops p11key_ops = {
	.kind = "token",
	.sign = p11key_sign,
	.destroy = p11key_destroy,
};

int ks_p11_key_stats(const struct ks_key *key, struct ks_p11_key_stats *st)
{
	struct p11key *k;

	if (key == NULL || key->ops != &p11key_ops)
		return KS_SET(KS_ERR_ARG, "not a token key");
	k = key->impl;
	pthread_mutex_lock(&k->tok->lock);
	st->sessions_open = k->tok->n_open;
	st->sessions_max = k->tok->max;
	st->logins = k->tok->logins;
	st->recoveries = k->tok->recoveries;
	st->slot_id = k->tok->info.slot_id;
	pthread_mutex_unlock(&k->tok->lock);
	return 0;
}

int ks_p11_key_ping(const struct ks_key *key)
{
	struct p11key *k;

	if (key == NULL || key->ops != &p11key_ops)
		return KS_SET(KS_ERR_ARG, "not a token key");
	k = key->impl;
	return ks_p11_token_ping(k->tok);
}

/* Does the token hold something (visible without login) that the URI's
 * object part could mean: a private key, or the certificate or public
 * key of one? */
static int token_has_evidence(struct ks_p11_lease *l, const struct ks_p11_uri *u, bool *yes)
{
	ck_object_handle_t *objs = NULL;
	struct ks_buf lab, id;
	size_t n = 0, i;
	int rc = -1;

	*yes = false;
	ks_buf_init(&lab, KS_P11_ATTR_MAX);
	ks_buf_init(&id, KS_P11_ATTR_MAX);
	KS_GUARD(ks_p11_find(l, NULL, 0, &objs, &n));
	for (i = 0; i < n && !*yes; i++) {
		unsigned long cls;
		const char *s;

		if (ks_p11_attr_ulong(l, objs[i], CKA_CLASS, &cls) != 0)
			continue;
		if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY && cls != CKO_CERTIFICATE)
			continue;
		if (ks_p11_attr(l, objs[i], CKA_LABEL, &lab) < 0 ||
		    ks_p11_attr(l, objs[i], CKA_ID, &id) < 0 || ks_buf_cstr(&lab, &s) < 0)
			goto out;
		/* The type is the key's: its public parts stand in for it. */
		*yes = ks_p11_uri_match_object(u, s, id.data, id.len, KS_P11_OBJ_PRIVATE);
	}
	rc = 0;
out:
	ks_buf_cleanup(&lab);
	ks_buf_cleanup(&id);
	free(objs);
	return rc;
}

/* The one token a key URI designates.  Several tokens match the token
 * part: keep those that show a matching object without login; still
 * several, or none: refused, never guessed. */
static int choose_token(const struct ks_p11_uri *u, struct ks_p11_token **out)
{
	struct ks_p11_token_info *infos = NULL;
	struct ks_p11_module **mods = NULL;
	struct ks_p11_token *pick = NULL;
	struct ks_buf names;
	size_t n = 0, i, hits = 0;
	const char *s = "";
	int rc = -1;

	*out = NULL;
	ks_buf_init(&names, 8192);
	KS_GUARD(ks_p11_tokens_matching(u, &infos, &mods, &n));
	/* An uninitialised token (a free SoftHSM slot, a blank card) holds
	 * no keys: not a candidate. */
	for (i = 0; i < n;) {
		if (infos[i].flags & CKF_TOKEN_INITIALIZED) {
			i++;
			continue;
		}
		memmove(&infos[i], &infos[i + 1], (n - i - 1) * sizeof(*infos));
		memmove(&mods[i], &mods[i + 1], (n - i - 1) * sizeof(*mods));
		n--;
	}
	for (i = 0; i < n; i++)
		if (ks_buf_printf(&names, "%s'%s' (serial %s, %s)", i > 0 ? ", " : "",
				  infos[i].label, infos[i].serial, infos[i].module) < 0)
			break; /* the list is only for the message */
	if (ks_buf_cstr(&names, &s) < 0)
		s = "";
	if (n == 0) {
		/* Also what a module shows for a token it read half-written
		 * (SoftHSM2 while another process logs in): worth a retry. */
		ks_p11_transient_note();
		KS_BAIL(KS_ERR_NOT_FOUND, "no token present matches the URI");
	}
	if (n == 1) {
		KS_GUARD(ks_p11_token_get(mods[0], &infos[0], &pick));
	} else {
		for (i = 0; i < n; i++) {
			struct ks_p11_token *tok = NULL;
			struct ks_p11_lease l;
			bool yes = false;
			int r;

			KS_GUARD(ks_p11_token_get(mods[i], &infos[i], &tok));
			r = ks_p11_session_get(tok, &l);
			if (r == 0) {
				r = token_has_evidence(&l, u, &yes);
				ks_p11_session_put(&l, false);
			}
			if (r < 0 || !yes) {
				ks_p11_token_put(tok);
				continue;
			}
			hits++;
			if (pick != NULL)
				ks_p11_token_put(pick);
			pick = tok;
		}
		if (hits != 1) {
			ks_p11_token_put(pick);
			pick = NULL;
			KS_BAIL(
			    KS_ERR_AMBIGUOUS,
			    "the URI matches %zu tokens (%s) and %s; add token=... or serial=... "
			    "to choose one",
			    n, s,
			    hits == 0 ? "none shows a matching object before login"
				      : "several hold a matching object");
		}
	}
	*out = pick;
	rc = 0;
out:
	free(infos);
	free(mods);
	ks_buf_cleanup(&names);
	return rc;
}

/* Log in once per token: skipped when the token state is logged in
 * already (another key on it), the PIN tried exactly once otherwise.  The
 * PIN is obtained once per ks_p11_key_open (*pin_cache) and reused by its
 * retries: nobody is asked twice. */
static int ensure_login(struct ks_p11_lease *l, const struct ks_p11_uri *u,
			struct ks_buf *pin_cache)
{
	struct ks_buf pin;
	int r, rc = -1;

	ks_buf_init_secret(&pin, KS_P11_PIN_MAX);
	if (ks_p11_token_logged_in(l->tok)) {
		rc = 0;
		goto out;
	}
	if ((l->tok->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) && !u->has_pin_value &&
	    u->pin_source == NULL && pin_cache->len == 0) {
		/* PIN pad on the reader: the token asks for the PIN itself. */
		KS_GUARD(ks_p11_token_login(l, NULL));
		rc = 0;
		goto out;
	}
	if (pin_cache->len > 0) {
		KS_GUARD(ks_buf_set(&pin, pin_cache->data, pin_cache->len));
	} else {
		r = ks_p11_pin_obtain(u, &l->tok->info, true, &pin);
		KS_GUARD(r);
		KS_GUARD(ks_buf_set(pin_cache, pin.data, pin.len));
	}
	KS_GUARD(ks_p11_token_login(l, &pin));
	rc = 0;
out:
	ks_buf_cleanup(&pin);
	return rc;
}

static int load_chain_pem(const char *path, STACK_OF(X509) * *out)
{
	*out = NULL;
	if (path == NULL) {
		*out = sk_X509_new_null();
		return *out != NULL ? 0 : KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	return ks_pem_load_certs(path, out);
}

static int key_open_once(const char *uri, const char *chain_pem, struct ks_buf *pin_cache,
			 struct ks_key **out)
{
	struct ks_p11_uri u;
	struct ks_p11_token *tok = NULL;
	struct ks_p11_lease l;
	struct ks_p11_found *f = NULL;
	struct p11key *k = NULL;
	STACK_OF(X509) *tcerts = NULL, *extra = NULL, *pool = NULL, *chain = NULL;
	X509 *cert = NULL;
	struct ks_buf pub, names, kuri;
	size_t n = 0, i;
	bool can_sign = true;
	int j, rc = -1;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	ks_buf_init(&pub, KS_P11_ATTR_MAX);
	ks_buf_init(&names, 16384);
	ks_buf_init(&kuri, KS_P11_URI_MAX);
	KS_GUARD(ks_p11_uri_parse(uri, &u));
	KS_ENSURE(u.type == KS_P11_OBJ_ANY || u.type == KS_P11_OBJ_PRIVATE, KS_ERR_ARG,
		  "a signing key URI must name a private key (type=private or no type)");
	KS_ENSURE(!u.has_unknown, KS_ERR_NOT_FOUND,
		  "the URI has a path attribute this program does not know, so it matches nothing "
		  "(RFC 7512)");
	KS_GUARD(ks_p11_init());
	KS_GUARD(load_chain_pem(chain_pem, &extra));
	KS_GUARD(choose_token(&u, &tok));
	if (ks_p11_session_get(tok, &l) < 0) {
		/* The token listed a moment ago is gone (KS_ERR_TOKEN). */
		if (ks_err_code() == KS_ERR_TOKEN)
			ks_p11_transient_note();
		goto out;
	}
	KS_GUARD(ensure_login(&l, &u, pin_cache));
	KS_GUARD(ks_p11_privkeys(&l, &u, &f, &n));
	if (n != 1) {
		const char *s = "";

		for (i = 0; i < n; i++) {
			ks_buf_reset(&kuri);
			if (ks_p11_object_uri(&tok->info, f[i].label, &f[i].id, &kuri) == 0 &&
			    ks_buf_cstr(&kuri, &s) == 0)
				if (ks_buf_printf(&names, "\n  %s", s) < 0)
					break;
		}
		if (ks_buf_cstr(&names, &s) < 0)
			s = "";
		KS_ENSURE(n > 0, KS_ERR_NOT_FOUND, "no private key on token '%s' matches the URI",
			  tok->info.label);
		KS_BAIL(KS_ERR_AMBIGUOUS,
			"the URI matches %zu private keys on token '%s'; name one with object= or "
			"id=:%s",
			n, tok->info.label, s);
	}
	KS_ENSURE(f[0].ktype == CKK_RSA || f[0].ktype == CKK_EC, KS_ERR_UNSUPPORTED,
		  "key '%s' is of type 0x%lx; only RSA and EC keys can sign here", f[0].label,
		  f[0].ktype);
	if (ks_p11_attr_bool(&l, f[0].handle, CKA_SIGN, &can_sign) < 0)
		goto out;
	KS_ENSURE(can_sign, KS_ERR_UNSUPPORTED, "key '%s' on token '%s' has CKA_SIGN false",
		  f[0].label, tok->info.label);

	k = calloc(1, sizeof(*k));
	KS_ENSURE(k != NULL, KS_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&k->lock, NULL);
	ks_buf_init(&k->id, KS_P11_URI_VALUE_MAX);
	k->tok = tok;
	tok = NULL; /* the key holds the reference now */
	k->handle = f[0].handle;
	k->handle_gen = l.generation;
	k->ktype = f[0].ktype;
	k->label = strdup(f[0].label);
	KS_ENSURE(k->label != NULL, KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_set(&k->id, f[0].id.data, f[0].id.len));
	if (ks_p11_attr_bool(&l, f[0].handle, CKA_ALWAYS_AUTHENTICATE, &k->always_auth) < 0)
		goto out;

	KS_GUARD(ks_p11_key_pub(&l, f[0].handle, k->ktype, &k->id, &pub));
	KS_GUARD(ks_p11_token_certs(&l, &tcerts));
	KS_GUARD(ks_p11_find_cert(&l, &k->id, k->ktype, &pub, tcerts, extra, &cert));
	KS_GUARD(ks_p11_mechanisms(&l));
	KS_ENSURE(k->ktype == CKK_EC ? k->tok->mech_ecdsa
				     : (k->tok->mech_rsa_pkcs || k->tok->mech_rsa_pss),
		  KS_ERR_UNSUPPORTED, "token '%s' offers no signature mechanism for this key",
		  k->tok->info.label);

	/* The chain: issuers found among the token's certificates and the
	 * PEM file; PEM certificates off that path are still passed on, the
	 * caller asked for them. */
	pool = sk_X509_new_null();
	KS_ENSURE(pool != NULL, KS_ERR_NOMEM, "out of memory");
	for (j = 0; j < sk_X509_num(tcerts); j++)
		KS_ENSURE(sk_X509_push(pool, sk_X509_value(tcerts, j)) > 0, KS_ERR_NOMEM,
			  "out of memory");
	for (j = 0; j < sk_X509_num(extra); j++)
		KS_ENSURE(sk_X509_push(pool, sk_X509_value(extra, j)) > 0, KS_ERR_NOMEM,
			  "out of memory");
	KS_GUARD(ks_p11_build_chain(cert, pool, &chain));
	for (j = 0; j < sk_X509_num(extra); j++) {
		X509 *x = sk_X509_value(extra, j);
		bool have = X509_cmp(x, cert) == 0;

		for (int m = 0; !have && m < sk_X509_num(chain); m++)
			have = X509_cmp(x, sk_X509_value(chain, m)) == 0;
		if (have)
			continue;
		KS_ENSURE(X509_up_ref(x) == 1, KS_ERR_CRYPTO, "X509_up_ref");
		if (sk_X509_push(chain, x) <= 0) {
			X509_free(x);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
	}
	{
		EVP_PKEY *pk = X509_get0_pubkey(cert);
		int bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
		const char *s;

		KS_ENSURE(bits > 0, KS_ERR_CERT, "certificate of key '%s' has no usable public key",
			  k->label);
		KS_ENSURE((k->ktype == CKK_EC) == (pk != NULL && EVP_PKEY_is_a(pk, "EC")),
			  KS_ERR_CERT, "certificate of key '%s' is for another key type", k->label);
		k->siglen =
		    k->ktype == CKK_EC ? 2 * (((size_t)bits + 7) / 8) : ((size_t)bits + 7) / 8;
		ks_buf_reset(&kuri);
		KS_GUARD(ks_p11_object_uri(&k->tok->info, k->label, &k->id, &kuri));
		KS_GUARD(ks_buf_cstr(&kuri, &s));
		ks_p11_session_put(&l, false);
		{
			struct p11key *impl = k;

			k = NULL; /* ks_key_new owns it from here, even on failure */
			KS_GUARD(ks_key_new(&p11key_ops, impl, cert, chain, s, out));
		}
	}
	rc = 0;
out:
	if (l.tok != NULL)
		ks_p11_session_put(&l, false);
	p11key_destroy(k);
	ks_p11_token_put(tok);
	ks_p11_found_free(f, n);
	X509_free(cert);
	sk_X509_free(pool);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(tcerts, X509_free);
	sk_X509_pop_free(extra, X509_free);
	ks_buf_cleanup(&pub);
	ks_buf_cleanup(&names);
	ks_buf_cleanup(&kuri);
	ks_p11_uri_cleanup(&u);
	return rc;
}

/* Milliseconds since `t0` (CLOCK_MONOTONIC). */
static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The next pause: KS_P11_RETRY_FIRST_MS doubling up to KS_P11_RETRY_MAX_MS,
 * jittered to 50-150% so that processes that failed together do not try
 * again together. */
static long backoff_ms(unsigned attempt)
{
	long d = KS_P11_RETRY_FIRST_MS;
	uint32_t r = 0;

	while (attempt-- > 1 && d < KS_P11_RETRY_MAX_MS)
		d *= 2;
	if (d > KS_P11_RETRY_MAX_MS)
		d = KS_P11_RETRY_MAX_MS;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) {
		ERR_clear_error();
		r = (uint32_t)getpid() * 2654435761u;
	}
	return d / 2 + (long)(r % (uint32_t)(d + 1));
}

int ks_p11_key_open(const char *uri, const char *chain_pem, struct ks_key **out)
{
	return ks_p11_key_open_pin(uri, chain_pem, NULL, out);
}

int ks_p11_key_open_pin(const char *uri, const char *chain_pem, const struct ks_buf *pin,
			struct ks_key **out)
{
	struct ks_buf pin_cache;
	struct timespec t0, pause;
	unsigned attempt;
	long delay;
	int rc;

	ks_buf_init_secret(&pin_cache, KS_P11_PIN_MAX);
	*out = NULL;
	if (pin != NULL) {
		if (pin->len == 0)
			return KS_SET(KS_ERR_PIN, "empty PIN");
		if (ks_buf_set(&pin_cache, pin->data, pin->len) < 0) {
			ks_buf_cleanup(&pin_cache);
			return -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (attempt = 1;; attempt++) {
		(void)ks_p11_transient_take();
		rc = key_open_once(uri, chain_pem, &pin_cache, out);
		/* Never after a PIN was refused: a wrong PIN costs one try. */
		if (rc == 0 || !ks_p11_transient_take() || ks_err_code() == KS_ERR_PIN)
			break;
		/* A token read while another process rewrote it (SoftHSM2
		 * logs in by rewriting its token file): the module may keep
		 * what it read, so it is loaded again when nothing else uses
		 * it, after a short pause. */
		delay = backoff_ms(attempt);
		if (elapsed_ms(&t0) + delay > KS_P11_RETRY_BUDGET_MS)
			break;
		ks_log(KS_LOG_INFO, "token not ready (%s); retrying in %ld ms (attempt %u)",
		       ks_err_msg(), delay, attempt + 1);
		pause.tv_sec = delay / 1000;
		pause.tv_nsec = (delay % 1000) * 1000000;
		while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
			;
		(void)ks_p11_reload_if_idle();
	}
	if (rc < 0 && attempt > 1)
		ks_err_set(ks_err_code(), ks_err_file(), ks_err_line(),
			   "%s (tried %u times in %ld ms)", ks_err_msg(), attempt, elapsed_ms(&t0));
	ks_buf_cleanup(&pin_cache);
	return rc;
}

int ks_p11_key_logout(struct ks_key *key)
{
	struct p11key *k;

	if (key == NULL || key->ops != &p11key_ops)
		return KS_SET(KS_ERR_ARG, "not a token key");
	k = key->impl;
	return ks_p11_token_logout(k->tok);
}
