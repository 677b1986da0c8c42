/* The workers of the HTTP transport (ks_api_pool.h). */
#include "api/ks_api_pool.h"

#include <time.h>

/* A worker waiting for its turn on the CPU. */
struct ks_api_pool_waiter {
	struct ks_api_pool_waiter *next;
	pthread_cond_t cv;
	bool go;
};

/* The pool of the calling worker while it holds a turn; NULL elsewhere. */
static _Thread_local struct ks_api_pool *my_turn;
/* The pool of the calling worker; NULL in other threads. */
static _Thread_local struct ks_api_pool *my_pool;
/* The job the calling worker runs; NULL elsewhere. */
static _Thread_local struct ks_api_pool_job *my_job;

/* Give up a turn (lock held): to the first worker waiting for one, or
 * back to the pool.  `wake`: an idle worker is woken when a job is
 * queued; not when the caller goes on computing and comes back for the
 * next job itself (a wake would only have two threads take turns on the
 * core the caller still uses, and one of them sleep again). */
static void turn_release(struct ks_api_pool *pl, bool wake)
{
	struct ks_api_pool_waiter *w = pl->wh;

	if (w != NULL) {
		pl->wh = w->next;
		if (pl->wh == NULL)
			pl->wt = NULL;
		/* the turn is handed over: running stays counted */
		w->go = true;
		pthread_cond_signal(&w->cv);
		return;
	}
	pl->running--;
	if (wake && pl->head != NULL)
		pthread_cond_signal(&pl->work);
}

/* May a new job start?  A turn is free and no worker back from a
 * wait is owed one. */
static bool turn_free(const struct ks_api_pool *pl)
{
	return pl->running < pl->width && pl->wh == NULL;
}

/* Take a turn back after a wait, before the queued jobs (this one
 * is older than theirs). */
static void turn_take(struct ks_api_pool *pl)
{
	struct ks_api_pool_waiter w;

	pthread_mutex_lock(&pl->lock);
	if (turn_free(pl)) {
		pl->running++;
		pthread_mutex_unlock(&pl->lock);
		return;
	}
	pthread_cond_init(&w.cv, NULL);
	w.go = false;
	w.next = NULL;
	if (pl->wt != NULL)
		pl->wt->next = &w;
	else
		pl->wh = &w;
	pl->wt = &w;
	while (!w.go)
		pthread_cond_wait(&w.cv, &pl->lock);
	pthread_mutex_unlock(&pl->lock);
	pthread_cond_destroy(&w.cv);
}

static void turn_give(struct ks_api_pool *pl, bool wake)
{
	pthread_mutex_lock(&pl->lock);
	turn_release(pl, wake);
	pthread_mutex_unlock(&pl->lock);
}

/* The calling worker gave its turn up without a wake and is about to
 * wait: a queued job that may start gets a worker now. */
static void kick(struct ks_api_pool *pl)
{
	pthread_mutex_lock(&pl->lock);
	if (pl->head != NULL && turn_free(pl))
		pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->lock);
}

void ks_api_http_wait_begin(void)
{
	if (my_turn != NULL)
		turn_give(my_turn, true);
	else if (my_pool != NULL)
		kick(my_pool);
}

void ks_api_http_wait_end(void)
{
	if (my_turn != NULL)
		turn_take(my_turn);
}

void ks_api_http_turn_done(void)
{
	if (my_turn != NULL)
		turn_give(my_turn, false);
	my_turn = NULL;
}

struct ks_api_pool_job *ks_api_pool_current(void)
{
	return my_job;
}

/* A deferred job's hold dropped: the last one hands it back (any
 * thread).  The worker's hold is gone by then, so nothing else touches
 * the job. */
static void later_release(struct ks_api_pool *pl, struct ks_api_pool_job *j)
{
	if (atomic_fetch_sub(&j->holds, 1) != 1)
		return;
	pl->done(j, atomic_load(&j->settled_ok));
	atomic_fetch_sub(&pl->later, 1);
}

bool ks_api_pool_defer(struct ks_api_pool *pl, struct ks_api_pool_job *j)
{
	if (j->deferred)
		return false;
	j->deferred = true;
	atomic_store(&j->settled_ok, false);
	atomic_store(&j->holds, 2);
	atomic_fetch_add(&pl->later, 1);
	return true;
}

void ks_api_pool_settle(struct ks_api_pool *pl, struct ks_api_pool_job *j, bool ok)
{
	atomic_store(&j->settled_ok, ok);
	later_release(pl, j);
}

/* A job is queued; an idle worker is woken only when it may start now
 * (otherwise the worker whose turn ends takes it, without a sleep and a
 * wake in between). */
bool ks_api_pool_push(struct ks_api_pool *pl, struct ks_api_pool_job *j, void (*accepted)(void *),
		      void *arg)
{
	j->next = NULL;
	pthread_mutex_lock(&pl->lock);
	if (pl->stopping) {
		pthread_mutex_unlock(&pl->lock);
		return false;
	}
	accepted(arg);
	if (pl->tail != NULL)
		pl->tail->next = j;
	else
		pl->head = j;
	pl->tail = j;
	if (turn_free(pl))
		pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->lock);
	return true;
}

static void *worker(void *arg)
{
	struct ks_api_pool *pl = arg;
	struct ks_api_pool_job *j;

	my_pool = pl;
	pthread_mutex_lock(&pl->lock);
	for (;;) {
		while (!(pl->head != NULL && turn_free(pl)) && !(pl->stopping && pl->head == NULL))
			pthread_cond_wait(&pl->work, &pl->lock);
		/* stopping: what is queued is still answered */
		if (pl->head == NULL)
			break;
		j = pl->head;
		pl->head = j->next;
		if (pl->head == NULL)
			pl->tail = NULL;
		pl->running++;
		pthread_mutex_unlock(&pl->lock);
		my_turn = pl;
		my_job = j;
		pl->run(j);
		my_job = NULL;
		/* this worker takes the next job itself, below */
		if (my_turn != NULL)
			turn_give(pl, false);
		my_turn = NULL;
		/* a deferred job: the other hold settles it, maybe already has */
		if (j->deferred)
			later_release(pl, j);
		else
			pl->done(j, true);
		pthread_mutex_lock(&pl->lock);
	}
	/* the next worker may be asleep with the queue empty: let it see
	 * stopping too */
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

int ks_api_pool_start(struct ks_api_pool *pl, unsigned n, unsigned width,
		      void (*run)(struct ks_api_pool_job *),
		      void (*done)(struct ks_api_pool_job *, bool))
{
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->work, NULL);
	pl->width = width;
	pl->run = run;
	pl->done = done;
	pl->inited = true;
	for (pl->n = 0; pl->n < n; pl->n++)
		if (pthread_create(&pl->th[pl->n], NULL, worker, pl) != 0)
			return KS_SET(KS_ERR_INTERNAL, "cannot start %u worker threads", n);
	return 0;
}

void ks_api_pool_stop(struct ks_api_pool *pl)
{
	unsigned i;

	if (!pl->inited || pl->stopped)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->stopping = true;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->lock);
	for (i = 0; i < pl->n; i++)
		pthread_join(pl->th[i], NULL);
	/* the deferred jobs settled and done: whoever settles them (the
	 * audit writer) goes on until its queue is empty */
	while (atomic_load(&pl->later) > 0)
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	/* the lock stays: a request read meanwhile is still refused by
	 * ks_api_pool_push, until ks_api_pool_cleanup */
	pl->stopped = true;
}

void ks_api_pool_cleanup(struct ks_api_pool *pl)
{
	if (!pl->inited)
		return;
	ks_api_pool_stop(pl);
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->work);
	pl->inited = false;
}
