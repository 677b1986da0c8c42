/* POST /v1/sign/prepare and /v1/sign/complete: two-phase signing (docs/api.md). */
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_sign.h"
#include "ks_codec.h"
#include "ks_log.h"
#include "signer/ks_twophase.h"

#define PREPARED_ID_BYTES 16
#define CERT_MAX ((size_t)64 << 10)
#define KS_API_CHAIN_MAX 8 /* certificates of a chain */

static const char *const prepare_known[] = { "key",      "level",    "md",          "format",
					     "pss",      "visible",  "reason",      "role",
					     "location", "certify",  "field",       "xml-mode",
					     "name",     "document", "certificate", "chain",
					     NULL };
static const char *const complete_known[] = { "id", "signature", "certificate", "chain", NULL };

static int load_cert(const struct ks_api_blob *b, X509 **out)
{
	const uint8_t *p = b->data;
	BIO *bio;

	*out = NULL;
	if (b->len > CERT_MAX)
		return KS_SET(KS_ERR_LIMIT, "certificate too large");
	if (b->len > 10 && memcmp(b->data, "-----BEGIN", 10) == 0) {
		bio = BIO_new_mem_buf(b->data, (int)b->len);
		if (bio != NULL)
			*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		*out = d2i_X509(NULL, &p, (long)b->len);
		if (*out != NULL && p != b->data + b->len) {
			X509_free(*out);
			*out = NULL;
		}
	}
	ERR_clear_error();
	if (*out == NULL)
		return KS_SET(KS_ERR_PARSE, "not a certificate (DER or PEM)");
	return 0;
}

static int load_chain(const struct ks_api_params *ps, STACK_OF(X509) * *out)
{
	size_t i;
	X509 *x;

	*out = sk_X509_new_null();
	if (*out == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < ps->nb; i++) {
		const struct ks_api_blob *b = &ps->b[i];

		if (strcmp(b->name, "chain") != 0)
			continue;
		if (b->len > 10 && memcmp(b->data, "-----BEGIN", 10) == 0) {
			/* PEM: every certificate of the text */
			BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);

			while (bio != NULL && sk_X509_num(*out) < KS_API_CHAIN_MAX &&
			       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
				if (sk_X509_push(*out, x) <= 0) {
					X509_free(x);
					break;
				}
			}
			BIO_free(bio);
			ERR_clear_error();
			if (sk_X509_num(*out) == 0)
				return KS_SET(KS_ERR_PARSE, "'chain' holds no certificate");
			continue;
		}
		if (load_cert(b, &x) < 0)
			return -1;
		if (sk_X509_push(*out, x) <= 0) {
			X509_free(x);
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		}
	}
	return 0;
}

static void cert_hash(X509 *x, uint8_t out[KS_STORE_HASH_LEN])
{
	unsigned len = 0;

	if (X509_digest(x, EVP_sha256(), out, &len) != 1 || len != KS_STORE_HASH_LEN)
		memset(out, 0, KS_STORE_HASH_LEN);
}

static int set_b64(json_t *o, const char *name, const uint8_t *p, size_t n)
{
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, n / 3 * 4 + 8);
	KS_GUARD(ks_base64_encode(p, n, &b));
	if (json_object_set_new(o, name, json_stringn((const char *)b.data, b.len)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

static int set_str(json_t *o, const char *name, const char *v)
{
	if (v != NULL && json_object_set_new(o, name, json_string(v)) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

static int der_of(X509 *x, struct ks_buf *out)
{
	unsigned char *d = NULL;
	int len = i2d_X509(x, &d);
	int rc;

	if (len <= 0)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "certificate encoding");
	rc = ks_buf_set(out, d, (size_t)len);
	OPENSSL_free(d);
	return rc;
}

/* What phase 2 needs besides the document, as JSON. */
static int meta_encode(const struct ks_api_sign_opts *o, const struct ks_prepared *p, X509 *cert,
		       STACK_OF(X509) * chain, const char *key_name, struct ks_buf *out)
{
	json_t *m = json_object(), *arr = json_array();
	struct ks_buf der;
	char *dump = NULL;
	int i, rc = -1;

	ks_buf_init(&der, CERT_MAX);
	if (m == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (json_object_set_new(m, "format", json_integer(p->format)) != 0 ||
	    json_object_set_new(m, "md", json_integer(p->md)) != 0 ||
	    json_object_set_new(m, "scheme", json_integer(p->scheme)) != 0 ||
	    json_object_set_new(m, "signing_time", json_integer((json_int_t)p->signing_time)) !=
		0 ||
	    json_object_set_new(m, "timestamped", json_boolean(p->timestamped)) != 0 ||
	    json_object_set_new(m, "sig_id", json_string(p->sig_id)) != 0 ||
	    json_object_set_new(m, "contents_off", json_integer((json_int_t)p->contents_off)) !=
		0 ||
	    json_object_set_new(m, "contents_len", json_integer((json_int_t)p->contents_len)) !=
		0 ||
	    json_object_set_new(m, "pss", json_boolean(o->pss)) != 0 ||
	    json_object_set_new(m, "certify", json_integer(o->pdf.certify)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set_b64(m, "tbs", p->tbs.data, p->tbs.len));
	KS_GUARD(set_b64(m, "digest", p->digest.data, p->digest.len));
	KS_GUARD(set_str(m, "level", o->level));
	KS_GUARD(set_str(m, "md_name", o->md));
	KS_GUARD(set_str(m, "visible", o->pdf.visible));
	KS_GUARD(set_str(m, "reason", o->pdf.reason));
	KS_GUARD(set_str(m, "role", o->pdf.role));
	KS_GUARD(set_str(m, "location", o->pdf.location));
	KS_GUARD(set_str(m, "field", o->pdf.field));
	KS_GUARD(set_str(m, "xml_mode", o->xml.mode));
	KS_GUARD(set_str(m, "name", o->name));
	/* the configured key named at prepare (by its name, also when the
	 * request gave its URI), for the audit row of complete */
	KS_GUARD(set_str(m, "key_name", key_name));
	KS_GUARD(der_of(cert, &der));
	KS_GUARD(set_b64(m, "cert", der.data, der.len));
	for (i = 0; i < sk_X509_num(chain); i++) {
		json_t *tmp = json_object();

		if (tmp == NULL || json_array_append_new(arr, tmp) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		KS_GUARD(der_of(sk_X509_value(chain, i), &der));
		KS_GUARD(set_b64(tmp, "c", der.data, der.len));
	}
	if (json_object_set(m, "chain", arr) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	dump = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_append_str(out, dump));
	rc = 0;
out:
	free(dump);
	json_decref(arr);
	json_decref(m);
	ks_buf_cleanup(&der);
	return rc;
}

/* The stored state back: options (strings kept in `keep`), the
 * prepared state, the certificate and chain. */
struct decoded {
	json_t *m;
	struct ks_api_sign_opts o;
	const char *key_name; /* NULL: prepared without a configured key */
	X509 *cert;
	STACK_OF(X509) * chain;
};

static const char *get_str(json_t *m, const char *name)
{
	json_t *v = json_object_get(m, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int get_b64(json_t *m, const char *name, struct ks_buf *out)
{
	json_t *v = json_object_get(m, name);

	if (!json_is_string(v))
		return KS_SET(KS_ERR_PARSE, "prepared state: no %s", name);
	return ks_base64_decode(json_string_value(v), json_string_length(v), false, out);
}

static int cert_of_b64(const char *b64, size_t n, X509 **out)
{
	struct ks_buf der;
	struct ks_api_blob b;
	int rc;

	ks_buf_init(&der, CERT_MAX);
	rc = ks_base64_decode(b64, n, false, &der);
	if (rc == 0) {
		memset(&b, 0, sizeof(b));
		b.data = der.data;
		b.len = der.len;
		rc = load_cert(&b, out);
	}
	ks_buf_cleanup(&der);
	return rc;
}

static int meta_decode(const struct ks_buf *meta, struct ks_prepared *p, struct decoded *d)
{
	json_error_t e;
	json_t *v, *arr;
	size_t i;

	memset(d, 0, sizeof(*d));
	ks_sign_xml_opts_init(&d->o.xml);
	d->m = json_loadb((const char *)meta->data, meta->len, 0, &e);
	if (!json_is_object(d->m))
		return KS_SET(KS_ERR_PARSE, "prepared state unreadable");
	p->format = (enum ks_format)json_integer_value(json_object_get(d->m, "format"));
	p->md = (enum ks_md)json_integer_value(json_object_get(d->m, "md"));
	p->scheme = (enum ks_sig_scheme)json_integer_value(json_object_get(d->m, "scheme"));
	p->signing_time = (time_t)json_integer_value(json_object_get(d->m, "signing_time"));
	p->timestamped = json_is_true(json_object_get(d->m, "timestamped"));
	snprintf(p->sig_id, sizeof(p->sig_id), "%s",
		 get_str(d->m, "sig_id") != NULL ? get_str(d->m, "sig_id") : "");
	p->contents_off = (uint64_t)json_integer_value(json_object_get(d->m, "contents_off"));
	p->contents_len = (uint64_t)json_integer_value(json_object_get(d->m, "contents_len"));
	if (get_b64(d->m, "tbs", &p->tbs) < 0 || get_b64(d->m, "digest", &p->digest) < 0)
		return -1;
	d->o.pss = json_is_true(json_object_get(d->m, "pss"));
	d->o.pdf.certify = (int)json_integer_value(json_object_get(d->m, "certify"));
	d->o.level = get_str(d->m, "level");
	d->o.md = get_str(d->m, "md_name");
	d->o.pdf.visible = get_str(d->m, "visible");
	d->o.pdf.reason = get_str(d->m, "reason");
	d->o.pdf.role = get_str(d->m, "role");
	d->o.xml.role = d->o.pdf.role;
	d->o.pdf.location = get_str(d->m, "location");
	d->o.pdf.field = get_str(d->m, "field");
	if (get_str(d->m, "xml_mode") != NULL)
		d->o.xml.mode = get_str(d->m, "xml_mode");
	d->o.name = get_str(d->m, "name");
	d->key_name = get_str(d->m, "key_name");
	d->o.f = p->format;
	v = json_object_get(d->m, "cert");
	if (!json_is_string(v) ||
	    cert_of_b64(json_string_value(v), json_string_length(v), &d->cert) < 0)
		return KS_SET(KS_ERR_PARSE, "prepared state: no certificate");
	d->chain = sk_X509_new_null();
	arr = json_object_get(d->m, "chain");
	if (d->chain == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(arr); i++) {
		X509 *x;

		v = json_object_get(json_array_get(arr, i), "c");
		if (!json_is_string(v) ||
		    cert_of_b64(json_string_value(v), json_string_length(v), &x) < 0)
			return KS_SET(KS_ERR_PARSE, "prepared state: bad chain");
		if (sk_X509_push(d->chain, x) <= 0) {
			X509_free(x);
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		}
	}
	return 0;
}

static void decoded_cleanup(struct decoded *d)
{
	X509_free(d->cert);
	if (d->chain != NULL)
		sk_X509_pop_free(d->chain, X509_free);
	json_decref(d->m);
	memset(d, 0, sizeof(*d));
}

static void random_id(char id[KS_STORE_ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[PREPARED_ID_BYTES];
	size_t i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	for (i = 0; i < sizeof(b); i++) {
		id[2 * i] = hex[b[i] >> 4];
		id[2 * i + 1] = hex[b[i] & 15];
	}
	id[2 * sizeof(b)] = '\0';
}

static int prepare_reply(const struct ks_api_request *q, const struct ks_store_prepared *sp,
			 const struct ks_prepared *p, struct ks_api_reply *r)
{
	json_t *o = json_object();
	char *dump = NULL;
	int rc = -1;

	if (o == NULL || json_object_set_new(o, "id", json_string(sp->id)) != 0 ||
	    json_object_set_new(o, "algorithm", json_string(ks_md_name(p->md))) != 0 ||
	    json_object_set_new(o, "scheme", json_string(ks_sig_scheme_name(p->scheme))) != 0 ||
	    json_object_set_new(o, "expires", json_integer((json_int_t)sp->expires)) != 0 ||
	    json_object_set_new(o, "format", json_string(ks_format_name(p->format))) != 0 ||
	    json_object_set_new(o, "request_id", json_string(q->id)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set_b64(o, "digest", p->tbs.data, p->tbs.len));
	dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	r->status = 200;
	r->content_type = "application/json";
	KS_GUARD(ks_buf_append_str(&r->body, dump));
	rc = 0;
out:
	free(dump);
	json_decref(o);
	return rc;
}

int ks_api_prepare_run(struct ks_api_svc *s, const struct ks_api_request *q,
		       const struct ks_api_caller *who, struct ks_api_key *k,
		       const struct ks_api_sign_opts *o, X509 *cert, STACK_OF(X509) * chain,
		       const char *name, const uint8_t *doc, size_t n, const char *digest,
		       struct ks_store_prepared *sp, struct ks_prepared *p, struct ks_api_reply *r)
{
	struct ks_sign_job j;
	struct ks_key *ext = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = 1, prep;
	bool waits;

	if (ks_extkey_new(cert, chain, "remote signer", &ext) < 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		return -1;
	}
	ks_api_sign_job(s, o, ext, name, ks_api_sign_format(q, o, doc, n), &j);
	j.in_data = doc;
	j.in_len = n;
	/* the external key computes nothing here: only the revocation
	 * check and the level decide */
	waits = ks_api_sign_waits(s, o, NULL);
	if (waits)
		ks_api_http_wait_begin();
	prep = ks_twophase_prepare(&j, p);
	if (waits)
		ks_api_http_wait_end();
	if (prep < 0) {
		ks_api_sign_failed(s, q, who, "prepare", k, digest, o->level, r);
		goto out;
	}
	random_id(sp->id);
	snprintf(sp->client, sizeof(sp->client), "%s", who->c.id);
	cert_hash(cert, sp->cert_hash);
	sp->created = now;
	sp->expires = now + (int64_t)s->conf->prepared_ttl_s;
	if (meta_encode(o, p, cert, chain, k != NULL ? k->conf->name : NULL, &sp->meta) < 0 ||
	    ks_buf_set(&sp->doc, p->doc.data, p->doc.len) < 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		rc = -1;
		goto out;
	}
	if (ks_store_prepared_put(s->store, sp) < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", true);
		goto out;
	}
	rc = 0;
out:
	ks_key_free(ext);
	return rc;
}

int ks_api_prepare_cert(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const struct ks_api_params *ps,
			const char *keyname, const char *digest, X509 **cert,
			STACK_OF(X509) * *chain, struct ks_api_key **k, struct ks_api_reply *r)
{
	const struct ks_api_blob *cb = ks_api_blob(ps, "certificate");
	struct ks_key *held = NULL;

	*k = NULL;
	if (cb == NULL || load_cert(cb, cert) < 0 || load_chain(ps, chain) < 0) {
		ks_err_clear();
		ks_api_fail(q, r, "bad-parameter", "'certificate' or 'chain' is not a certificate",
			    false);
		return 1;
	}
	/* a named key: granted, and the certificate must be that key's */
	if (keyname != NULL) {
		if (ks_api_key_granted(s, q, who, "prepare", keyname, k, r) != 0)
			return 1;
		if (ks_api_key_get(s, *k, &held) == 0 && held != NULL &&
		    X509_cmp(held->cert, *cert) != 0) {
			ks_api_fail(q, r, "prepared-wrong-certificate",
				    "the certificate is not the named key's", false);
			ks_api_audit(s, q, who, "prepare", (*k)->conf->name, digest, "",
				     "prepared-wrong-certificate");
			return 1;
		}
		ks_err_clear();
	}
	return 0;
}

int ks_api_h_prepare(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_api_params ps;
	struct ks_api_sign_opts o;
	struct ks_api_key *k = NULL;
	struct ks_prepared p;
	struct ks_store_prepared sp;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	const uint8_t *doc;
	size_t n;
	char digest[KS_API_DOC_DIGEST_HEX] = "";
	int rc = 0;

	ks_api_params_init(&ps);
	ks_prepared_init(&p);
	ks_store_prepared_init(&sp);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_PREPARE, "prepare", r) != 0 ||
	    ks_api_read_params(q, &ps, &doc, &n, r) != 0 ||
	    ks_api_sign_opts_read(q, &ps, prepare_known, &o, r) != 0)
		goto out;
	if (doc == NULL || n == 0 || ks_api_blob(&ps, "certificate") == NULL) {
		ks_api_bad_param(q, r, "'%s' and 'certificate' are required", "document");
		goto out;
	}
	ks_api_sha256_hex(doc, n, digest);
	if (!ks_api_md_allowed(s, o.md)) {
		ks_api_bad_param(q, r, "the digest algorithm '%s' is not allowed here",
				 o.md != NULL ? o.md : "sha256");
		goto out;
	}
	if (ks_api_prepare_cert(s, q, &who, &ps, o.key, digest, &cert, &chain, &k, r) != 0)
		goto out;
	rc = ks_api_prepare_run(s, q, &who, k, &o, cert, chain, NULL, doc, n, digest, &sp, &p, r);
	if (rc != 0) {
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	ks_api_audit(s, q, &who, "prepare", k != NULL ? k->conf->name : "", digest,
		     o.level != NULL ? o.level : "B-B", "ok");
	rc = prepare_reply(q, &sp, &p, r);
out:
	X509_free(cert);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	ks_store_prepared_cleanup(&sp);
	ks_prepared_cleanup(&p);
	ks_api_params_cleanup(&ps);
	return rc;
}

static const char *claim_code(enum ks_store_claim why)
{
	switch (why) {
	case KS_CLAIM_OK:
		return "ok";
	case KS_CLAIM_NOT_FOUND:
		return "prepared-not-found";
	case KS_CLAIM_OTHER_CLIENT:
		return "prepared-other-client";
	case KS_CLAIM_EXPIRED:
		return "prepared-expired";
	case KS_CLAIM_USED:
		return "prepared-used";
	}
	return "internal";
}

/* The state's conditions before any work: 1 when answered. */
static int prepared_usable(struct ks_api_svc *s, const struct ks_api_request *q,
			   const struct ks_api_caller *who, const struct ks_store_prepared *sp,
			   int64_t now, struct ks_api_reply *r)
{
	enum ks_store_claim why = KS_CLAIM_OK;

	if (strcmp(sp->client, who->c.id) != 0)
		why = KS_CLAIM_OTHER_CLIENT;
	else if (sp->used)
		why = KS_CLAIM_USED;
	else if (sp->expires <= now)
		why = KS_CLAIM_EXPIRED;
	if (why == KS_CLAIM_OK)
		return 0;
	ks_api_fail(q, r, claim_code(why), NULL, false);
	ks_api_audit(s, q, who, "complete", "", "", "", claim_code(why));
	return 1;
}

int ks_api_complete_run(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *id, const uint8_t *sig,
			size_t siglen, const struct ks_api_blob *cb, const struct ks_api_params *ps,
			struct ks_buf *out, struct ks_sign_outcome *res,
			char digest[KS_API_DOC_DIGEST_HEX], char level[KS_API_LEVEL_MAX],
			struct ks_api_signed_ref *ref, struct ks_api_reply *r)
{
	struct ks_store_prepared sp;
	struct ks_prepared p;
	struct decoded d;
	struct ks_sign_job j;
	struct ks_key *ext = NULL;
	enum ks_store_claim why = KS_CLAIM_OK;
	uint8_t h[KS_STORE_HASH_LEN];
	int64_t now = (int64_t)time(NULL);
	int rc = 1, done;
	bool waits;

	ks_store_prepared_init(&sp);
	ks_prepared_init(&p);
	memset(&d, 0, sizeof(d));
	digest[0] = '\0';
	snprintf(level, KS_API_LEVEL_MAX, "B-B");
	if (ks_store_prepared_get(s->store, id, &sp) < 0) {
		if (ks_err_code() == KS_ERR_NOT_FOUND) {
			ks_api_fail(q, r, "prepared-not-found", NULL, false);
			ks_api_audit(s, q, who, "complete", "", "", "", "prepared-not-found");
		} else {
			ks_api_fail(q, r, "storage-unavailable", "try again shortly", true);
		}
		goto out;
	}
	if (prepared_usable(s, q, who, &sp, now, r) != 0)
		goto out;
	if (meta_decode(&sp.meta, &p, &d) < 0 || ks_buf_set(&p.doc, sp.doc.data, sp.doc.len) < 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	ks_api_sha256_hex(sp.doc.data, sp.doc.len, digest);
	if (d.o.level != NULL)
		snprintf(level, KS_API_LEVEL_MAX, "%s", d.o.level);
	/* bound to the certificate: one given must be the prepared one */
	if (cb != NULL) {
		X509 *x = NULL;

		if (load_cert(cb, &x) < 0) {
			ks_api_fail(q, r, "bad-parameter", "'certificate' is not a certificate",
				    false);
			goto out;
		}
		cert_hash(x, h);
		X509_free(x);
		if (CRYPTO_memcmp(h, sp.cert_hash, sizeof(h)) != 0) {
			ks_api_fail(q, r, "prepared-wrong-certificate", NULL, false);
			ks_api_audit(s, q, who, "complete", "", digest, "",
				     "prepared-wrong-certificate");
			goto out;
		}
	}
	if (ps != NULL && ks_api_blob(ps, "chain") != NULL) {
		sk_X509_pop_free(d.chain, X509_free);
		d.chain = NULL;
		if (load_chain(ps, &d.chain) < 0) {
			ks_api_fail(q, r, "bad-parameter", "'chain' is not a certificate", false);
			goto out;
		}
	}
	if (ks_extkey_new(d.cert, d.chain, "remote signer", &ext) < 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	ks_api_sign_job(s, &d.o, ext, NULL, p.format, &j);
	/* the signature is checked against the certificate before anything
	 * is built */
	waits = ks_api_sign_waits(s, &d.o, NULL);
	if (waits)
		ks_api_http_wait_begin();
	done = ks_twophase_complete(&j, &p, sig, siglen, out, res);
	if (waits)
		ks_api_http_wait_end();
	if (done < 0) {
		if (ks_err_code() == KS_ERR_ARG) {
			ks_api_fail(q, r, "bad-signature",
				    "the signature does not verify with the certificate over "
				    "the prepared digest",
				    false);
			ks_api_audit(s, q, who, "complete", "", digest, d.o.level, "bad-signature");
		} else {
			ks_api_sign_failed(s, q, who, "complete", NULL, digest, d.o.level, r);
		}
		goto out;
	}
	/* single use: only now, and atomically; a lost race answers like a
	 * second use */
	if (ks_store_prepared_claim(s->store, id, who->c.id, now, &why) < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", true);
		goto out;
	}
	if (why != KS_CLAIM_OK) {
		ks_api_fail(q, r, claim_code(why), NULL, false);
		ks_api_audit(s, q, who, "complete", "", digest, d.o.level, claim_code(why));
		goto out;
	}
	ks_api_signed_ref_of(ref, q, res, out, ext, NULL);
	snprintf(ref->key, sizeof(ref->key), "%s", d.key_name != NULL ? d.key_name : "");
	rc = 0;
out:
	ks_key_free(ext);
	decoded_cleanup(&d);
	ks_prepared_cleanup(&p);
	ks_store_prepared_cleanup(&sp);
	return rc;
}

int ks_api_h_complete(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_api_params ps;
	struct ks_sign_outcome res;
	struct ks_audit_event ev;
	struct ks_api_signed_ref ref;
	struct ks_buf out;
	const struct ks_api_blob *sig;
	const char *id, *unknown;
	const uint8_t *doc;
	size_t n;
	char digest[KS_API_DOC_DIGEST_HEX] = "", level[KS_API_LEVEL_MAX] = "";
	int rc = 0;

	ks_api_params_init(&ps);
	ks_buf_init(&out, KS_TWOPHASE_DOC_MAX);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_PREPARE, "complete", r) != 0 ||
	    ks_api_read_params(q, &ps, &doc, &n, r) != 0)
		goto out;
	unknown = ks_api_params_unknown(&ps, complete_known);
	id = ks_api_param(&ps, "id");
	sig = ks_api_blob(&ps, "signature");
	if (unknown != NULL || doc != NULL || id == NULL || sig == NULL) {
		ks_api_bad_param(q, r,
				 "complete takes '%s', 'signature' and optionally 'certificate' "
				 "and 'chain' (JSON or multipart)",
				 "id");
		goto out;
	}
	if (ks_api_complete_run(s, q, &who, id, sig->data, sig->len,
				ks_api_blob(&ps, "certificate"), &ps, &out, &res, digest, level,
				&ref, r) != 0)
		goto out;
	ks_api_audit_event(&ev, q, &who, "complete", ref.key, digest, level, "ok", NULL);
	rc = ks_api_signed_reply(s, q, &ev, &ref, &res, &out, r);
out:
	ks_buf_cleanup(&out);
	ks_api_params_cleanup(&ps);
	return rc;
}
