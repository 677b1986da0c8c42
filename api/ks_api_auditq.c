/* The service's audit rows, committed in groups (ks_api_int.h).
 *
 * A request's row must be durable before its answer leaves (a signature
 * is never handed out without its audit row), but one commit (fsync and
 * a signed checkpoint) per request would cap the service at the disk's
 * commit rate.  So requests queue their rows and wait; one writer thread
 * takes everything queued, appends it as one transaction ending with one
 * signed checkpoint (ks_audit_append with n rows), and wakes the batch's
 * requests.
 *
 * A request that has nothing else to do meanwhile does not wait: its
 * answer is deferred (ks_api_http_defer) and the writer settles it after
 * the commit, so its worker takes the next request at once.
 *
 * A commit costs the same for one row or a hundred (an fsync, a signed
 * checkpoint, the pages written again), so under load the writer waits
 * a little for more: until every request the workers hold is waiting
 * for its rows (none of them will add one sooner), or the rows gathered
 * are half as many as the requests still computing, or commit-delay has
 * passed since it woke.  A lone request is committed at once.
 *
 * The second bound keeps the cores busy: the answers a commit releases
 * bring the clients' next requests, and waiting until the last request
 * in the workers' hands is done would leave the cores without work
 * while the commit runs.  Committing when a third of the requests wait
 * has them back while the others still compute.  (Measured with 32
 * clients on two cores: more signatures per second than committing
 * when half or a quarter wait, or when all do.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_api_int.h"
#include "ks_log.h"

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
}

/* Is there a reason to wait for more rows?  Some request the workers
 * hold is not waiting for a commit yet, fewer rows are gathered than
 * half of such requests, and the queue has room. */
static bool worth_waiting(struct ks_api_svc *s)
{
	const struct ks_api_auditq *q = &s->aq;
	unsigned busy = atomic_load(&s->busy);

	return !q->stopping && q->n < KS_API_AUDIT_BATCH_MAX / 2 && q->waiting < busy &&
	       2 * q->n < busy - q->waiting;
}

/* Wait (lock held) until the queue has room for a row: false when the
 * service is stopping instead.  The wait is the disk's: the caller's
 * turn goes to another request meanwhile (the lock is let go for it). */
static bool room(struct ks_api_auditq *q)
{
	while (q->n >= KS_API_AUDIT_BATCH_MAX && !q->stopping) {
		pthread_mutex_unlock(&q->lock);
		ks_api_http_wait_begin();
		pthread_mutex_lock(&q->lock);
		while (q->n >= KS_API_AUDIT_BATCH_MAX && !q->stopping) {
			pthread_cond_signal(&q->work);
			pthread_cond_wait(&q->done, &q->lock);
		}
		pthread_mutex_unlock(&q->lock);
		ks_api_http_wait_end();
		pthread_mutex_lock(&q->lock);
	}
	return !q->stopping;
}

/* Queue one row (lock held, room checked). */
static void put_row(struct ks_api_auditq *q, const struct ks_audit_event *ev,
		    struct ks_api_later *later)
{
	struct ks_api_audit_row *r = &q->rows[q->n++];

	copy(r->op, sizeof(r->op), ev->op);
	copy(r->client, sizeof(r->client), ev->client);
	copy(r->key, sizeof(r->key), ev->key);
	copy(r->digest, sizeof(r->digest), ev->digest);
	copy(r->level, sizeof(r->level), ev->level);
	copy(r->outcome, sizeof(r->outcome), ev->outcome);
	copy(r->request, sizeof(r->request), ev->request);
	copy(r->addr, sizeof(r->addr), ev->addr);
	r->count = ev->count;
	copy(r->record, sizeof(r->record), ev->record);
	copy(r->signed_digest, sizeof(r->signed_digest), ev->signed_digest);
	copy(r->signer, sizeof(r->signer), ev->signer);
	copy(r->session, sizeof(r->session), ev->session);
	r->later = later;
}

int ks_api_auditq_add_later(struct ks_api_svc *s, const struct ks_audit_event *ev,
			    struct ks_api_later *later)
{
	struct ks_api_auditq *q = &s->aq;

	pthread_mutex_lock(&q->lock);
	if (!room(q) || q->writer_gone) {
		pthread_mutex_unlock(&q->lock);
		return KS_SET(KS_ERR_INTERNAL, "the service is stopping");
	}
	put_row(q, ev, later);
	/* a gathering writer is woken only when it should stop */
	if (!q->gathering || !worth_waiting(s))
		pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int ks_api_auditq_add_many(struct ks_api_svc *s, const struct ks_audit_event *ev, size_t n)
{
	struct ks_api_auditq *q = &s->aq;
	uint64_t first = 0, batch = 0;
	size_t i;
	bool bad;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < n; i++) {
		if (!room(q)) {
			pthread_mutex_unlock(&q->lock);
			return KS_SET(KS_ERR_INTERNAL, "the service is stopping");
		}
		put_row(q, &ev[i], NULL);
		batch = q->next;
		if (i == 0)
			first = batch;
	}
	if (q->committed < batch && !q->writer_gone) {
		/* the disk's time: another request computes meanwhile */
		q->waiting++;
		/* a gathering writer is woken only when it should stop */
		if (!q->gathering || !worth_waiting(s))
			pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->lock);
		ks_api_http_wait_begin();
		pthread_mutex_lock(&q->lock);
		while (q->committed < batch && !q->writer_gone)
			pthread_cond_wait(&q->done, &q->lock);
		q->waiting--;
		pthread_mutex_unlock(&q->lock);
		ks_api_http_wait_end();
		pthread_mutex_lock(&q->lock);
	}
	/* only the last failed batch is known: with rows in several
	 * batches, any failure since the first counts */
	bad = q->committed < batch || (q->failed >= first && (n > 1 || q->failed <= batch));
	pthread_mutex_unlock(&q->lock);
	if (bad)
		return KS_SET(KS_ERR_IO, "the audit rows of this batch were not written");
	return 0;
}

int ks_api_auditq_add(struct ks_api_svc *s, const struct ks_audit_event *ev)
{
	return ks_api_auditq_add_many(s, ev, 1);
}

/* Wait (lock held) while worth_waiting, at most commit-delay. */
static void gather(struct ks_api_svc *s)
{
	struct ks_api_auditq *q = &s->aq;
	unsigned ms = s->conf->commit_delay_ms;
	struct timespec until;

	if (ms == 0 || !worth_waiting(s))
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	q->gathering = true;
	while (worth_waiting(s))
		if (pthread_cond_timedwait(&q->work, &q->lock, &until) != 0)
			break;
	q->gathering = false;
}

static void *writer(void *arg)
{
	struct ks_api_svc *s = arg;
	struct ks_api_auditq *q = &s->aq;
	struct ks_audit_event ev[KS_API_AUDIT_BATCH_MAX];
	struct ks_api_audit_row *rows;
	uint64_t batch;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->n == 0 && !q->stopping)
			pthread_cond_wait(&q->work, &q->lock);
		if (q->n == 0 && q->stopping)
			break;
		gather(s);
		/* take the queue: the other array receives new rows meanwhile */
		rows = q->rows;
		n = q->n;
		q->rows = q->spare;
		q->spare = rows;
		q->n = 0;
		batch = q->next++;
		pthread_mutex_unlock(&q->lock);
		for (i = 0; i < n; i++) {
			ev[i].op = rows[i].op;
			ev[i].client = rows[i].client;
			ev[i].key = rows[i].key;
			ev[i].digest = rows[i].digest;
			ev[i].level = rows[i].level;
			ev[i].outcome = rows[i].outcome;
			ev[i].request = rows[i].request;
			ev[i].addr = rows[i].addr;
			ev[i].count = rows[i].count;
			ev[i].record = rows[i].record;
			ev[i].signed_digest = rows[i].signed_digest;
			ev[i].signer = rows[i].signer;
			ev[i].session = rows[i].session;
		}
		rc = ks_audit_append(s->store, &s->audit, ev, n, NULL);
		if (rc < 0) {
			ks_log(KS_LOG_ERROR, "audit: %zu rows not written: %s", n, ks_err_msg());
			ks_err_clear();
			atomic_fetch_add(&s->audit_errors, n);
		} else {
			atomic_fetch_add(&s->audit_commits, 1);
			atomic_fetch_add(&s->audit_rows, n);
		}
		/* the requests that did not wait: answered now */
		for (i = 0; i < n; i++)
			if (rows[i].later != NULL)
				ks_api_http_settle(rows[i].later, rc == 0);
		pthread_mutex_lock(&q->lock);
		if (rc < 0)
			q->failed = batch;
		q->committed = batch;
		pthread_cond_broadcast(&q->done);
	}
	q->writer_gone = true;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int ks_api_auditq_start(struct ks_api_svc *s)
{
	struct ks_api_auditq *q = &s->aq;
	pthread_condattr_t ca;

	pthread_mutex_init(&q->lock, NULL);
	/* the gathering wait is timed on the monotonic clock */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&q->work, &ca) != 0)
		return KS_SET(KS_ERR_INTERNAL, "cannot set up the audit queue");
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&q->done, NULL);
	q->inited = true;
	q->next = 1;
	q->rows = calloc(KS_API_AUDIT_BATCH_MAX, sizeof(*q->rows));
	q->spare = calloc(KS_API_AUDIT_BATCH_MAX, sizeof(*q->spare));
	if (q->rows == NULL || q->spare == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (pthread_create(&q->th, NULL, writer, s) != 0)
		return KS_SET(KS_ERR_INTERNAL, "cannot start the audit writer");
	q->started = true;
	return 0;
}

void ks_api_auditq_stop(struct ks_api_svc *s)
{
	struct ks_api_auditq *q = &s->aq;

	if (!q->inited)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->lock);
		q->stopping = true;
		pthread_cond_broadcast(&q->work);
		pthread_cond_broadcast(&q->done);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->th, NULL);
	}
	free(q->rows);
	free(q->spare);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->done);
	q->inited = false;
}
