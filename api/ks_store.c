/* The storage interface (ks_store.h): the choice of backend, argument
 * checks, and the names of operations.  The backends live beside it
 * (ks_store_sqlite.c). */
#include "api/ks_store.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "signer/ks_record_ref.h"

static const struct ks_store_ops *const backends[] = {
	&ks_store_sqlite_ops,
};

static const struct {
	const char *name;
	unsigned bit;
} op_names[] = {
	{ "sign", KS_OP_SIGN },
	{ "prepare", KS_OP_PREPARE },
	{ "timestamp", KS_OP_TIMESTAMP },
	{ "verify", KS_OP_VERIFY },
};

int ks_store_ops_parse(const char *s, unsigned *ops)
{
	const char *p = s;

	*ops = 0;
	if (s == NULL || *s == '\0')
		return KS_SET(KS_ERR_ARG, "no operations named (sign, prepare, timestamp, verify)");
	while (*p != '\0') {
		size_t n = strcspn(p, ","), i;
		bool found = false;

		for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
			if (strlen(op_names[i].name) == n && strncmp(p, op_names[i].name, n) == 0) {
				*ops |= op_names[i].bit;
				found = true;
			}
		}
		if (!found)
			return KS_SET(KS_ERR_ARG,
				      "unknown operation '%.*s' (sign, prepare, timestamp, verify)",
				      (int)(n > 32 ? 32 : n), p);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

void ks_store_ops_text(unsigned ops, char *out, size_t n)
{
	size_t i, used = 0;

	if (n == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		int w;

		if ((ops & op_names[i].bit) == 0)
			continue;
		w = snprintf(out + used, n - used, "%s%s", used > 0 ? "," : "", op_names[i].name);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

bool ks_store_name_ok(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n >= KS_STORE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void ks_store_prepared_init(struct ks_store_prepared *p)
{
	memset(p, 0, sizeof(*p));
	ks_buf_init(&p->meta, KS_STORE_ENTRY_MAX * 4);
	ks_buf_init(&p->doc, KS_STORE_BLOB_MAX);
}

void ks_store_prepared_cleanup(struct ks_store_prepared *p)
{
	ks_buf_cleanup(&p->meta);
	ks_buf_cleanup(&p->doc);
}

void ks_store_opts_init(struct ks_store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sync_full = true;
}

int ks_store_open(const char *url, const struct ks_store_opts *o, struct ks_store **out)
{
	struct ks_store_opts def;
	const char *colon, *slash;
	size_t i;

	*out = NULL;
	if (o == NULL) {
		ks_store_opts_init(&def);
		o = &def;
	}
	if (url == NULL || *url == '\0' || strlen(url) >= KS_STORE_URL_MAX)
		return KS_SET(KS_ERR_ARG, "no store URL, or one too long");
	if (o->connections > KS_STORE_CONNECTIONS_MAX)
		return KS_SET(KS_ERR_ARG, "more than %d store connections",
			      KS_STORE_CONNECTIONS_MAX);
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	/* A plain path (no scheme, or a '/' before the first ':') is SQLite. */
	if (colon == NULL || (slash != NULL && slash < colon))
		return ks_store_sqlite_ops.open(url, o, out);
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->scheme);

		if ((size_t)(colon - url) == n && strncasecmp(url, backends[i]->scheme, n) == 0)
			return backends[i]->open(colon + 1, o, out);
	}
	if (strncasecmp(url, "postgres", 8) == 0)
		return KS_SET(KS_ERR_UNSUPPORTED,
			      "the PostgreSQL store is not part of this build (use sqlite:PATH)");
	return KS_SET(KS_ERR_UNSUPPORTED, "unknown store '%.*s:' (use sqlite:PATH)",
		      (int)(colon - url > 32 ? 32 : colon - url), url);
}

void ks_store_close(struct ks_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int ks_store_ping(struct ks_store *s)
{
	return s->ops->ping(s);
}

static int check_client(const struct ks_store_client *c)
{
	size_t i;

	if (!ks_store_name_ok(c->name) || c->id[0] == '\0' || c->n_grants > KS_STORE_GRANTS_MAX ||
	    (c->ops & ~(unsigned)KS_OP_ALL) != 0)
		return KS_SET(KS_ERR_ARG, "invalid client");
	for (i = 0; i < c->n_grants; i++)
		if (!ks_store_name_ok(c->grants[i]))
			return KS_SET(KS_ERR_ARG, "invalid key name in a grant");
	return 0;
}

int ks_store_client_add(struct ks_store *s, const struct ks_store_client *c)
{
	if (check_client(c) < 0)
		return -1;
	return s->ops->client_add(s, c);
}

int ks_store_client_get(struct ks_store *s, const char *id, struct ks_store_client *c)
{
	memset(c, 0, sizeof(*c));
	if (id == NULL || strlen(id) >= KS_STORE_ID_MAX)
		return KS_SET(KS_ERR_NOT_FOUND, "no such client");
	return s->ops->client_get(s, id, c);
}

int ks_store_client_revoke(struct ks_store *s, const char *name, int64_t now)
{
	if (!ks_store_name_ok(name))
		return KS_SET(KS_ERR_ARG, "invalid client name");
	return s->ops->client_revoke(s, name, now);
}

int ks_store_client_list(struct ks_store *s, ks_store_client_fn fn, void *arg)
{
	return s->ops->client_list(s, fn, arg);
}

int ks_store_prepared_put(struct ks_store *s, const struct ks_store_prepared *p)
{
	if (p->id[0] == '\0' || p->client[0] == '\0')
		return KS_SET(KS_ERR_ARG, "a prepared signature needs an id and a client");
	return s->ops->prepared_put(s, p);
}

int ks_store_prepared_get(struct ks_store *s, const char *id, struct ks_store_prepared *p)
{
	if (id == NULL || strlen(id) >= KS_STORE_ID_MAX)
		return KS_SET(KS_ERR_NOT_FOUND, "no such prepared signature");
	return s->ops->prepared_get(s, id, p);
}

int ks_store_prepared_claim(struct ks_store *s, const char *id, const char *client, int64_t now,
			    enum ks_store_claim *why)
{
	*why = KS_CLAIM_NOT_FOUND;
	if (id == NULL || strlen(id) >= KS_STORE_ID_MAX || client == NULL)
		return 0;
	return s->ops->prepared_claim(s, id, client, now, why);
}

int ks_store_purge(struct ks_store *s, int64_t now, int64_t keep_used_s)
{
	return s->ops->purge(s, now, keep_used_s);
}

int ks_store_nonce_use(struct ks_store *s, const char *nonce, int64_t expires, bool *fresh)
{
	*fresh = false;
	if (nonce == NULL || *nonce == '\0' || strlen(nonce) >= KS_STORE_DIGEST_MAX)
		return KS_SET(KS_ERR_ARG, "invalid nonce");
	return s->ops->nonce_use(s, nonce, expires, fresh);
}

int ks_store_session_use(struct ks_store *s, const char *nonce, unsigned uses, int64_t expires,
			 int64_t now, unsigned n, bool *granted, unsigned *used)
{
	*granted = false;
	*used = 0;
	if (nonce == NULL || *nonce == '\0' || strlen(nonce) >= KS_STORE_DIGEST_MAX || uses == 0 ||
	    n == 0)
		return KS_SET(KS_ERR_ARG, "invalid session use");
	if (s->ops->session_use == NULL)
		return KS_SET(KS_ERR_UNSUPPORTED, "this storage keeps no sessions");
	if (n > uses)
		return 0;
	return s->ops->session_use(s, nonce, uses, expires, now, n, granted, used);
}

int ks_store_audit_append(struct ks_store *s, const char *instance, ks_store_audit_fn fn, void *arg)
{
	if (!ks_store_name_ok(instance))
		return KS_SET(KS_ERR_ARG, "invalid instance name");
	return s->ops->audit_append(s, instance, fn, arg);
}

int ks_store_audit_scan(struct ks_store *s, const char *instance, ks_store_row_fn fn, void *arg)
{
	if (!ks_store_name_ok(instance))
		return KS_SET(KS_ERR_ARG, "invalid instance name");
	return s->ops->audit_scan(s, instance, fn, arg);
}

int ks_store_audit_find(struct ks_store *s, const char *instance, const char *digest,
			uint64_t *seqs, size_t max, size_t *n)
{
	*n = 0;
	if (!ks_store_name_ok(instance) || digest == NULL || strlen(digest) >= KS_STORE_DIGEST_MAX)
		return KS_SET(KS_ERR_ARG, "invalid instance name or digest");
	return s->ops->audit_find(s, instance, digest, seqs, max, n);
}

int ks_store_audit_record(struct ks_store *s, const char *instance, const char *record, size_t max,
			  ks_store_row_fn fn, void *arg)
{
	if (!ks_store_name_ok(instance) || record == NULL || !ks_record_ref_ok(record) ||
	    max == 0 || max > KS_STORE_RECORD_ROWS_MAX)
		return KS_SET(KS_ERR_ARG, "invalid instance name, record id or row count");
	return s->ops->audit_record(s, instance, record, max, fn, arg);
}

int ks_store_audit_checkpoints(struct ks_store *s, const char *instance, ks_store_checkpoint_fn fn,
			       void *arg)
{
	if (!ks_store_name_ok(instance))
		return KS_SET(KS_ERR_ARG, "invalid instance name");
	return s->ops->audit_checkpoints(s, instance, fn, arg);
}

int ks_store_cache_put(struct ks_store *s, const char *key, const uint8_t *v, size_t n,
		       int64_t expires)
{
	if (key == NULL || *key == '\0' || strlen(key) > KS_STORE_URL_MAX)
		return KS_SET(KS_ERR_ARG, "invalid cache key");
	return s->ops->cache_put(s, key, v, n, expires);
}

int ks_store_cache_get(struct ks_store *s, const char *key, int64_t now, struct ks_buf *v)
{
	if (key == NULL || *key == '\0' || strlen(key) > KS_STORE_URL_MAX)
		return KS_SET(KS_ERR_NOT_FOUND, "no such cache entry");
	return s->ops->cache_get(s, key, now, v);
}
