/* The transport's workers (api/ks_api_pool.h): every job is run once and
 * handed back once; a deferred job is handed back only once it has both
 * returned from its run and been settled, with how it was settled; stop
 * waits for deferred jobs; a stopped pool takes no job and says so; a
 * worker that gives its turn up (ks_api_http_turn_done) and then waits
 * lets a queued job start meanwhile, and one that goes on takes the
 * queued job itself. */
#include "ks_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "api/ks_api_pool.h"

#define N_JOBS 200

struct tjob {
	struct ks_api_pool_job pj; /* first */
	int id;
	atomic_int runs, dones;
	atomic_bool ran_out; /* run returned */
	bool ok;             /* as handed back */
	bool done_before_return;
	bool current_ok; /* ks_api_pool_current() was the job in its run */
	bool defer_ok;   /* deferred once, refused a second time */
};

static struct ks_api_pool pool;
static atomic_int done_n, accepted_n;
static bool defer_all;
/* in the order deferred; each slot set once, then published */
static _Atomic(struct tjob *) deferred[N_JOBS];
static atomic_int n_deferred;

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static void run(struct ks_api_pool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;

	/* no cmocka assertion off the main thread: recorded, checked there */
	atomic_fetch_add(&j->runs, 1);
	j->current_ok = ks_api_pool_current() == pj;
	if (defer_all) {
		j->defer_ok = ks_api_pool_defer(&pool, pj) && !ks_api_pool_defer(&pool, pj);
		atomic_store(&deferred[atomic_fetch_add(&n_deferred, 1)], j);
		nap_ms(1); /* a settle may come before the run returns */
	}
	atomic_store(&j->ran_out, true);
}

static void done(struct ks_api_pool_job *pj, bool settled_ok)
{
	struct tjob *j = (struct tjob *)pj;

	if (!atomic_load(&j->ran_out))
		j->done_before_return = true;
	j->ok = settled_ok;
	atomic_fetch_add(&j->dones, 1);
	atomic_fetch_add(&done_n, 1);
}

static void accepted(void *arg)
{
	(void)arg;
	atomic_fetch_add(&accepted_n, 1);
}

static void wait_done(int n)
{
	int i;

	for (i = 0; i < 5000 && atomic_load(&done_n) < n; i++)
		nap_ms(1);
	assert_int_equal(atomic_load(&done_n), n);
}

/* A new pool's state; `defer`: every run defers its job. */
static void reset(struct tjob *jobs, bool defer)
{
	int i;

	defer_all = defer;
	memset(jobs, 0, sizeof(struct tjob) * N_JOBS);
	for (i = 0; i < N_JOBS; i++) {
		jobs[i].id = i;
		atomic_store(&deferred[i], NULL);
	}
	atomic_store(&done_n, 0);
	atomic_store(&accepted_n, 0);
	atomic_store(&n_deferred, 0);
	memset(&pool, 0, sizeof(pool));
}

static void test_run_once(void **state)
{
	static struct tjob jobs[N_JOBS];
	int i;

	(void)state;
	reset(jobs, false);
	assert_ok(ks_api_pool_start(&pool, 8, 2, run, done));
	assert_null(ks_api_pool_current()); /* not a worker */
	for (i = 0; i < N_JOBS; i++)
		assert_true(ks_api_pool_push(&pool, &jobs[i].pj, accepted, NULL));
	assert_int_equal(atomic_load(&accepted_n), N_JOBS);
	wait_done(N_JOBS);
	for (i = 0; i < N_JOBS; i++) {
		assert_int_equal(atomic_load(&jobs[i].runs), 1);
		assert_int_equal(atomic_load(&jobs[i].dones), 1);
		assert_true(jobs[i].ok);
		assert_true(jobs[i].current_ok);
		assert_false(jobs[i].pj.deferred);
	}
	ks_api_pool_stop(&pool);
	/* stopped: nothing taken, accepted not called */
	assert_false(ks_api_pool_push(&pool, &jobs[0].pj, accepted, NULL));
	assert_int_equal(atomic_load(&accepted_n), N_JOBS);
	ks_api_pool_stop(&pool); /* again: nothing to do */
	ks_api_pool_cleanup(&pool);
}

struct settler {
	long delay_ms;
};

/* Settles every deferred job, the odd ones as failed, after a delay. */
static void *settle_all(void *arg)
{
	struct settler *st = arg;
	int i, k;

	nap_ms(st->delay_ms);
	for (i = 0; i < N_JOBS; i++) {
		struct tjob *j = NULL;

		/* the slot is counted before it is set: wait for the job */
		for (k = 0; k < 5000 && (j = atomic_load(&deferred[i])) == NULL; k++)
			nap_ms(1);
		if (j == NULL)
			return NULL; /* the main thread's count check fails */
		ks_api_pool_settle(&pool, &j->pj, j->id % 2 == 0);
	}
	return NULL;
}

/* Every job deferred and settled, the odd ones as failed: late (all
 * returned from their runs and checked not handed back first, then
 * settled while stop waits) or early (settled as soon as each is
 * deferred, mostly before its run returns). */
static void deferred_case(bool late)
{
	static struct tjob jobs[N_JOBS];
	struct settler st = { late ? 50 : 0 };
	pthread_t th;
	int i;

	reset(jobs, true);
	if (!late)
		assert_int_equal(pthread_create(&th, NULL, settle_all, &st), 0);
	assert_ok(ks_api_pool_start(&pool, late ? 8 : 4, late ? 2 : 1, run, done));
	for (i = 0; i < N_JOBS; i++)
		assert_true(ks_api_pool_push(&pool, &jobs[i].pj, accepted, NULL));
	if (late) {
		for (i = 0; i < 5000 && atomic_load(&n_deferred) < N_JOBS; i++)
			nap_ms(1);
		assert_int_equal(atomic_load(&n_deferred), N_JOBS);
		/* run, returned, not settled: not handed back */
		nap_ms(20);
		assert_int_equal(atomic_load(&done_n), 0);
		assert_int_equal(atomic_load(&pool.later), N_JOBS);
		assert_int_equal(pthread_create(&th, NULL, settle_all, &st), 0);
	}
	/* stop waits until every deferred job is settled */
	ks_api_pool_cleanup(&pool);
	assert_int_equal(atomic_load(&done_n), N_JOBS);
	assert_int_equal(atomic_load(&pool.later), 0);
	pthread_join(th, NULL);
	for (i = 0; i < N_JOBS; i++) {
		assert_int_equal(atomic_load(&jobs[i].runs), 1);
		assert_int_equal(atomic_load(&jobs[i].dones), 1);
		assert_false(jobs[i].done_before_return);
		assert_true(jobs[i].current_ok);
		assert_true(jobs[i].defer_ok);
		assert_int_equal(jobs[i].ok, i % 2 == 0);
	}
	defer_all = false;
}

static void test_deferred(void **state)
{
	(void)state;
	deferred_case(true);
}

static void test_settle_first(void **state)
{
	(void)state;
	deferred_case(false);
}

/* ---- giving the turn up ---- */

static atomic_bool a_started, b_pushed, b_ran, a_saw_b;

static void run_handoff(struct ks_api_pool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;
	int i;

	atomic_fetch_add(&j->runs, 1);
	if (j->id != 0) {
		if (j->id == 1)
			atomic_store(&b_ran, true);
		return;
	}
	/* job 0 holds the only turn while the others are queued */
	atomic_store(&a_started, true);
	for (i = 0; i < 5000 && !atomic_load(&b_pushed); i++)
		nap_ms(1);
	ks_api_http_turn_done();
	/* then waits for something else: job 1 must start meanwhile */
	ks_api_http_wait_begin();
	for (i = 0; i < 2000 && !atomic_load(&b_ran); i++)
		nap_ms(1);
	atomic_store(&a_saw_b, atomic_load(&b_ran));
	ks_api_http_wait_end();
}

static void test_turn_done_then_wait(void **state)
{
	static struct tjob jobs[N_JOBS];
	int i;

	(void)state;
	reset(jobs, false);
	atomic_store(&a_started, false);
	atomic_store(&b_pushed, false);
	atomic_store(&b_ran, false);
	atomic_store(&a_saw_b, false);
	/* two workers, one turn */
	assert_ok(ks_api_pool_start(&pool, 2, 1, run_handoff, done));
	assert_true(ks_api_pool_push(&pool, &jobs[0].pj, accepted, NULL));
	for (i = 0; i < 5000 && !atomic_load(&a_started); i++)
		nap_ms(1);
	assert_true(atomic_load(&a_started));
	/* queued while job 0 holds the turn: no worker is woken for them */
	assert_true(ks_api_pool_push(&pool, &jobs[1].pj, accepted, NULL));
	assert_true(ks_api_pool_push(&pool, &jobs[2].pj, accepted, NULL));
	atomic_store(&b_pushed, true);
	wait_done(3);
	assert_true(atomic_load(&a_saw_b));
	for (i = 0; i < 3; i++)
		assert_int_equal(atomic_load(&jobs[i].runs), 1);
	ks_api_pool_cleanup(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_once),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_settle_first),
		cmocka_unit_test(test_turn_done_then_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
