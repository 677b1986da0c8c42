/* ks_sqlite: the connection pool and statement helpers under the store's
 * SQLite backend (ks_store_sqlite.c).  One database file in WAL mode, a
 * small pool of connections (readers run side by side, writers take
 * turns, another process such as `kyso client add` waits its turn for up
 * to busy_ms), each with every statement prepared once.  Not for use
 * outside api/. */
#ifndef KS_SQLITE_H
#define KS_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/ks_store.h"
#include "ks_buf.h"
#include "ks_err.h"

struct ks_sq_conn {
	sqlite3 *db;
	sqlite3_stmt **st; /* the pool's statements, prepared on this connection */
	bool busy;
};

struct ks_sq_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ks_sq_conn *conns;
	unsigned n;
	const char *const *sql; /* the statements, by number */
	unsigned n_sql;
	bool inited;
};

/* Open the pool on the database at path: the schema is run once (on the
 * first connection), then every statement of sql[0..n_sql) is prepared on
 * every connection. */
KS_WUR int ks_sq_pool_open(struct ks_sq_pool *p, const char *path, const struct ks_store_opts *o,
			   const char *schema, const char *const *sql, unsigned n_sql);
void ks_sq_pool_close(struct ks_sq_pool *p);

/* A free connection (waits for one) and its return. */
struct ks_sq_conn *ks_sq_take(struct ks_sq_pool *p);
void ks_sq_give(struct ks_sq_pool *p, struct ks_sq_conn *c);

/* Statement number `which`, reset and unbound, ready to bind. */
sqlite3_stmt *ks_sq_st(struct ks_sq_conn *c, unsigned which);

/* The error of a failed call on db, as a kyso error (a constraint
 * violation is KS_ERR_ARG "already present"); always -1. */
int ks_sq_fail(sqlite3 *db, const char *what);

/* Bind the values of a format, one letter per parameter from 1:
 * 't' text (const char *), 'b' blob (const void *, size_t; bound without
 * a copy: the statement must be reset before the memory goes), 'i' int64
 * (int64_t). */
KS_WUR int ks_sq_bind(sqlite3_stmt *s, const char *fmt, ...);

/* Run statement `which` that returns no rows, with its values bound from
 * the format (as ks_sq_bind); the statement is reset on return. */
KS_WUR int ks_sq_exec(struct ks_sq_conn *c, unsigned which, const char *what, const char *fmt, ...);

/* Run a statement already bound that returns no rows, then reset it. */
KS_WUR int ks_sq_run(struct ks_sq_conn *c, sqlite3_stmt *s, const char *what);

/* Step a bound query to its one row: 0 at the row, KS_ERR_NOT_FOUND
 * (`missing`) when there is none, an error otherwise. */
KS_WUR int ks_sq_one(struct ks_sq_conn *c, sqlite3_stmt *s, const char *what, const char *missing);

/* Column text into a fixed buffer (too long: refused). */
KS_WUR int ks_sq_col_text(sqlite3_stmt *s, int i, char *out, size_t n);

/* Column blob into b (replacing its contents). */
KS_WUR int ks_sq_col_blob(sqlite3_stmt *s, int i, struct ks_buf *b);

/* Column blob of exactly n bytes into out (damaged otherwise). */
KS_WUR int ks_sq_col_fixed(sqlite3_stmt *s, int i, uint8_t *out, size_t n);

#endif
