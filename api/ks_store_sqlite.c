/* The SQLite backend of the store (ks_store.h): one database file in WAL
 * mode, a small pool of connections (readers run side by side, writers
 * take turns, another process such as `kyso client add` waits its turn
 * for up to busy_ms), prepared statements kept per connection. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/ks_store.h"
#include "ks_size.h"

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
	[ST_AUDIT_INS] = "INSERT INTO audit(instance,seq,digest,entry) VALUES(?,?,?,?)",
	[ST_CP_DEL_LATEST] = "DELETE FROM checkpoints WHERE instance=? AND latest=1",
	[ST_CP_INS] = "INSERT INTO checkpoints(instance,size,time,latest,body) VALUES(?,?,?,?,?)",
	[ST_AUDIT_SCAN] = "SELECT seq,digest,entry FROM audit WHERE instance=? ORDER BY rid",
	[ST_AUDIT_FIND] = "SELECT seq FROM audit WHERE instance=? AND digest=? ORDER BY seq",
	[ST_CP_LIST] = "SELECT size,time,latest,body FROM checkpoints WHERE instance=? "
		       "ORDER BY latest,size,rid",
	[ST_CACHE_PUT] = "INSERT OR REPLACE INTO cache(k,v,expires) VALUES(?,?,?)",
	[ST_CACHE_GET] = "SELECT v FROM cache WHERE k=? AND expires>?",
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

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	bool busy;
};

struct sq {
	struct ks_store base;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn *conns;
	unsigned n;
};

static int sq_fail(sqlite3 *db, const char *what)
{
	int code = db != NULL ? sqlite3_extended_errcode(db) : SQLITE_ERROR;

	if ((code & 0xff) == SQLITE_CONSTRAINT)
		return KS_SET(KS_ERR_ARG, "storage: %s: already present", what);
	return KS_SET(KS_ERR_IO, "storage: %s: %s", what,
		      db != NULL ? sqlite3_errmsg(db) : "no database");
}

static void conn_close(struct conn *c)
{
	size_t i;

	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close_v2(c->db);
	memset(c, 0, sizeof(*c));
}

static int conn_open(const char *path, const struct ks_store_opts *o, bool first, struct conn *c)
{
	char *msg = NULL;
	size_t i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (sqlite3_open_v2(path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		sq_fail(c->db, "opening the database");
		goto out;
	}
	sqlite3_busy_timeout(c->db, o->busy_ms != 0 ? (int)o->busy_ms : 5000);
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db,
			 o->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			 NULL, NULL, &msg) != SQLITE_OK ||
	    (first && sqlite3_exec(c->db, schema, NULL, NULL, &msg) != SQLITE_OK)) {
		KS_SET(KS_ERR_IO, "storage: setting up the database: %s",
		       msg != NULL ? msg : "unknown");
		goto out;
	}
	for (i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(c->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
				       NULL) != SQLITE_OK) {
			sq_fail(c->db, "preparing a statement");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_free(msg);
	if (rc < 0)
		conn_close(c);
	return rc;
}

static struct conn *take(struct sq *q)
{
	unsigned i;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		for (i = 0; i < q->n; i++) {
			if (!q->conns[i].busy) {
				q->conns[i].busy = true;
				pthread_mutex_unlock(&q->lock);
				return &q->conns[i];
			}
		}
		pthread_cond_wait(&q->cond, &q->lock);
	}
}

static void give(struct sq *q, struct conn *c)
{
	pthread_mutex_lock(&q->lock);
	c->busy = false;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* A statement ready to bind, reset after its last use. */
static sqlite3_stmt *st(struct conn *c, enum st which)
{
	sqlite3_stmt *s = c->st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Run a statement that returns no rows. */
static int run(struct conn *c, sqlite3_stmt *s, const char *what)
{
	int r = sqlite3_step(s);

	sqlite3_reset(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return sq_fail(c->db, what);
	return 0;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) == SQLITE_OK
		   ? 0
		   : KS_SET(KS_ERR_IO, "storage: binding a value");
}

static int bind_blob(sqlite3_stmt *s, int i, const void *v, size_t n)
{
	int len = 0;

	if (ks_size_to_int(n, &len) < 0)
		return -1;
	/* static: every statement is reset before the bound memory goes */
	return sqlite3_bind_blob(s, i, n > 0 ? v : "", len, SQLITE_STATIC) == SQLITE_OK
		   ? 0
		   : KS_SET(KS_ERR_IO, "storage: binding a value");
}

static int bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, (sqlite3_int64)v) == SQLITE_OK
		   ? 0
		   : KS_SET(KS_ERR_IO, "storage: binding a value");
}

/* Column text into a fixed buffer (too long: refused). */
static int col_text(sqlite3_stmt *s, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t len = t != NULL ? (size_t)sqlite3_column_bytes(s, i) : 0;

	if (len >= n)
		return KS_SET(KS_ERR_LIMIT, "storage: a stored value is too long");
	if (len > 0)
		memcpy(out, t, len);
	out[len] = '\0';
	return 0;
}

static int col_blob(sqlite3_stmt *s, int i, struct ks_buf *b)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	ks_buf_reset(b);
	return n > 0 ? ks_buf_append(b, p, (size_t)n) : 0;
}

/* ---- the operations ---- */

static int sq_ping(struct ks_store *s)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_PING);
	int rc = sqlite3_step(t) == SQLITE_ROW ? 0 : sq_fail(c->db, "ping");

	sqlite3_reset(t);
	give(q, c);
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
	if (col_text(s, 0, cl->id, sizeof(cl->id)) < 0 ||
	    col_text(s, 1, cl->name, sizeof(cl->name)) < 0 ||
	    col_text(s, 4, grants, sizeof(grants)) < 0)
		return -1;
	if (sqlite3_column_bytes(s, 2) != KS_STORE_HASH_LEN)
		return KS_SET(KS_ERR_IO, "storage: a client's token hash is damaged");
	memcpy(cl->secret_hash, sqlite3_column_blob(s, 2), KS_STORE_HASH_LEN);
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
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CLIENT_ADD);
	char grants[KS_STORE_GRANTS_MAX * KS_STORE_NAME_MAX];
	int rc = -1;

	KS_GUARD(grants_text(cl, grants, sizeof(grants)));
	KS_GUARD(bind_text(t, 1, cl->id));
	KS_GUARD(bind_text(t, 2, cl->name));
	KS_GUARD(bind_blob(t, 3, cl->secret_hash, KS_STORE_HASH_LEN));
	KS_GUARD(bind_i64(t, 4, cl->ops));
	KS_GUARD(bind_text(t, 5, grants));
	KS_GUARD(bind_i64(t, 6, cl->created));
	KS_GUARD(run(c, t, "adding a client"));
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_client_get(struct ks_store *s, const char *id, struct ks_store_client *cl)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CLIENT_GET);
	int r, rc = -1;

	KS_GUARD(bind_text(t, 1, id));
	r = sqlite3_step(t);
	if (r == SQLITE_DONE)
		KS_BAIL(KS_ERR_NOT_FOUND, "no such client");
	if (r != SQLITE_ROW) {
		sq_fail(c->db, "reading a client");
		goto out;
	}
	KS_GUARD(read_client(t, cl));
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_client_revoke(struct ks_store *s, const char *name, int64_t now)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CLIENT_REVOKE);
	int rc = -1;

	KS_GUARD(bind_i64(t, 1, now));
	KS_GUARD(bind_text(t, 2, name));
	KS_GUARD(run(c, t, "revoking a client"));
	if (sqlite3_changes(c->db) != 1)
		KS_BAIL(KS_ERR_NOT_FOUND, "no active client named '%s'", name);
	rc = 0;
out:
	give(q, c);
	return rc;
}

static int sq_client_list(struct ks_store *s, ks_store_client_fn fn, void *arg)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CLIENT_LIST);
	struct ks_store_client cl;
	int r, rc = -1;

	while ((r = sqlite3_step(t)) == SQLITE_ROW) {
		KS_GUARD(read_client(t, &cl));
		KS_GUARD(fn(arg, &cl));
	}
	if (r != SQLITE_DONE) {
		sq_fail(c->db, "listing clients");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_prepared_put(struct ks_store *s, const struct ks_store_prepared *p)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_PREP_PUT);
	int rc = -1;

	KS_GUARD(bind_text(t, 1, p->id));
	KS_GUARD(bind_text(t, 2, p->client));
	KS_GUARD(bind_blob(t, 3, p->cert_hash, KS_STORE_HASH_LEN));
	KS_GUARD(bind_i64(t, 4, p->created));
	KS_GUARD(bind_i64(t, 5, p->expires));
	KS_GUARD(bind_blob(t, 6, p->meta.data, p->meta.len));
	KS_GUARD(bind_blob(t, 7, p->doc.data, p->doc.len));
	KS_GUARD(run(c, t, "keeping a prepared signature"));
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_prepared_get(struct ks_store *s, const char *id, struct ks_store_prepared *p)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_PREP_GET);
	int r, rc = -1;

	KS_GUARD(bind_text(t, 1, id));
	r = sqlite3_step(t);
	if (r == SQLITE_DONE)
		KS_BAIL(KS_ERR_NOT_FOUND, "no such prepared signature");
	if (r != SQLITE_ROW) {
		sq_fail(c->db, "reading a prepared signature");
		goto out;
	}
	KS_GUARD(col_text(t, 0, p->id, sizeof(p->id)));
	KS_GUARD(col_text(t, 1, p->client, sizeof(p->client)));
	if (sqlite3_column_bytes(t, 2) != KS_STORE_HASH_LEN)
		KS_BAIL(KS_ERR_IO, "storage: a prepared signature is damaged");
	memcpy(p->cert_hash, sqlite3_column_blob(t, 2), KS_STORE_HASH_LEN);
	p->created = sqlite3_column_int64(t, 3);
	p->expires = sqlite3_column_int64(t, 4);
	p->used = sqlite3_column_int64(t, 5) != 0;
	KS_GUARD(col_blob(t, 6, &p->meta));
	KS_GUARD(col_blob(t, 7, &p->doc));
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_prepared_claim(struct ks_store *s, const char *id, const char *client, int64_t now,
			     enum ks_store_claim *why)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_PREP_CLAIM);
	char owner[KS_STORE_ID_MAX];
	int r, rc = -1;

	*why = KS_CLAIM_NOT_FOUND;
	KS_GUARD(bind_text(t, 1, id));
	KS_GUARD(bind_text(t, 2, client));
	KS_GUARD(bind_i64(t, 3, now));
	KS_GUARD(run(c, t, "claiming a prepared signature"));
	if (sqlite3_changes(c->db) == 1) {
		*why = KS_CLAIM_OK;
		rc = 0;
		goto out;
	}
	/* Not claimed: say why (the row does not change any more). */
	t = st(c, ST_PREP_STATE);
	KS_GUARD(bind_text(t, 1, id));
	r = sqlite3_step(t);
	if (r == SQLITE_ROW) {
		KS_GUARD(col_text(t, 0, owner, sizeof(owner)));
		if (strcmp(owner, client) != 0)
			*why = KS_CLAIM_OTHER_CLIENT;
		else if (sqlite3_column_int64(t, 1) != 0)
			*why = KS_CLAIM_USED;
		else
			*why = KS_CLAIM_EXPIRED;
	} else if (r != SQLITE_DONE) {
		sq_fail(c->db, "reading a prepared signature");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_purge(struct ks_store *s, int64_t now, int64_t keep_used_s)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t;
	int rc = -1;

	t = st(c, ST_PURGE_PREP);
	KS_GUARD(bind_i64(t, 1, now - keep_used_s));
	KS_GUARD(run(c, t, "purging prepared signatures"));
	KS_GUARD(run(c, st(c, ST_PURGE_DOCS), "purging prepared documents"));
	t = st(c, ST_PURGE_NONCES);
	KS_GUARD(bind_i64(t, 1, now));
	KS_GUARD(run(c, t, "purging nonces"));
	t = st(c, ST_PURGE_CACHE);
	KS_GUARD(bind_i64(t, 1, now));
	KS_GUARD(run(c, t, "purging the cache"));
	rc = 0;
out:
	give(q, c);
	return rc;
}

static int sq_nonce_use(struct ks_store *s, const char *nonce, int64_t expires, bool *fresh)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_NONCE);
	int rc = -1;

	KS_GUARD(bind_text(t, 1, nonce));
	KS_GUARD(bind_i64(t, 2, expires));
	KS_GUARD(run(c, t, "recording a nonce"));
	*fresh = sqlite3_changes(c->db) == 1;
	rc = 0;
out:
	give(q, c);
	return rc;
}

static int append_in_txn(struct conn *c, const char *instance, ks_store_audit_fn fn, void *arg)
{
	struct ks_store_audit_txn tx;
	struct ks_buf last;
	sqlite3_stmt *t;
	size_t i;
	int r, rc = -1;

	memset(&tx, 0, sizeof(tx));
	ks_buf_init(&last, KS_STORE_CHECKPOINT_MAX);
	t = st(c, ST_AUDIT_MAX);
	KS_GUARD(bind_text(t, 1, instance));
	if (sqlite3_step(t) != SQLITE_ROW) {
		sq_fail(c->db, "reading the audit log");
		goto out;
	}
	tx.size = (uint64_t)sqlite3_column_int64(t, 0);
	sqlite3_reset(t);
	t = st(c, ST_CP_LATEST);
	KS_GUARD(bind_text(t, 1, instance));
	r = sqlite3_step(t);
	if (r == SQLITE_ROW)
		KS_GUARD(col_blob(t, 0, &last));
	else if (r != SQLITE_DONE) {
		sq_fail(c->db, "reading the latest checkpoint");
		goto out;
	}
	sqlite3_reset(t);
	tx.last = &last;
	KS_GUARD(fn(arg, &tx));
	for (i = 0; i < tx.n; i++) {
		t = st(c, ST_AUDIT_INS);
		KS_GUARD(bind_text(t, 1, instance));
		KS_GUARD(bind_i64(t, 2, (int64_t)(tx.size + 1 + i)));
		KS_GUARD(bind_text(t, 3, tx.digests[i] != NULL ? tx.digests[i] : ""));
		KS_GUARD(bind_blob(t, 4, tx.entries[i].data, tx.entries[i].len));
		KS_GUARD(run(c, t, "appending to the audit log"));
	}
	if (tx.checkpoint != NULL) {
		t = st(c, ST_CP_DEL_LATEST);
		KS_GUARD(bind_text(t, 1, instance));
		KS_GUARD(run(c, t, "replacing the latest checkpoint"));
		for (i = 0; i < (tx.keep ? 2u : 1u); i++) {
			t = st(c, ST_CP_INS);
			KS_GUARD(bind_text(t, 1, instance));
			KS_GUARD(bind_i64(t, 2, (int64_t)(tx.size + tx.n)));
			KS_GUARD(bind_i64(t, 3, tx.checkpoint_time));
			KS_GUARD(bind_i64(t, 4, i == 0 ? 1 : 0));
			KS_GUARD(bind_blob(t, 5, tx.checkpoint->data, tx.checkpoint->len));
			KS_GUARD(run(c, t, "writing a checkpoint"));
		}
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
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	int rc = -1;

	if (run(c, st(c, ST_BEGIN), "starting a transaction") < 0)
		goto out;
	if (append_in_txn(c, instance, fn, arg) < 0 ||
	    run(c, st(c, ST_COMMIT), "committing the audit log") < 0) {
		/* keep the first error; the rollback's own outcome is moot */
		sqlite3_step(st(c, ST_ROLLBACK));
		sqlite3_reset(c->st[ST_ROLLBACK]);
		goto out;
	}
	rc = 0;
out:
	give(q, c);
	return rc;
}

static int sq_audit_scan(struct ks_store *s, const char *instance, ks_store_row_fn fn, void *arg)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_AUDIT_SCAN);
	char digest[KS_STORE_DIGEST_MAX];
	int r, rc = -1;

	KS_GUARD(bind_text(t, 1, instance));
	while ((r = sqlite3_step(t)) == SQLITE_ROW) {
		const void *e = sqlite3_column_blob(t, 2);
		int n = sqlite3_column_bytes(t, 2);

		if (col_text(t, 1, digest, sizeof(digest)) < 0) {
			ks_err_clear();
			digest[0] = '\0';
		}
		KS_GUARD(fn(arg, (uint64_t)sqlite3_column_int64(t, 0), digest,
			    n > 0 ? e : (const void *)"", (size_t)(n > 0 ? n : 0)));
	}
	if (r != SQLITE_DONE) {
		sq_fail(c->db, "reading the audit log");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_audit_find(struct ks_store *s, const char *instance, const char *digest,
			 uint64_t *seqs, size_t max, size_t *n)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_AUDIT_FIND);
	int r, rc = -1;

	KS_GUARD(bind_text(t, 1, instance));
	KS_GUARD(bind_text(t, 2, digest));
	while ((r = sqlite3_step(t)) == SQLITE_ROW && *n < max)
		seqs[(*n)++] = (uint64_t)sqlite3_column_int64(t, 0);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		sq_fail(c->db, "searching the audit log");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_audit_checkpoints(struct ks_store *s, const char *instance, ks_store_checkpoint_fn fn,
				void *arg)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CP_LIST);
	int r, rc = -1;

	KS_GUARD(bind_text(t, 1, instance));
	while ((r = sqlite3_step(t)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(t, 3);
		int n = sqlite3_column_bytes(t, 3);
		int64_t size = sqlite3_column_int64(t, 0);

		KS_GUARD(fn(arg, size > 0 ? (uint64_t)size : 0, sqlite3_column_int64(t, 1),
			    sqlite3_column_int64(t, 2) != 0, n > 0 ? b : (const void *)"",
			    (size_t)(n > 0 ? n : 0)));
	}
	if (r != SQLITE_DONE) {
		sq_fail(c->db, "reading checkpoints");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_cache_put(struct ks_store *s, const char *key, const uint8_t *v, size_t n,
			int64_t expires)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CACHE_PUT);
	int rc = -1;

	KS_GUARD(bind_text(t, 1, key));
	KS_GUARD(bind_blob(t, 2, v, n));
	KS_GUARD(bind_i64(t, 3, expires));
	KS_GUARD(run(c, t, "writing the cache"));
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static int sq_cache_get(struct ks_store *s, const char *key, int64_t now, struct ks_buf *v)
{
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
	sqlite3_stmt *t = st(c, ST_CACHE_GET);
	int r, rc = -1;

	KS_GUARD(bind_text(t, 1, key));
	KS_GUARD(bind_i64(t, 2, now));
	r = sqlite3_step(t);
	if (r == SQLITE_DONE)
		KS_BAIL(KS_ERR_NOT_FOUND, "no such cache entry");
	if (r != SQLITE_ROW) {
		sq_fail(c->db, "reading the cache");
		goto out;
	}
	KS_GUARD(col_blob(t, 0, v));
	rc = 0;
out:
	sqlite3_reset(t);
	give(q, c);
	return rc;
}

static void sq_close(struct ks_store *s)
{
	struct sq *q = (struct sq *)s;
	unsigned i;

	for (i = 0; i < q->n; i++)
		conn_close(&q->conns[i]);
	free(q->conns);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}

static int sq_open(const char *path, const struct ks_store_opts *o, struct ks_store **out)
{
	struct sq *q;
	unsigned i;
	mode_t old;
	int rc = -1;

	if (*path == '\0')
		return KS_SET(KS_ERR_ARG, "no database path");
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	q->base.ops = &ks_store_sqlite_ops;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->n = o->connections != 0 ? o->connections : KS_STORE_CONNECTIONS_DEFAULT;
	q->conns = calloc(q->n, sizeof(*q->conns));
	if (q->conns == NULL) {
		q->n = 0;
		KS_SET(KS_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The state holds token hashes and prepared documents: the owner
	 * only. */
	old = umask(077);
	for (i = 0; i < q->n; i++) {
		if (conn_open(path, o, i == 0, &q->conns[i]) < 0) {
			q->n = i;
			umask(old);
			goto out;
		}
	}
	umask(old);
	*out = &q->base;
	q = NULL;
	rc = 0;
out:
	if (q != NULL)
		sq_close(&q->base);
	return rc;
}

/* ---- session activations: their own statements, prepared per call ---- */

static int session_step(struct conn *c, const char *sql_text, const int64_t *v, size_t nv,
			const char *nonce, int64_t *out, bool *row)
{
	sqlite3_stmt *t = NULL;
	size_t i;
	int r, rc = -1;

	*row = false;
	if (sqlite3_prepare_v2(c->db, sql_text, -1, &t, NULL) != SQLITE_OK) {
		sq_fail(c->db, "counting a session");
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
		sq_fail(c->db, "counting a session");
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
	struct sq *q = (struct sq *)s;
	struct conn *c = take(q);
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
	give(q, c);
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
	.cache_put = sq_cache_put,
	.cache_get = sq_cache_get,
	.session_use = sq_session_use,
};
