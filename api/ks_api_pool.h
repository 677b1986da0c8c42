/* ks_api_pool: the workers of the HTTP transport (ks_api_http.c).
 *
 * Requests are answered in the order their bodies were complete,
 * whichever connection and libmicrohttpd thread they came on.  At most
 * `width` workers (one per core) compute at once, taking turns in that
 * order: with every worker on the CPU at once, the scheduler would
 * interleave them and a request would finish after a random number of
 * others rather than after those that came first.  A worker that waits
 * for something else (the disk, a token, a peer) lends its turn
 * meanwhile and, back, goes before the newer requests
 * (ks_api_http_wait_begin/_end, ks_api_http_turn_done).
 *
 * A job whose answer waits only for another thread is deferred: its
 * worker takes the next job at once, and whoever finishes the wait
 * settles it.  The pool knows nothing of HTTP: `run` answers a job,
 * `done` hands it back to its connection. */
#ifndef KS_API_POOL_H
#define KS_API_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api/ks_api_http.h"
#include "ks_err.h"

/* Embedded in the transport's request. */
struct ks_api_pool_job {
	struct ks_api_pool_job *next;
	/* Deferred (ks_api_pool_defer): the worker's return and the settle
	 * each drop a hold; the last one calls done. */
	bool deferred;
	atomic_bool settled_ok;
	atomic_uint holds;
};

struct ks_api_pool_waiter;

struct ks_api_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct ks_api_pool_job *head, *tail;
	pthread_t th[KS_API_THREADS_MAX];
	unsigned n;
	bool inited, stopping, stopped;
	/* back from a wait, waiting for a turn, in order */
	struct ks_api_pool_waiter *wh, *wt;
	unsigned width, running;
	atomic_uint later; /* deferred jobs not done yet */
	/* Answer the job (a worker, holding a turn). */
	void (*run)(struct ks_api_pool_job *j);
	/* The job is answered: give it back (a worker, or the thread that
	 * settles a deferred job, with how it was settled). */
	void (*done)(struct ks_api_pool_job *j, bool settled_ok);
};

/* n workers, `width` turns. */
KS_WUR int ks_api_pool_start(struct ks_api_pool *pl, unsigned n, unsigned width,
			     void (*run)(struct ks_api_pool_job *),
			     void (*done)(struct ks_api_pool_job *, bool));
/* Queue a job, first calling accepted(arg) under the pool's lock (the
 * caller's part that must precede any worker's: suspending the
 * connection).  false, with accepted not called, once the pool is
 * stopping: no worker would take the job. */
KS_WUR bool ks_api_pool_push(struct ks_api_pool *pl, struct ks_api_pool_job *j,
			     void (*accepted)(void *), void *arg);
/* Every queued job answered and every deferred one done, then the
 * workers are gone.  ks_api_pool_push refuses jobs from then on, until
 * ks_api_pool_cleanup.  A no-op on a pool never started or stopped. */
void ks_api_pool_stop(struct ks_api_pool *pl);
/* Stop if not stopped, then free the lock: once nothing can call
 * ks_api_pool_push any more (the transport's threads are gone). */
void ks_api_pool_cleanup(struct ks_api_pool *pl);

/* The job the calling worker runs; NULL elsewhere. */
struct ks_api_pool_job *ks_api_pool_current(void);
/* Defer the calling worker's job j: false when it already is. */
bool ks_api_pool_defer(struct ks_api_pool *pl, struct ks_api_pool_job *j);
/* Settle a deferred job, exactly once (any thread). */
void ks_api_pool_settle(struct ks_api_pool *pl, struct ks_api_pool_job *j, bool ok);

#endif
