/* The SQLite backend of the store (ks_store.h): its schema, statements and
 * operations, on the connection pool of ks_sqlite.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_sqlite.h"
#include "api/ks_store.h"

enum st {
	ST_PING,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_CLIENT_ADD,
	ST_CLIENT_GET,
	ST_CLIENT_REVOKE,
	ST_CLIENT_LIST,
	ST_PREP_PUT,
	ST_PREP_GET,
	ST_PREP_CLAIM,
	ST_PREP_STATE,
	ST_PURGE_PREP,
	ST_PURGE_DOCS,
	ST_PURGE_NONCES,
	ST_PURGE_CACHE,
	ST_NONCE,
	ST_AUDIT_MAX,
	ST_CP_LATEST,
	ST_AUDIT_INS,
	ST_CP_DEL_LATEST,
	ST_CP_INS,
	ST_AUDIT_SCAN,
	ST_AUDIT_FIND,
	ST_CP_LIST,
	ST_CACHE_PUT,
	ST_CACHE_GET,
	ST_AUDIT_RECORD,
	ST__COUNT
};

static const char *const sql[ST__COUNT] = {
	[ST_PING] = "SELECT count(*) FROM meta",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_CLIENT_ADD] = "INSERT INTO clients(id,name,secret_hash,ops,grants,created,revoked) "
			  "VALUES(?,?,?,?,?,?,0)",
	[ST_CLIENT_GET] = "SELECT id,name,secret_hash,ops,grants,created,revoked FROM clients "
			  "WHERE id=?",
	[ST_CLIENT_REVOKE] = "UPDATE clients SET revoked=? WHERE name=? AND revoked=0",
	[ST_CLIENT_LIST] = "SELECT id,name,secret_hash,ops,grants,created,revoked FROM clients "
			   "ORDER BY rowid",
	[ST_PREP_PUT] = "INSERT INTO prepared(id,client,cert_hash,created,expires,used,meta,doc) "
			"VALUES(?,?,?,?,?,0,?,?)",
	[ST_PREP_GET] = "SELECT id,client,cert_hash,created,expires,used,meta,doc FROM prepared "
			"WHERE id=?",
	[ST_PREP_CLAIM] = "UPDATE prepared SET used=1 WHERE id=? AND client=? AND used=0 AND "
			  "expires>?",
	[ST_PREP_STATE] = "SELECT client,used,expires FROM prepared WHERE id=?",
	[ST_PURGE_PREP] = "DELETE FROM prepared WHERE expires<=?",
	[ST_PURGE_DOCS] = "UPDATE prepared SET doc=NULL WHERE used=1 AND doc IS NOT NULL",
	[ST_PURGE_NONCES] = "DELETE FROM nonces WHERE expires<=?",
	[ST_PURGE_CACHE] = "DELETE FROM cache WHERE expires<=?",
	[ST_NONCE] = "INSERT OR IGNORE INTO nonces(nonce,expires) VALUES(?,?)",
	[ST_AUDIT_MAX] = "SELECT coalesce(max(seq),0) FROM audit WHERE instance=?",
	[ST_CP_LATEST] = "SELECT body FROM checkpoints WHERE instance=? AND latest=1 "
			 "ORDER BY rid DESC LIMIT 1",
	[ST_AUDIT_INS] = "INSERT INTO audit(instance,seq,digest,entry,record) VALUES(?,?,?,?,?)",
	[ST_CP_DEL_LATEST] = "DELETE FROM checkpoints WHERE instance=? AND latest=1",
	[ST_CP_INS] = "INSERT INTO checkpoints(instance,size,time,latest,body) VALUES(?,?,?,?,?)",
	[ST_AUDIT_SCAN] = "SELECT seq,digest,entry FROM audit WHERE instance=? ORDER BY rid",
	[ST_AUDIT_FIND] = "SELECT seq FROM audit WHERE instance=? AND digest=? ORDER BY seq",
	[ST_CP_LIST] = "SELECT size,time,latest,body FROM checkpoints WHERE instance=? "
		       "ORDER BY latest,size,rid",
	[ST_CACHE_PUT] = "INSERT OR REPLACE INTO cache(k,v,expires) VALUES(?,?,?)",
	[ST_CACHE_GET] = "SELECT v FROM cache WHERE k=? AND expires>?",
	[ST_AUDIT_RECORD] = "SELECT seq,digest,entry FROM audit WHERE instance=? AND record=? "
			    "ORDER BY seq DESC LIMIT ?",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(k,v) VALUES('schema','1');"
    "CREATE TABLE IF NOT EXISTS clients(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " secret_hash BLOB NOT NULL, ops INTEGER NOT NULL, grants TEXT NOT NULL,"
    " created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS prepared(id TEXT PRIMARY KEY, client TEXT NOT NULL,"
    " cert_hash BLOB NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0, meta BLOB, doc BLOB);"
    "CREATE INDEX IF NOT EXISTS prepared_expires ON prepared(expires);"
    "CREATE TABLE IF NOT EXISTS nonces(nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(nonce TEXT PRIMARY KEY, uses INTEGER NOT NULL,"
    " used INTEGER NOT NULL, expires INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit(rid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " instance TEXT NOT NULL, seq INTEGER NOT NULL, digest TEXT NOT NULL, entry BLOB NOT NULL,"
    " UNIQUE(instance, seq));"
    "CREATE INDEX IF NOT EXISTS audit_digest ON audit(instance, digest);"
    "CREATE TABLE IF NOT EXISTS checkpoints(rid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " instance TEXT NOT NULL, size INTEGER NOT NULL, time INTEGER NOT NULL,"
    " latest INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS checkpoints_instance ON checkpoints(instance, latest);"
    "CREATE TABLE IF NOT EXISTS cache(k TEXT PRIMARY KEY, v BLOB NOT NULL,"
    " expires INTEGER NOT NULL);";

/* Schema 2 over schema 1: the record id of a signature's audit row
 * (docs/audit.md), indexed for the verification page's exact lookups. */
#define SCHEMA_VERSION 2
static const char schema_2[] =
    "ALTER TABLE audit ADD COLUMN record TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX IF NOT EXISTS audit_record ON audit(instance, record, seq);"
    "UPDATE meta SET v='2' WHERE k='schema';";

struct sq {
	struct ks_store base;
	struct ks_sq_pool pool;
};

#define POOL(s) (&((struct sq *)(s))->pool)

/* Bring a database made by an older kyso to SCHEMA_VERSION, in one
 * transaction (another process may be opening it too). */
static int sq_migrate(sqlite3 *db)
{
	sqlite3_stmt *t = NULL;
	char *msg = NULL;
	int version = 0, rc = -1;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		KS_SET(KS_ERR_IO, "storage: migrating the schema: %s", msg != NULL ? msg : "");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k='schema'", -1, &t, NULL) !=
		SQLITE_OK ||
	    sqlite3_step(t) != SQLITE_ROW) {
		ks_sq_fail(db, "reading the schema version");
		goto rollback;
	}
	version = sqlite3_column_int(t, 0);
	if (version == 1 && sqlite3_exec(db, schema_2, NULL, NULL, &msg) != SQLITE_OK) {
		KS_SET(KS_ERR_IO, "storage: migrating the schema to version 2: %s",
		       msg != NULL ? msg : "");
		goto rollback;
	}
	if (version < 1 || version > SCHEMA_VERSION) {
		KS_SET(KS_ERR_UNSUPPORTED, "storage: schema version %d is not one this kyso knows",
		       version);
		goto rollback;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		KS_SET(KS_ERR_IO, "storage: migrating the schema: %s", msg != NULL ? msg : "");
		goto rollback;
	}
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(t);
	sqlite3_free(msg);
	return rc;
}

/* ---- the operations ---- */

static int sq_ping(struct ks_store *s)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = ks_sq_st(c, ST_PING);
	int rc = ks_sq_one(c, t, "ping", "ping: no answer");

	sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int grants_text(const struct ks_store_client *cl, char *out, size_t n)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < cl->n_grants; i++) {
		size_t k = strlen(cl->grants[i]);

		if (used + k + 2 > n)
			return KS_SET(KS_ERR_LIMIT, "too many grants");
		if (i > 0)
			out[used++] = ',';
		memcpy(out + used, cl->grants[i], k + 1);
		used += k;
	}
	return 0;
}

static int read_client(sqlite3_stmt *s, struct ks_store_client *cl)
{
	char grants[KS_STORE_GRANTS_MAX * KS_STORE_NAME_MAX];
	const char *p;

	memset(cl, 0, sizeof(*cl));
	if (ks_sq_col_text(s, 0, cl->id, sizeof(cl->id)) < 0 ||
	    ks_sq_col_text(s, 1, cl->name, sizeof(cl->name)) < 0 ||
	    ks_sq_col_text(s, 4, grants, sizeof(grants)) < 0 ||
	    ks_sq_col_fixed(s, 2, cl->secret_hash, KS_STORE_HASH_LEN) < 0)
		return -1;
	cl->ops = (unsigned)sqlite3_column_int64(s, 3);
	cl->created = sqlite3_column_int64(s, 5);
	cl->revoked = sqlite3_column_int64(s, 6);
	for (p = grants; *p != '\0' && cl->n_grants < KS_STORE_GRANTS_MAX;) {
		size_t k = strcspn(p, ",");

		if (k > 0 && k < KS_STORE_NAME_MAX) {
			memcpy(cl->grants[cl->n_grants], p, k);
			cl->grants[cl->n_grants][k] = '\0';
			cl->n_grants++;
		}
		p += k;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int sq_client_add(struct ks_store *s, const struct ks_store_client *cl)
{
	char grants[KS_STORE_GRANTS_MAX * KS_STORE_NAME_MAX];
	struct ks_sq_conn *c;
	int rc;

	if (grants_text(cl, grants, sizeof(grants)) < 0)
		return -1;
	c = ks_sq_take(POOL(s));
	rc = ks_sq_exec(c, ST_CLIENT_ADD, "adding a client", "ttbiti", cl->id, cl->name,
			(const void *)cl->secret_hash, (size_t)KS_STORE_HASH_LEN, (int64_t)cl->ops,
			grants, (int64_t)cl->created);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_client_get(struct ks_store *s, const char *id, struct ks_store_client *cl)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = ks_sq_st(c, ST_CLIENT_GET);
	int rc = -1;

	KS_GUARD(ks_sq_bind(t, "t", id));
	KS_GUARD(ks_sq_one(c, t, "reading a client", "no such client"));
	KS_GUARD(read_client(t, cl));
	rc = 0;
out:
	sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_client_revoke(struct ks_store *s, const char *name, int64_t now)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int rc = -1;

	KS_GUARD(ks_sq_exec(c, ST_CLIENT_REVOKE, "revoking a client", "it", now, name));
	if (sqlite3_changes(c->db) != 1)
		KS_BAIL(KS_ERR_NOT_FOUND, "no active client named '%s'", name);
	rc = 0;
out:
	ks_sq_give(POOL(s), c);
	return rc;
}

/* Step a bound query to its end, one call of fn per row. */
typedef int (*row_fn)(void *arg, sqlite3_stmt *t);

static int each_row(struct ks_store *s, unsigned which, const char *what, row_fn fn, void *arg,
		    const char *fmt, ...)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = ks_sq_st(c, which);
	va_list ap;
	int r, rc = -1;

	va_start(ap, fmt);
	r = ks_sq_vbind(t, fmt, ap);
	va_end(ap);
	if (r < 0)
		goto out;
	while ((r = sqlite3_step(t)) == SQLITE_ROW)
		KS_GUARD(fn(arg, t));
	if (r != SQLITE_DONE) {
		ks_sq_fail(c->db, what);
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

struct client_walk {
	ks_store_client_fn fn;
	void *arg;
};

static int client_row(void *arg, sqlite3_stmt *t)
{
	struct client_walk *w = arg;
	struct ks_store_client cl;

	if (read_client(t, &cl) < 0)
		return -1;
	return w->fn(w->arg, &cl);
}

static int sq_client_list(struct ks_store *s, ks_store_client_fn fn, void *arg)
{
	struct client_walk w = { fn, arg };

	return each_row(s, ST_CLIENT_LIST, "listing clients", client_row, &w, "");
}

static int sq_prepared_put(struct ks_store *s, const struct ks_store_prepared *p)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int rc;

	rc = ks_sq_exec(c, ST_PREP_PUT, "keeping a prepared signature", "ttbiibb", p->id, p->client,
			(const void *)p->cert_hash, (size_t)KS_STORE_HASH_LEN, (int64_t)p->created,
			(int64_t)p->expires, (const void *)p->meta.data, p->meta.len,
			(const void *)p->doc.data, p->doc.len);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_prepared_get(struct ks_store *s, const char *id, struct ks_store_prepared *p)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = ks_sq_st(c, ST_PREP_GET);
	int rc = -1;

	KS_GUARD(ks_sq_bind(t, "t", id));
	KS_GUARD(ks_sq_one(c, t, "reading a prepared signature", "no such prepared signature"));
	KS_GUARD(ks_sq_col_text(t, 0, p->id, sizeof(p->id)));
	KS_GUARD(ks_sq_col_text(t, 1, p->client, sizeof(p->client)));
	KS_GUARD(ks_sq_col_fixed(t, 2, p->cert_hash, KS_STORE_HASH_LEN));
	p->created = sqlite3_column_int64(t, 3);
	p->expires = sqlite3_column_int64(t, 4);
	p->used = sqlite3_column_int64(t, 5) != 0;
	KS_GUARD(ks_sq_col_blob(t, 6, &p->meta));
	KS_GUARD(ks_sq_col_blob(t, 7, &p->doc));
	rc = 0;
out:
	sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_prepared_claim(struct ks_store *s, const char *id, const char *client, int64_t now,
			     enum ks_store_claim *why)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = NULL;
	char owner[KS_STORE_ID_MAX];
	int r, rc = -1;

	*why = KS_CLAIM_NOT_FOUND;
	KS_GUARD(
	    ks_sq_exec(c, ST_PREP_CLAIM, "claiming a prepared signature", "tti", id, client, now));
	if (sqlite3_changes(c->db) == 1) {
		*why = KS_CLAIM_OK;
		rc = 0;
		goto out;
	}
	/* Not claimed: say why (the row does not change any more). */
	t = ks_sq_st(c, ST_PREP_STATE);
	KS_GUARD(ks_sq_bind(t, "t", id));
	r = sqlite3_step(t);
	if (r == SQLITE_ROW) {
		KS_GUARD(ks_sq_col_text(t, 0, owner, sizeof(owner)));
		if (strcmp(owner, client) != 0)
			*why = KS_CLAIM_OTHER_CLIENT;
		else if (sqlite3_column_int64(t, 1) != 0)
			*why = KS_CLAIM_USED;
		else
			*why = KS_CLAIM_EXPIRED;
	} else if (r != SQLITE_DONE) {
		ks_sq_fail(c->db, "reading a prepared signature");
		goto out;
	}
	rc = 0;
out:
	if (t != NULL)
		sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_purge(struct ks_store *s, int64_t now, int64_t keep_used_s)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int rc = -1;

	KS_GUARD(
	    ks_sq_exec(c, ST_PURGE_PREP, "purging prepared signatures", "i", now - keep_used_s));
	KS_GUARD(ks_sq_exec(c, ST_PURGE_DOCS, "purging prepared documents", ""));
	KS_GUARD(ks_sq_exec(c, ST_PURGE_NONCES, "purging nonces", "i", now));
	KS_GUARD(ks_sq_exec(c, ST_PURGE_CACHE, "purging the cache", "i", now));
	rc = 0;
out:
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_nonce_use(struct ks_store *s, const char *nonce, int64_t expires, bool *fresh)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int rc = -1;

	KS_GUARD(ks_sq_exec(c, ST_NONCE, "recording a nonce", "ti", nonce, expires));
	*fresh = sqlite3_changes(c->db) == 1;
	rc = 0;
out:
	ks_sq_give(POOL(s), c);
	return rc;
}

static int append_in_txn(struct ks_sq_conn *c, const char *instance, ks_store_audit_fn fn,
			 void *arg)
{
	struct ks_store_audit_txn tx;
	struct ks_buf last;
	sqlite3_stmt *t;
	size_t i;
	int r, rc = -1;

	memset(&tx, 0, sizeof(tx));
	ks_buf_init(&last, KS_STORE_CHECKPOINT_MAX);
	t = ks_sq_st(c, ST_AUDIT_MAX);
	KS_GUARD(ks_sq_bind(t, "t", instance));
	KS_GUARD(ks_sq_one(c, t, "reading the audit log", "the audit log has no size"));
	tx.size = (uint64_t)sqlite3_column_int64(t, 0);
	sqlite3_reset(t);
	t = ks_sq_st(c, ST_CP_LATEST);
	KS_GUARD(ks_sq_bind(t, "t", instance));
	r = sqlite3_step(t);
	if (r == SQLITE_ROW)
		KS_GUARD(ks_sq_col_blob(t, 0, &last));
	else if (r != SQLITE_DONE) {
		ks_sq_fail(c->db, "reading the latest checkpoint");
		goto out;
	}
	sqlite3_reset(t);
	tx.last = &last;
	KS_GUARD(fn(arg, &tx));
	for (i = 0; i < tx.n; i++)
		KS_GUARD(ks_sq_exec(
		    c, ST_AUDIT_INS, "appending to the audit log", "titbt", instance,
		    (int64_t)(tx.size + 1 + i), tx.digests[i] != NULL ? tx.digests[i] : "",
		    (const void *)tx.entries[i].data, tx.entries[i].len,
		    tx.records != NULL && tx.records[i] != NULL ? tx.records[i] : ""));
	if (tx.checkpoint != NULL) {
		KS_GUARD(ks_sq_exec(c, ST_CP_DEL_LATEST, "replacing the latest checkpoint", "t",
				    instance));
		for (i = 0; i < (tx.keep ? 2u : 1u); i++)
			KS_GUARD(ks_sq_exec(c, ST_CP_INS, "writing a checkpoint", "tiiib", instance,
					    (int64_t)(tx.size + tx.n), tx.checkpoint_time,
					    (int64_t)(i == 0 ? 1 : 0),
					    (const void *)tx.checkpoint->data, tx.checkpoint->len));
	}
	rc = 0;
out:
	sqlite3_reset(t);
	ks_buf_cleanup(&last);
	return rc;
}

static int sq_audit_append(struct ks_store *s, const char *instance, ks_store_audit_fn fn,
			   void *arg)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int rc = -1;

	if (ks_sq_exec(c, ST_BEGIN, "starting a transaction", "") < 0)
		goto out;
	if (append_in_txn(c, instance, fn, arg) < 0 ||
	    ks_sq_exec(c, ST_COMMIT, "committing the audit log", "") < 0) {
		/* keep the first error; the rollback's own outcome is moot */
		sqlite3_step(ks_sq_st(c, ST_ROLLBACK));
		sqlite3_reset(c->st[ST_ROLLBACK]);
		goto out;
	}
	rc = 0;
out:
	ks_sq_give(POOL(s), c);
	return rc;
}

struct audit_walk {
	ks_store_row_fn fn;
	void *arg;
};

static int audit_row(void *arg, sqlite3_stmt *t)
{
	struct audit_walk *w = arg;
	char digest[KS_STORE_DIGEST_MAX];
	const void *e = sqlite3_column_blob(t, 2);
	int n = sqlite3_column_bytes(t, 2);

	if (ks_sq_col_text(t, 1, digest, sizeof(digest)) < 0) {
		ks_err_clear();
		digest[0] = '\0';
	}
	return w->fn(w->arg, (uint64_t)sqlite3_column_int64(t, 0), digest,
		     n > 0 ? e : (const void *)"", (size_t)(n > 0 ? n : 0));
}

static int sq_audit_scan(struct ks_store *s, const char *instance, ks_store_row_fn fn, void *arg)
{
	struct audit_walk w = { fn, arg };

	return each_row(s, ST_AUDIT_SCAN, "reading the audit log", audit_row, &w, "t", instance);
}

static int sq_audit_record(struct ks_store *s, const char *instance, const char *record, size_t max,
			   ks_store_row_fn fn, void *arg)
{
	struct audit_walk w = { fn, arg };

	return each_row(s, ST_AUDIT_RECORD, "searching the audit log", audit_row, &w, "tti",
			instance, record, (int64_t)max);
}

static int sq_audit_find(struct ks_store *s, const char *instance, const char *digest,
			 uint64_t *seqs, size_t max, size_t *n)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = ks_sq_st(c, ST_AUDIT_FIND);
	int r, rc = -1;

	KS_GUARD(ks_sq_bind(t, "tt", instance, digest));
	while ((r = sqlite3_step(t)) == SQLITE_ROW && *n < max)
		seqs[(*n)++] = (uint64_t)sqlite3_column_int64(t, 0);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		ks_sq_fail(c->db, "searching the audit log");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

struct checkpoint_walk {
	ks_store_checkpoint_fn fn;
	void *arg;
};

static int checkpoint_row(void *arg, sqlite3_stmt *t)
{
	struct checkpoint_walk *w = arg;
	const void *b = sqlite3_column_blob(t, 3);
	int n = sqlite3_column_bytes(t, 3);
	int64_t size = sqlite3_column_int64(t, 0);

	return w->fn(w->arg, size > 0 ? (uint64_t)size : 0, sqlite3_column_int64(t, 1),
		     sqlite3_column_int64(t, 2) != 0, n > 0 ? b : (const void *)"",
		     (size_t)(n > 0 ? n : 0));
}

static int sq_audit_checkpoints(struct ks_store *s, const char *instance, ks_store_checkpoint_fn fn,
				void *arg)
{
	struct checkpoint_walk w = { fn, arg };

	return each_row(s, ST_CP_LIST, "reading checkpoints", checkpoint_row, &w, "t", instance);
}

static int sq_cache_put(struct ks_store *s, const char *key, const uint8_t *v, size_t n,
			int64_t expires)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int rc;

	rc = ks_sq_exec(c, ST_CACHE_PUT, "writing the cache", "tbi", key, (const void *)v, n,
			expires);
	ks_sq_give(POOL(s), c);
	return rc;
}

static int sq_cache_get(struct ks_store *s, const char *key, int64_t now, struct ks_buf *v)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	sqlite3_stmt *t = ks_sq_st(c, ST_CACHE_GET);
	int rc = -1;

	KS_GUARD(ks_sq_bind(t, "ti", key, now));
	KS_GUARD(ks_sq_one(c, t, "reading the cache", "no such cache entry"));
	KS_GUARD(ks_sq_col_blob(t, 0, v));
	rc = 0;
out:
	sqlite3_reset(t);
	ks_sq_give(POOL(s), c);
	return rc;
}

static void sq_close(struct ks_store *s)
{
	struct sq *q = (struct sq *)s;

	ks_sq_pool_close(&q->pool);
	free(q);
}

static int sq_open(const char *path, const struct ks_store_opts *o, struct ks_store **out)
{
	struct sq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	q->base.ops = &ks_store_sqlite_ops;
	if (ks_sq_pool_open(&q->pool, path, o, schema, sq_migrate, sql, ST__COUNT) < 0) {
		sq_close(&q->base);
		return -1;
	}
	*out = &q->base;
	return 0;
}

/* ---- session activations: their own statements, prepared per call ---- */

static int session_step(struct ks_sq_conn *c, const char *sql_text, const int64_t *v, size_t nv,
			const char *nonce, int64_t *out, bool *row)
{
	sqlite3_stmt *t = NULL;
	size_t i;
	int r, rc = -1;

	*row = false;
	if (sqlite3_prepare_v2(c->db, sql_text, -1, &t, NULL) != SQLITE_OK) {
		ks_sq_fail(c->db, "counting a session");
		goto out;
	}
	if (nonce != NULL && sqlite3_bind_text(t, 1, nonce, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		KS_BAIL(KS_ERR_IO, "storage: binding a value");
	for (i = 0; i < nv; i++)
		if (sqlite3_bind_int64(t, (int)i + (nonce != NULL ? 2 : 1), (sqlite3_int64)v[i]) !=
		    SQLITE_OK)
			KS_BAIL(KS_ERR_IO, "storage: binding a value");
	r = sqlite3_step(t);
	if (r == SQLITE_ROW) {
		*row = true;
		if (out != NULL)
			*out = (int64_t)sqlite3_column_int64(t, 0);
		r = sqlite3_step(t);
	}
	if (r != SQLITE_DONE) {
		ks_sq_fail(c->db, "counting a session");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(t);
	return rc;
}

static int sq_session_use(struct ks_store *s, const char *nonce, unsigned uses, int64_t expires,
			  int64_t now, unsigned n, bool *granted, unsigned *used)
{
	struct ks_sq_conn *c = ks_sq_take(POOL(s));
	int64_t v[3], count = 0;
	bool row = false;
	int rc = -1;

	/* one statement counts: the row is created with n uses, or gets n
	 * more only while they fit; a refused update returns no row */
	v[0] = now;
	if (session_step(c, "DELETE FROM sessions WHERE expires<=?", v, 1, NULL, NULL, &row) < 0)
		goto out;
	v[0] = (int64_t)uses;
	v[1] = (int64_t)n;
	v[2] = expires;
	if (session_step(c,
			 "INSERT INTO sessions(nonce,uses,used,expires) VALUES(?1,?2,?3,?4) "
			 "ON CONFLICT(nonce) DO UPDATE SET used=used+excluded.used "
			 "WHERE sessions.used+excluded.used<=sessions.uses RETURNING used",
			 v, 3, nonce, &count, &row) < 0)
		goto out;
	*granted = row;
	*used = row ? (unsigned)count : 0;
	rc = 0;
out:
	ks_sq_give(POOL(s), c);
	return rc;
}

const struct ks_store_ops ks_store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.ping = sq_ping,
	.client_add = sq_client_add,
	.client_get = sq_client_get,
	.client_revoke = sq_client_revoke,
	.client_list = sq_client_list,
	.prepared_put = sq_prepared_put,
	.prepared_get = sq_prepared_get,
	.prepared_claim = sq_prepared_claim,
	.purge = sq_purge,
	.nonce_use = sq_nonce_use,
	.audit_append = sq_audit_append,
	.audit_scan = sq_audit_scan,
	.audit_find = sq_audit_find,
	.audit_checkpoints = sq_audit_checkpoints,
	.audit_record = sq_audit_record,
	.cache_put = sq_cache_put,
	.cache_get = sq_cache_get,
	.session_use = sq_session_use,
};
