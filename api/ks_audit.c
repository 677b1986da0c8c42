/* Audit entries, RFC 9162 Merkle tree hashing, inclusion proofs and
 * signed checkpoints (ks_audit.h). */
#include "api/ks_audit.h"

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_io.h"
#include "ks_key.h"
#include "ks_size.h"
#include "signer/ks_record_ref.h"

#define PEM_MAX ((size_t)64 << 10)
#define CHECKPOINT_HEAD "kyso audit checkpoint v1\n"
#define B64_HASH_LEN 44
#define TIME_LEN 20 /* 2025-06-01T08:00:00Z */

/* ---- entries ---- */

static int put_str(json_t *o, const char *k, const char *v)
{
	json_t *s;

	if (v == NULL)
		v = "";
	if (strlen(v) > KS_AUDIT_FIELD_MAX)
		return KS_SET(KS_ERR_LIMIT, "audit field '%s' is too long", k);
	s = json_string(v);
	if (s == NULL)
		return KS_SET(KS_ERR_ENCODING, "audit field '%s' is not UTF-8", k);
	if (json_object_set_new(o, k, s) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

static int time_text(int64_t ms, bool with_ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return KS_SET(KS_ERR_INTERNAL, "time out of range");
	if (with_ms)
		snprintf(out, n, "%s.%03dZ", base, (int)(ms % 1000));
	else
		snprintf(out, n, "%sZ", base);
	return 0;
}

int ks_audit_entry_encode(const struct ks_audit_event *ev, const char *instance, uint64_t seq,
			  int64_t time_ms, struct ks_buf *out)
{
	json_t *o = json_object();
	char when[40], *text = NULL;
	int rc = -1;

	if (o == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(time_text(time_ms, true, when, sizeof(when)));
	if (ev->addr != NULL && ev->addr[0] != '\0')
		KS_GUARD(put_str(o, "addr", ev->addr));
	if (ev->count > (uint64_t)INT64_MAX ||
	    (ev->count > 0 &&
	     json_object_set_new(o, "count", json_integer((json_int_t)ev->count)) != 0))
		KS_BAIL(KS_ERR_OVERFLOW, "count out of range");
	KS_GUARD(put_str(o, "client", ev->client));
	KS_GUARD(put_str(o, "digest", ev->digest));
	KS_GUARD(put_str(o, "instance", instance));
	KS_GUARD(put_str(o, "key", ev->key));
	KS_GUARD(put_str(o, "level", ev->level));
	KS_GUARD(put_str(o, "op", ev->op));
	KS_GUARD(put_str(o, "outcome", ev->outcome));
	KS_GUARD(put_str(o, "request", ev->request));
	if (ev->session != NULL && ev->session[0] != '\0')
		KS_GUARD(put_str(o, "session", ev->session));
	KS_GUARD(put_str(o, "time", when));
	if (ev->record != NULL && ev->record[0] != '\0') {
		if (!ks_record_ref_ok(ev->record))
			KS_BAIL(KS_ERR_ARG, "audit field 'record' is not a record id");
		KS_GUARD(put_str(o, "record", ev->record));
	}
	if (ev->signed_digest != NULL && ev->signed_digest[0] != '\0')
		KS_GUARD(put_str(o, "signed", ev->signed_digest));
	if (ev->signer != NULL && ev->signer[0] != '\0')
		KS_GUARD(put_str(o, "signer", ev->signer));
	if (seq > (uint64_t)INT64_MAX ||
	    json_object_set_new(o, "seq", json_integer((json_int_t)seq)) != 0)
		KS_BAIL(KS_ERR_OVERFLOW, "sequence number out of range");
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_append_str(out, text));
	rc = 0;
out:
	free(text);
	json_decref(o);
	return rc;
}

static int copy_field(json_t *o, const char *k, char *out, size_t n)
{
	json_t *v = json_object_get(o, k);
	const char *s;

	if (!json_is_string(v) || json_string_length(v) >= n)
		return KS_SET(KS_ERR_PARSE, "audit entry: '%s' missing or too long", k);
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return KS_SET(KS_ERR_PARSE, "audit entry: '%s' holds a NUL", k);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int ks_audit_entry_fields(const uint8_t *entry, size_t n, uint64_t *seq, char *instance,
			  size_t ilen, char *digest, size_t dlen)
{
	json_error_t e;
	json_t *o = NULL, *s;
	int rc = -1;

	if (n > KS_STORE_ENTRY_MAX)
		KS_BAIL(KS_ERR_LIMIT, "audit entry of %zu bytes", n);
	o = json_loadb((const char *)entry, n, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o))
		KS_BAIL(KS_ERR_PARSE, "audit entry is not a JSON object");
	s = json_object_get(o, "seq");
	if (!json_is_integer(s) || json_integer_value(s) < 1)
		KS_BAIL(KS_ERR_PARSE, "audit entry: no sequence number");
	*seq = (uint64_t)json_integer_value(s);
	KS_GUARD(copy_field(o, "instance", instance, ilen));
	KS_GUARD(copy_field(o, "digest", digest, dlen));
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ---- hashing (RFC 9162 2.1.1) ---- */

static void sha256_parts(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, const uint8_t *c,
			 size_t cn, uint8_t out[KS_AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	/* Out of memory in a hash is not recoverable here: the result is
	 * zeros, which no check accepts.  `out` may be one of the inputs. */
	memset(h, 0, sizeof(h));
	if (ctx != NULL && EVP_DigestInit_ex(ctx, ks_md_evp(KS_MD_SHA256), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, a, an) == 1 && (bn == 0 || EVP_DigestUpdate(ctx, b, bn) == 1) &&
	    (cn == 0 || EVP_DigestUpdate(ctx, c, cn) == 1))
		(void)EVP_DigestFinal_ex(ctx, h, &len);
	EVP_MD_CTX_free(ctx);
	memcpy(out, h, KS_AUDIT_HASH_LEN);
}

void ks_audit_leaf_hash(const uint8_t *entry, size_t n, uint8_t out[KS_AUDIT_HASH_LEN])
{
	static const uint8_t zero = 0x00;

	sha256_parts(&zero, 1, entry, n, NULL, 0, out);
}

void ks_audit_node_hash(const uint8_t l[KS_AUDIT_HASH_LEN], const uint8_t r[KS_AUDIT_HASH_LEN],
			uint8_t out[KS_AUDIT_HASH_LEN])
{
	static const uint8_t one = 0x01;

	sha256_parts(&one, 1, l, KS_AUDIT_HASH_LEN, r, KS_AUDIT_HASH_LEN, out);
}

void ks_audit_range_init(struct ks_audit_range *r)
{
	memset(r, 0, sizeof(*r));
}

void ks_audit_range_push(struct ks_audit_range *r, const uint8_t leaf[KS_AUDIT_HASH_LEN])
{
	uint8_t h[KS_AUDIT_HASH_LEN];
	uint64_t s = r->size;

	memcpy(h, leaf, sizeof(h));
	/* Every trailing one bit of the size is a perfect subtree that the
	 * new leaf completes. */
	while ((s & 1) != 0 && r->n > 0) {
		ks_audit_node_hash(r->h[r->n - 1], h, h);
		r->n--;
		s >>= 1;
	}
	memcpy(r->h[r->n++], h, sizeof(h));
	r->size++;
}

void ks_audit_range_root(const struct ks_audit_range *r, uint8_t out[KS_AUDIT_HASH_LEN])
{
	uint8_t h[KS_AUDIT_HASH_LEN];
	size_t i;

	if (r->n == 0) {
		sha256_parts(NULL, 0, NULL, 0, NULL, 0, out); /* MTH({}) = HASH() */
		return;
	}
	memcpy(h, r->h[r->n - 1], sizeof(h));
	for (i = r->n - 1; i > 0; i--)
		ks_audit_node_hash(r->h[i - 1], h, h);
	memcpy(out, h, sizeof(h));
}

/* The largest power of two smaller than n (n >= 2). */
static size_t split_of(size_t n)
{
	size_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void ks_audit_root(const uint8_t (*leaves)[KS_AUDIT_HASH_LEN], size_t n,
		   uint8_t out[KS_AUDIT_HASH_LEN])
{
	uint8_t a[KS_AUDIT_HASH_LEN], b[KS_AUDIT_HASH_LEN];
	size_t k;

	if (n == 0) {
		sha256_parts(NULL, 0, NULL, 0, NULL, 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], KS_AUDIT_HASH_LEN);
		return;
	}
	k = split_of(n);
	ks_audit_root(leaves, k, a);
	ks_audit_root(leaves + k, n - k, b);
	ks_audit_node_hash(a, b, out);
}

int ks_audit_inclusion_proof(const uint8_t (*leaves)[KS_AUDIT_HASH_LEN], size_t n, size_t index,
			     struct ks_buf *path)
{
	uint8_t h[KS_AUDIT_HASH_LEN];
	size_t k;

	if (index >= n)
		return KS_SET(KS_ERR_ARG, "leaf %zu is not in a tree of %zu", index, n);
	if (n == 1)
		return 0;
	k = split_of(n);
	if (index < k) {
		if (ks_audit_inclusion_proof(leaves, k, index, path) < 0)
			return -1;
		ks_audit_root(leaves + k, n - k, h);
	} else {
		if (ks_audit_inclusion_proof(leaves + k, n - k, index - k, path) < 0)
			return -1;
		ks_audit_root(leaves, k, h);
	}
	return ks_buf_append(path, h, sizeof(h));
}

int ks_audit_inclusion_check(uint64_t index, uint64_t size, const uint8_t leaf[KS_AUDIT_HASH_LEN],
			     const uint8_t *path, size_t path_len,
			     const uint8_t root[KS_AUDIT_HASH_LEN])
{
	uint8_t r[KS_AUDIT_HASH_LEN];
	uint64_t fn = index, sn;
	size_t i;

	if (index >= size)
		return KS_SET(KS_ERR_VERIFY, "leaf %llu is not in a tree of %llu",
			      (unsigned long long)index, (unsigned long long)size);
	if (path_len % KS_AUDIT_HASH_LEN != 0 || path_len / KS_AUDIT_HASH_LEN > KS_AUDIT_PROOF_MAX)
		return KS_SET(KS_ERR_VERIFY, "a proof of %zu bytes", path_len);
	sn = size - 1;
	memcpy(r, leaf, sizeof(r));
	for (i = 0; i < path_len; i += KS_AUDIT_HASH_LEN) {
		const uint8_t *p = path + i;

		if (sn == 0)
			return KS_SET(KS_ERR_VERIFY, "the proof is longer than the tree is deep");
		if ((fn & 1) != 0 || fn == sn) {
			ks_audit_node_hash(p, r, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			ks_audit_node_hash(r, p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || CRYPTO_memcmp(r, root, sizeof(r)) != 0)
		return KS_SET(KS_ERR_VERIFY, "the entry is not in the tree of that root");
	return 0;
}

/* ---- checkpoints ---- */

int ks_audit_checkpoint_text(const struct ks_audit_checkpoint *c, struct ks_buf *out)
{
	struct ks_buf b64;
	char when[40];
	const char *root;
	int rc = -1;

	ks_buf_init(&b64, 64);
	if (!ks_store_name_ok(c->instance))
		KS_BAIL(KS_ERR_ARG, "invalid instance name");
	KS_GUARD(time_text(c->time * 1000, false, when, sizeof(when)));
	KS_GUARD(ks_base64_encode(c->root, sizeof(c->root), &b64));
	KS_GUARD(ks_buf_cstr(&b64, &root));
	KS_GUARD(ks_buf_printf(out, CHECKPOINT_HEAD "instance %s\nsize %llu\nroot %s\ntime %s\n",
			       c->instance, (unsigned long long)c->size, root, when));
	rc = 0;
out:
	ks_buf_cleanup(&b64);
	return rc;
}

static bool is_digit(uint8_t b)
{
	return b >= '0' && b <= '9';
}

static int two(struct ks_cur *c, uint64_t max, int *v)
{
	uint64_t x;
	struct ks_cur save = *c;

	if (c->left < 2 || !is_digit(c->p[0]) || !is_digit(c->p[1]) ||
	    ks_cur_decimal(c, 2, max, &x) < 0 || save.left - c->left != 2) {
		*c = save;
		return KS_SET(KS_ERR_PARSE, "checkpoint: bad time");
	}
	*v = (int)x;
	return 0;
}

/* "2025-06-01T08:00:00Z" */
static int parse_time(struct ks_cur *c, int64_t *t)
{
	uint64_t year;
	struct tm tm;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (c->left < TIME_LEN || !is_digit(c->p[0]) || ks_cur_decimal(c, 4, 9999, &year) < 0 ||
	    year < 1970 || ks_cur_expect(c, "-", 1) < 0 || two(c, 12, &tm.tm_mon) < 0 ||
	    ks_cur_expect(c, "-", 1) < 0 || two(c, 31, &tm.tm_mday) < 0 ||
	    ks_cur_expect(c, "T", 1) < 0 || two(c, 23, &tm.tm_hour) < 0 ||
	    ks_cur_expect(c, ":", 1) < 0 || two(c, 59, &tm.tm_min) < 0 ||
	    ks_cur_expect(c, ":", 1) < 0 || two(c, 60, &tm.tm_sec) < 0 ||
	    ks_cur_expect(c, "Z", 1) < 0 || tm.tm_mon < 1 || tm.tm_mday < 1)
		return KS_SET(KS_ERR_PARSE, "checkpoint: bad time");
	tm.tm_year = (int)year - 1900;
	tm.tm_mon -= 1;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return KS_SET(KS_ERR_PARSE, "checkpoint: bad time");
	*t = (int64_t)v;
	return 0;
}

/* A field line "NAME VALUE\n": the value's cursor. */
static int line(struct ks_cur *c, const char *name, struct ks_cur *value)
{
	size_t i;

	if (ks_cur_expect(c, name, strlen(name)) < 0 || ks_cur_expect(c, " ", 1) < 0)
		return KS_SET(KS_ERR_PARSE, "checkpoint: expected the '%s' line", name);
	for (i = 0; i < c->left && c->p[i] != '\n'; i++)
		;
	if (i == c->left || ks_cur_sub(c, i, value) < 0 || ks_cur_skip(c, 1) < 0)
		return KS_SET(KS_ERR_PARSE, "checkpoint: the '%s' line does not end", name);
	return 0;
}

int ks_audit_checkpoint_parse(const uint8_t *text, size_t n, struct ks_audit_checkpoint *cp)
{
	struct ks_cur c, v;
	struct ks_buf root;
	uint8_t b;
	int rc = -1;

	memset(cp, 0, sizeof(*cp));
	ks_buf_init(&root, KS_AUDIT_HASH_LEN);
	if (n > KS_AUDIT_TEXT_MAX)
		KS_BAIL(KS_ERR_LIMIT, "checkpoint of %zu bytes", n);
	ks_cur_init(&c, text, n);
	if (ks_cur_expect(&c, CHECKPOINT_HEAD, strlen(CHECKPOINT_HEAD)) < 0)
		KS_BAIL(KS_ERR_PARSE, "not a kyso audit checkpoint");
	KS_GUARD(line(&c, "instance", &v));
	if (v.left == 0 || v.left >= sizeof(cp->instance))
		KS_BAIL(KS_ERR_PARSE, "checkpoint: bad instance");
	memcpy(cp->instance, v.p, v.left);
	cp->instance[v.left] = '\0';
	if (!ks_store_name_ok(cp->instance))
		KS_BAIL(KS_ERR_PARSE, "checkpoint: bad instance");
	KS_GUARD(line(&c, "size", &v));
	/* no sign, no leading zero (one text per size) */
	if (ks_cur_peek(&v, &b) < 0 || !is_digit(b) || (b == '0' && v.left > 1) ||
	    ks_cur_decimal(&v, 19, (uint64_t)INT64_MAX, &cp->size) < 0 || !ks_cur_eof(&v))
		KS_BAIL(KS_ERR_PARSE, "checkpoint: bad size");
	KS_GUARD(line(&c, "root", &v));
	if (v.left != B64_HASH_LEN ||
	    ks_base64_decode((const char *)v.p, v.left, false, &root) < 0 ||
	    root.len != KS_AUDIT_HASH_LEN)
		KS_BAIL(KS_ERR_PARSE, "checkpoint: bad root hash");
	memcpy(cp->root, root.data, KS_AUDIT_HASH_LEN);
	KS_GUARD(line(&c, "time", &v));
	KS_GUARD(parse_time(&v, &cp->time));
	if (!ks_cur_eof(&v) || !ks_cur_eof(&c))
		KS_BAIL(KS_ERR_PARSE, "checkpoint: trailing text");
	rc = 0;
out:
	ks_buf_cleanup(&root);
	if (rc < 0 && ks_err_code() != KS_ERR_LIMIT && ks_err_code() != KS_ERR_PARSE)
		KS_SET(KS_ERR_PARSE, "malformed checkpoint");
	return rc;
}

int ks_audit_checkpoint_sign(struct ks_key *key, const uint8_t *text, size_t n, struct ks_buf *sig)
{
	uint8_t d[KS_AUDIT_HASH_LEN];

	sha256_parts(text, n, NULL, 0, NULL, 0, d);
	return ks_key_sign(key, ks_key_default_scheme(key), KS_MD_SHA256, d, sizeof(d), sig);
}

int ks_audit_checkpoint_verify(EVP_PKEY *pub, const uint8_t *text, size_t n, const uint8_t *sig,
			       size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r, rc = -1;

	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (siglen == 0 || siglen > KS_AUDIT_SIG_MAX)
		KS_BAIL(KS_ERR_VERIFY, "checkpoint signature of %zu bytes", siglen);
	if (EVP_DigestVerifyInit(ctx, NULL, ks_md_evp(KS_MD_SHA256), NULL, pub) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "checkpoint verification");
	r = EVP_DigestVerify(ctx, sig, siglen, text, n);
	ERR_clear_error();
	if (r != 1)
		KS_BAIL(KS_ERR_VERIFY,
			"the checkpoint's signature does not verify with the audit key");
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ks_audit_pubkey_load(const char *path, EVP_PKEY **out)
{
	struct ks_buf pem;
	BIO *bio = NULL;
	X509 *x = NULL;
	int rc = -1;

	*out = NULL;
	ks_buf_init(&pem, PEM_MAX);
	KS_GUARD(ks_file_read(path, PEM_MAX, &pem));
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (bio == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	*out = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (*out == NULL) {
		ERR_clear_error();
		(void)BIO_reset(bio);
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x != NULL)
			*out = X509_get_pubkey(x);
	}
	if (*out == NULL)
		KS_BAIL_OSSL(KS_ERR_CERT, "'%s' holds no PEM public key or certificate", path);
	rc = 0;
out:
	X509_free(x);
	BIO_free(bio);
	ks_buf_cleanup(&pem);
	return rc;
}

/* ---- stored checkpoints ---- */

int ks_audit_stored_encode(const struct ks_buf *text, const struct ks_buf *sig,
			   const struct ks_audit_range *r, struct ks_buf *out)
{
	json_t *o = json_object(), *arr = json_array();
	struct ks_buf b64;
	const char *s;
	char *dump = NULL;
	size_t i;
	int rc = -1;

	ks_buf_init(&b64, KS_AUDIT_SIG_MAX * 2);
	if (o == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (json_object_set_new(o, "checkpoint",
				json_stringn((const char *)text->data, text->len)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_base64_encode(sig->data, sig->len, &b64));
	KS_GUARD(ks_buf_cstr(&b64, &s));
	if (json_object_set_new(o, "signature", json_string(s)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < r->n; i++) {
		ks_buf_reset(&b64);
		KS_GUARD(ks_base64_encode(r->h[i], KS_AUDIT_HASH_LEN, &b64));
		KS_GUARD(ks_buf_cstr(&b64, &s));
		if (json_array_append_new(arr, json_string(s)) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	if (json_object_set(o, "range", arr) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_append_str(out, dump));
	rc = 0;
out:
	free(dump);
	json_decref(arr);
	json_decref(o);
	ks_buf_cleanup(&b64);
	return rc;
}

static int b64_field(json_t *o, const char *k, size_t max, struct ks_buf *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || json_string_length(v) > max)
		return KS_SET(KS_ERR_PARSE, "'%s' missing or too long", k);
	ks_buf_reset(out);
	return ks_base64_decode(json_string_value(v), json_string_length(v), false, out);
}

int ks_audit_stored_decode(const uint8_t *body, size_t n, struct ks_buf *text, struct ks_buf *sig,
			   struct ks_audit_range *r)
{
	struct ks_audit_checkpoint cp;
	json_error_t e;
	json_t *o = NULL, *t, *arr;
	struct ks_buf h;
	size_t i;
	int rc = -1;

	ks_buf_init(&h, KS_AUDIT_HASH_LEN);
	if (n > KS_STORE_CHECKPOINT_MAX)
		KS_BAIL(KS_ERR_LIMIT, "stored checkpoint of %zu bytes", n);
	o = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, &e);
	t = json_object_get(o, "checkpoint");
	arr = json_object_get(o, "range");
	if (!json_is_string(t) || json_string_length(t) > KS_AUDIT_TEXT_MAX || !json_is_array(arr))
		KS_BAIL(KS_ERR_PARSE, "stored checkpoint: malformed");
	if (text != NULL) {
		ks_buf_reset(text);
		KS_GUARD(ks_buf_append(text, json_string_value(t), json_string_length(t)));
	}
	if (sig != NULL)
		KS_GUARD(b64_field(o, "signature", 2 * KS_AUDIT_SIG_MAX, sig));
	if (r != NULL) {
		KS_GUARD(ks_audit_checkpoint_parse((const uint8_t *)json_string_value(t),
						   json_string_length(t), &cp));
		ks_audit_range_init(r);
		if (json_array_size(arr) != (size_t)__builtin_popcountll(cp.size))
			KS_BAIL(KS_ERR_PARSE, "stored checkpoint: the range does not fit the size");
		for (i = 0; i < json_array_size(arr); i++) {
			json_t *v = json_array_get(arr, i);

			ks_buf_reset(&h);
			if (!json_is_string(v) || json_string_length(v) != B64_HASH_LEN ||
			    ks_base64_decode(json_string_value(v), B64_HASH_LEN, false, &h) < 0 ||
			    h.len != KS_AUDIT_HASH_LEN)
				KS_BAIL(KS_ERR_PARSE, "stored checkpoint: bad range hash");
			memcpy(r->h[i], h.data, KS_AUDIT_HASH_LEN);
		}
		r->n = json_array_size(arr);
		r->size = cp.size;
	}
	rc = 0;
out:
	json_decref(o);
	ks_buf_cleanup(&h);
	return rc;
}
