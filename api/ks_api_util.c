/* Helpers shared by the service's handlers (ks_api_int.h). */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_int.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"

#define KEY_PASS_MAX 1024

/* ---- small helpers ---- */

static void hex32(const uint8_t d[32], char out[KS_API_DOC_DIGEST_HEX])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void ks_api_sha256_hex(const uint8_t *p, size_t n, char out[KS_API_DOC_DIGEST_HEX])
{
	uint8_t d[32];
	unsigned len = 0;

	if (EVP_Digest(p, n, d, &len, ks_md_evp(KS_MD_SHA256), NULL) != 1 || len != 32)
		memset(d, 0, sizeof(d));
	hex32(d, out);
}

/* The digest of the bytes ctx was fed and then `p`; false when OpenSSL
 * failed. */
static bool finish_from(const EVP_MD_CTX *ctx, const uint8_t *p, size_t n, uint8_t d[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = 0;
	bool ok = c != NULL && EVP_MD_CTX_copy_ex(c, ctx) == 1 &&
		  (n == 0 || EVP_DigestUpdate(c, p, n) == 1) &&
		  EVP_DigestFinal_ex(c, d, &len) == 1 && len == 32;

	EVP_MD_CTX_free(c);
	return ok;
}

void ks_api_doc_hash_init(struct ks_api_doc_hash *h, const uint8_t *doc, size_t n)
{
	unsigned len = 0;

	h->doc = doc;
	h->n = n;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, ks_md_evp(KS_MD_SHA256), NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, doc, n) != 1 || !finish_from(h->ctx, NULL, 0, h->bin)) {
		ERR_clear_error();
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		if (EVP_Digest(doc, n, h->bin, &len, ks_md_evp(KS_MD_SHA256), NULL) != 1 ||
		    len != 32)
			memset(h->bin, 0, sizeof(h->bin));
	}
	hex32(h->bin, h->hex);
}

void ks_api_doc_hash_cleanup(struct ks_api_doc_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void ks_api_doc_hash_of(const struct ks_api_doc_hash *h, const uint8_t *out, size_t len,
			char hex[KS_API_DOC_DIGEST_HEX])
{
	uint8_t d[32];

	if (h != NULL && h->ctx != NULL && len >= h->n && memcmp(out, h->doc, h->n) == 0 &&
	    finish_from(h->ctx, out + h->n, len - h->n, d)) {
		hex32(d, hex);
		return;
	}
	ERR_clear_error();
	ks_api_sha256_hex(out, len, hex);
}

void ks_api_fail(const struct ks_api_request *q, struct ks_api_reply *r, const char *code,
		 const char *detail, bool internal)
{
	if (internal)
		ks_log(KS_LOG_ERROR, "request %s %s %s: %s (%s)", q->id, q->method, q->path, code,
		       ks_err_msg());
	else
		ks_log(KS_LOG_INFO, "request %s %s %s: %s: %s", q->id, q->method, q->path, code,
		       detail != NULL ? detail : "");
	ks_err_clear();
	ks_api_req_note_problem(q, code);
	ks_api_problem(r, q->id, code, detail);
}

int ks_api_audit_one(struct ks_store *st, struct ks_audit_signer *sg,
		     const struct ks_audit_event *ev)
{
	return ks_audit_append(st, sg, ev, 1, NULL);
}

int ks_api_audit(struct ks_api_svc *s, const struct ks_api_request *q,
		 const struct ks_api_caller *who, const char *op, const char *key,
		 const char *digest, const char *level, const char *outcome)
{
	struct ks_audit_event ev = { .op = op,
				     .client = who != NULL && who->authenticated ? who->c.name : "",
				     .key = key,
				     .digest = digest,
				     .level = level,
				     .outcome = outcome,
				     .request = q->id };
	unsigned status = strcmp(outcome, "ok") == 0 ? 200 : ks_api_problem_status(outcome);
	int rc;

	ks_api_req_mark_audited(q);
	if (status >= 400 && status < 500) {
		/* a refusal: rationed, with the address */
		ev.addr = q->addr;
		rc = ks_api_refusal_audit(s, &ev);
	} else {
		rc = ks_api_auditq_add(s, &ev);
	}
	if (rc < 0) {
		ks_log(KS_LOG_ERROR, "request %s: audit row not written: %s", q->id, ks_err_msg());
		ks_err_clear();
		return -1;
	}
	return 0;
}

int ks_api_authenticate(struct ks_api_svc *s, const struct ks_api_request *q, bool need,
			struct ks_api_caller *who, struct ks_api_reply *r)
{
	uint8_t hash[KS_STORE_HASH_LEN];
	char id[KS_STORE_ID_MAX];
	bool ok;

	memset(who, 0, sizeof(*who));
	if (q->authorization == NULL) {
		if (!need)
			return 0;
		ks_api_fail(q, r, "unauthorized", "send Authorization: Bearer <client token>",
			    false);
		ks_api_audit(s, q, who, ks_api_route_op(q->path), "", "", "", "unauthorized");
		return 1;
	}
	if (ks_api_token_parse(q->authorization, id, hash) < 0) {
		ks_err_clear();
		goto bad;
	}
	if (ks_store_client_get(s->store, id, &who->c) < 0) {
		if (ks_err_code() != KS_ERR_NOT_FOUND) {
			ks_api_fail(q, r, "storage-unavailable", "try again shortly", true);
			return -1;
		}
		ks_err_clear();
		/* the same work as a known id: no timing difference */
		memset(&who->c, 0, sizeof(who->c));
		(void)ks_api_token_matches(&who->c, hash);
		goto bad;
	}
	ok = ks_api_token_matches(&who->c, hash);
	if (!ok || who->c.revoked != 0)
		goto bad;
	who->authenticated = true;
	ks_api_req_note_client(q, who->c.name);
	return 0;
bad:
	memset(who, 0, sizeof(*who));
	ks_api_fail(q, r, "unauthorized", "the client token is not valid", false);
	ks_api_audit(s, q, who, ks_api_route_op(q->path), "", "", "", "unauthorized");
	return 1;
}

int ks_api_require_op(struct ks_api_svc *s, const struct ks_api_request *q,
		      const struct ks_api_caller *who, unsigned op, const char *opname,
		      struct ks_api_reply *r)
{
	char msg[96];

	if (who->authenticated && (who->c.ops & op) != 0)
		return 0;
	snprintf(msg, sizeof(msg), "the client is not granted the operation '%s'", opname);
	ks_api_fail(q, r, "forbidden-operation", msg, false);
	ks_api_audit(s, q, who, opname, "", "", "", "forbidden-operation");
	return 1;
}

int ks_api_read_params(const struct ks_api_request *q, struct ks_api_params *ps,
		       const uint8_t **doc, size_t *doclen, struct ks_api_reply *r)
{
	const char *code = "bad-parameter";
	size_t i;

	*doc = NULL;
	*doclen = 0;
	if (q->query_bad) {
		ks_api_fail(q, r, "bad-parameter", q->query_err, false);
		return 1;
	}
	for (i = 0; i < q->query.n; i++)
		if (ks_api_params_add(ps, q->query.p[i].name, q->query.p[i].value,
				      strlen(q->query.p[i].value)) < 0)
			goto bad;
	if (ks_http_type_is(q->content_type, "application/json")) {
		code = "bad-json";
		if (ks_api_params_from_json(q->body, q->len, ps) < 0)
			goto bad;
	} else if (ks_http_type_is(q->content_type, "multipart/form-data")) {
		code = "bad-multipart";
		if (ks_api_params_from_multipart(q->content_type, q->body, q->len, ps) < 0)
			goto bad;
	} else if (q->len > 0) {
		if (q->content_type == NULL ||
		    ks_http_type_is(q->content_type, "application/x-www-form-urlencoded")) {
			ks_api_fail(q, r, "unsupported-media-type",
				    "send the document as application/pdf, application/xml, "
				    "application/octet-stream, JSON or multipart/form-data",
				    false);
			return 1;
		}
		*doc = q->body;
		*doclen = q->len;
		return 0;
	}
	{
		const struct ks_api_blob *b = ks_api_blob(ps, "document");

		if (b != NULL) {
			*doc = b->data;
			*doclen = b->len;
		}
	}
	return 0;
bad:
	if (ks_err_code() == KS_ERR_ENCODING && strstr(ks_err_msg(), "base64") != NULL)
		code = "bad-base64";
	{
		char detail[KS_PROBLEM_DETAIL_MAX];

		/* the parsers' messages name parameters and positions only */
		snprintf(detail, sizeof(detail), "%s", ks_err_msg());
		ks_api_fail(q, r, code, detail, false);
	}
	return 1;
}

/* ---- keys ---- */

struct ks_api_key *ks_api_key_find(struct ks_api_svc *s, const char *name)
{
	const struct ks_api_key_conf *kc = ks_api_conf_key(s->conf, name);
	size_t i;

	for (i = 0; kc != NULL && i < s->n_keys; i++)
		if (s->keys[i].conf == kc)
			return &s->keys[i];
	return NULL;
}

int ks_api_open_file_key(const struct ks_api_key_conf *kc, struct ks_key **out)
{
	const char *env = getenv("KYSO_KEY_PASS");
	struct ks_buf pass;
	const char *p = NULL;
	int rc = -1;

	ks_buf_init_secret(&pass, KEY_PASS_MAX);
	if (env != NULL) {
		KS_GUARD(ks_buf_append_str(&pass, env));
		KS_GUARD(ks_buf_cstr(&pass, &p));
	}
	KS_GUARD(ks_filekey_open(kc->key_file, kc->cert, kc->chain, p, out));
	rc = 0;
out:
	ks_buf_cleanup(&pass);
	return rc;
}

int ks_api_open_key(struct ks_api_svc *s, const struct ks_api_key_conf *kc, struct ks_key **out)
{
	if (kc->uri != NULL) {
		if (!s->p11) {
			if (ks_p11_init() < 0)
				return -1;
			s->p11 = true;
		}
		return ks_p11_key_open(kc->uri, kc->chain, out);
	}
	return ks_api_open_file_key(kc, out);
}

int ks_api_key_get(struct ks_api_svc *s, struct ks_api_key *k, struct ks_key **out)
{
	int rc = 0;

	pthread_mutex_lock(&k->lock);
	if (k->key == NULL) {
		rc = ks_api_open_key(s, k->conf, &k->key);
		if (rc < 0)
			k->key = NULL;
	}
	*out = k->key;
	pthread_mutex_unlock(&k->lock);
	return rc;
}
