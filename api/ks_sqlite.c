/* The SQLite connection pool and statement helpers (ks_sqlite.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/ks_sqlite.h"
#include "ks_size.h"

#define KS_SQ_BUSY_MS_DEFAULT 5000

int ks_sq_fail(sqlite3 *db, const char *what)
{
	int code = db != NULL ? sqlite3_extended_errcode(db) : SQLITE_ERROR;

	if ((code & 0xff) == SQLITE_CONSTRAINT)
		return KS_SET(KS_ERR_ARG, "storage: %s: already present", what);
	return KS_SET(KS_ERR_IO, "storage: %s: %s", what,
		      db != NULL ? sqlite3_errmsg(db) : "no database");
}

static void conn_close(struct ks_sq_conn *c, unsigned n_sql)
{
	unsigned i;

	if (c->st != NULL)
		for (i = 0; i < n_sql; i++)
			sqlite3_finalize(c->st[i]);
	free(c->st);
	sqlite3_close_v2(c->db);
	memset(c, 0, sizeof(*c));
}

static int conn_open(struct ks_sq_pool *p, const char *path, const struct ks_store_opts *o,
		     const char *schema, struct ks_sq_conn *c)
{
	char *msg = NULL;
	unsigned i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->st = calloc(p->n_sql, sizeof(*c->st));
	if (c->st == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		ks_sq_fail(c->db, "opening the database");
		goto out;
	}
	sqlite3_busy_timeout(c->db, o->busy_ms != 0 ? (int)o->busy_ms : KS_SQ_BUSY_MS_DEFAULT);
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db,
			 o->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			 NULL, NULL, &msg) != SQLITE_OK ||
	    (schema != NULL && sqlite3_exec(c->db, schema, NULL, NULL, &msg) != SQLITE_OK)) {
		KS_SET(KS_ERR_IO, "storage: setting up the database: %s",
		       msg != NULL ? msg : "unknown");
		goto out;
	}
	for (i = 0; i < p->n_sql; i++) {
		if (sqlite3_prepare_v3(c->db, p->sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
				       NULL) != SQLITE_OK) {
			ks_sq_fail(c->db, "preparing a statement");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_free(msg);
	if (rc < 0)
		conn_close(c, p->n_sql);
	return rc;
}

int ks_sq_pool_open(struct ks_sq_pool *p, const char *path, const struct ks_store_opts *o,
		    const char *schema, const char *const *sql, unsigned n_sql)
{
	unsigned i, want;
	mode_t old;

	memset(p, 0, sizeof(*p));
	if (*path == '\0')
		return KS_SET(KS_ERR_ARG, "no database path");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->inited = true;
	p->sql = sql;
	p->n_sql = n_sql;
	want = o->connections != 0 ? o->connections : KS_STORE_CONNECTIONS_DEFAULT;
	p->conns = calloc(want, sizeof(*p->conns));
	if (p->conns == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	/* The state holds token hashes and prepared documents: the owner
	 * only. */
	old = umask(077);
	for (i = 0; i < want; i++) {
		if (conn_open(p, path, o, i == 0 ? schema : NULL, &p->conns[i]) < 0)
			break;
		p->n = i + 1;
	}
	umask(old);
	return p->n == want ? 0 : -1;
}

void ks_sq_pool_close(struct ks_sq_pool *p)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		conn_close(&p->conns[i], p->n_sql);
	free(p->conns);
	if (p->inited) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
	}
	memset(p, 0, sizeof(*p));
}

struct ks_sq_conn *ks_sq_take(struct ks_sq_pool *p)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		for (i = 0; i < p->n; i++) {
			if (!p->conns[i].busy) {
				p->conns[i].busy = true;
				pthread_mutex_unlock(&p->lock);
				return &p->conns[i];
			}
		}
		pthread_cond_wait(&p->cond, &p->lock);
	}
}

void ks_sq_give(struct ks_sq_pool *p, struct ks_sq_conn *c)
{
	pthread_mutex_lock(&p->lock);
	c->busy = false;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

sqlite3_stmt *ks_sq_st(struct ks_sq_conn *c, unsigned which)
{
	sqlite3_stmt *s = c->st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int ks_sq_run(struct ks_sq_conn *c, sqlite3_stmt *s, const char *what)
{
	int r = sqlite3_step(s);

	sqlite3_reset(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return ks_sq_fail(c->db, what);
	return 0;
}

static int bind_one(sqlite3_stmt *s, int i, char kind, va_list *ap)
{
	const char *text;
	const void *blob;
	size_t n;
	int len = 0, r;

	switch (kind) {
	case 't':
		text = va_arg(*ap, const char *);
		r = sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT);
		break;
	case 'b':
		blob = va_arg(*ap, const void *);
		n = va_arg(*ap, size_t);
		if (ks_size_to_int(n, &len) < 0)
			return -1;
		/* static: every statement is reset before the bound memory goes */
		r = sqlite3_bind_blob(s, i, n > 0 ? blob : "", len, SQLITE_STATIC);
		break;
	case 'i':
		r = sqlite3_bind_int64(s, i, (sqlite3_int64)va_arg(*ap, int64_t));
		break;
	default:
		return KS_SET(KS_ERR_ARG, "storage: unknown value kind '%c'", kind);
	}
	return r == SQLITE_OK ? 0 : KS_SET(KS_ERR_IO, "storage: binding a value");
}

static int bind_v(sqlite3_stmt *s, const char *fmt, va_list *ap)
{
	int i;

	for (i = 0; fmt[i] != '\0'; i++)
		if (bind_one(s, i + 1, fmt[i], ap) < 0)
			return -1;
	return 0;
}

int ks_sq_bind(sqlite3_stmt *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bind_v(s, fmt, &ap);
	va_end(ap);
	return rc;
}

int ks_sq_exec(struct ks_sq_conn *c, unsigned which, const char *what, const char *fmt, ...)
{
	sqlite3_stmt *s = ks_sq_st(c, which);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bind_v(s, fmt, &ap);
	va_end(ap);
	if (rc == 0)
		rc = ks_sq_run(c, s, what);
	sqlite3_reset(s);
	return rc;
}

int ks_sq_one(struct ks_sq_conn *c, sqlite3_stmt *s, const char *what, const char *missing)
{
	int r = sqlite3_step(s);

	if (r == SQLITE_ROW)
		return 0;
	if (r == SQLITE_DONE)
		return KS_SET(KS_ERR_NOT_FOUND, "%s", missing);
	return ks_sq_fail(c->db, what);
}

int ks_sq_col_text(sqlite3_stmt *s, int i, char *out, size_t n)
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

int ks_sq_col_blob(sqlite3_stmt *s, int i, struct ks_buf *b)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	ks_buf_reset(b);
	return n > 0 ? ks_buf_append(b, p, (size_t)n) : 0;
}

int ks_sq_col_fixed(sqlite3_stmt *s, int i, uint8_t *out, size_t n)
{
	const void *p = sqlite3_column_blob(s, i);

	if (p == NULL || (size_t)sqlite3_column_bytes(s, i) != n)
		return KS_SET(KS_ERR_IO, "storage: a stored value is damaged");
	memcpy(out, p, n);
	return 0;
}
