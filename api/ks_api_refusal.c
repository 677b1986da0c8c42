/* Audit rows of refused requests (ks_api_int.h, docs/audit.md).
 *
 * Every refusal (400, 401, 403, 413, 415, 429 and the other 4xx
 * outcomes of the handlers) leaves a row.  A refusal costs its sender
 * almost nothing, so rows of their own are rationed: each address gets
 * `refusal-rows` of them per window of `refusal-window` seconds, all
 * addresses together `refusal-rows-total`.  Past that, and always for
 * 429 (the rate limit exists because someone is sending too much),
 * refusals are counted: one aggregated row per (address, client,
 * operation, outcome) and window, with "count", written when the window
 * ends (or at stop).  When the table of counters is full, the refusal
 * is counted in a row per outcome with the address "*".  So the log
 * grows by at most refusal-rows-total + AGG_SLOTS + one per code rows
 * per window whatever arrives, and no refusal goes uncounted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_api_int.h"
#include "ks_log.h"

#define AGG_SLOTS 1024
#define BUDGET_SLOTS 4096
#define OP_MAX 32
#define OUTCOME_MAX 48
#define REQUEST_MAX 32
#define OTHER_OUTCOME "internal"

struct agg {
	char addr[KS_API_ADDR_MAX];
	char client[KS_STORE_NAME_MAX];
	char op[OP_MAX];
	char outcome[OUTCOME_MAX];
	char request[REQUEST_MAX]; /* the first refusal's request id */
	uint64_t count;
};

struct budget {
	char addr[KS_API_ADDR_MAX];
	int64_t window;
	unsigned used;
};

struct ks_api_refusals {
	pthread_mutex_t lock;
	unsigned window_s, rows, rows_total;
	struct agg *agg; /* AGG_SLOTS by key, then one per problem code (address "*") */
	size_t n_agg;
	struct agg *out; /* the rows being written by a flush */
	struct ks_audit_event *ev;
	struct budget *budget;
	int64_t window;     /* the budgets' window */
	int64_t agg_window; /* the window the counters belong to */
	unsigned used_total;
};

static size_t n_codes(void)
{
	const char *const *c = ks_api_problem_codes();
	size_t n = 0;

	while (c[n] != NULL)
		n++;
	return n;
}

/* ---- what a request's handling noted ----
 * A request is handled from its headers to its answer by one thread, so
 * the notes are the thread's, reset when another request id comes. */

struct req_note {
	char id[KS_API_REQID_LEN + 1];
	bool audited;
	char problem[48];
	char client[KS_STORE_NAME_MAX];
};
static _Thread_local struct req_note note;

static struct req_note *note_of(const struct ks_api_request *q)
{
	if (strcmp(note.id, q->id) != 0) {
		memset(&note, 0, sizeof(note));
		snprintf(note.id, sizeof(note.id), "%s", q->id);
	}
	return &note;
}

bool ks_api_req_audited(const struct ks_api_request *q)
{
	return note_of(q)->audited;
}

void ks_api_req_mark_audited(const struct ks_api_request *q)
{
	note_of(q)->audited = true;
}

const char *ks_api_req_problem(const struct ks_api_request *q)
{
	struct req_note *n = note_of(q);

	return n->problem[0] != '\0' ? n->problem : NULL;
}

const char *ks_api_req_client(const struct ks_api_request *q)
{
	return note_of(q)->client;
}

void ks_api_req_note_problem(const struct ks_api_request *q, const char *code)
{
	snprintf(note_of(q)->problem, sizeof(note.problem), "%s", code != NULL ? code : "");
}

void ks_api_req_note_client(const struct ks_api_request *q, const char *name)
{
	snprintf(note_of(q)->client, sizeof(note.client), "%s", name != NULL ? name : "");
}

int ks_api_refusals_new(const struct ks_api_conf *c, struct ks_api_refusals **out)
{
	struct ks_api_refusals *rf = calloc(1, sizeof(*rf));

	*out = NULL;
	if (rf == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&rf->lock, NULL);
	rf->window_s = c->refusal_window_s > 0 ? c->refusal_window_s : 1;
	rf->rows = c->refusal_rows;
	rf->rows_total = c->refusal_rows_total;
	rf->n_agg = AGG_SLOTS + n_codes() + 1;
	rf->agg = calloc(rf->n_agg, sizeof(*rf->agg));
	rf->out = calloc(rf->n_agg, sizeof(*rf->out));
	rf->ev = calloc(rf->n_agg, sizeof(*rf->ev));
	rf->budget = calloc(BUDGET_SLOTS, sizeof(*rf->budget));
	rf->agg_window = (int64_t)time(NULL) / rf->window_s;
	rf->window = rf->agg_window;
	*out = rf;
	if (rf->agg == NULL || rf->out == NULL || rf->ev == NULL || rf->budget == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

void ks_api_refusals_free(struct ks_api_refusals *rf)
{
	if (rf == NULL)
		return;
	free(rf->agg);
	free(rf->out);
	free(rf->ev);
	free(rf->budget);
	pthread_mutex_destroy(&rf->lock);
	free(rf);
}

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return (h ^ 0xffu) * 16777619u; /* separates "ab","c" from "a","bc" */
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
}

static bool same(const struct agg *a, const char *addr, const struct ks_audit_event *ev)
{
	return strcmp(a->addr, addr) == 0 && strcmp(a->client, ev->client ? ev->client : "") == 0 &&
	       strcmp(a->op, ev->op ? ev->op : "") == 0 &&
	       strcmp(a->outcome, ev->outcome ? ev->outcome : "") == 0;
}

static void fill(struct agg *a, const char *addr, const struct ks_audit_event *ev)
{
	copy(a->addr, sizeof(a->addr), addr);
	copy(a->client, sizeof(a->client), ev->client);
	copy(a->op, sizeof(a->op), ev->op);
	copy(a->outcome, sizeof(a->outcome), ev->outcome);
	copy(a->request, sizeof(a->request), ev->request);
}

/* Count one refusal (the lock held). */
static void count(struct ks_api_refusals *rf, const struct ks_audit_event *ev)
{
	const char *const *codes = ks_api_problem_codes();
	const char *addr = ev->addr != NULL ? ev->addr : "";
	uint32_t h = fnv(
	    fnv(fnv(fnv(2166136261u, addr), ev->client ? ev->client : ""), ev->op ? ev->op : ""),
	    ev->outcome ? ev->outcome : "");
	struct agg *a = &rf->agg[h % AGG_SLOTS];
	size_t i;

	if (a->count > 0 && !same(a, addr, ev)) {
		/* the slot is another's: the outcome's row for any address */
		for (i = 0; codes[i] != NULL && strcmp(codes[i], ev->outcome) != 0; i++)
			;
		a = &rf->agg[AGG_SLOTS + i];
		if (a->count == 0) {
			fill(a, "*", ev);
			if (codes[i] == NULL)
				copy(a->outcome, sizeof(a->outcome), OTHER_OUTCOME);
		}
		if (strcmp(a->client, ev->client ? ev->client : "") != 0)
			copy(a->client, sizeof(a->client), "*");
		if (strcmp(a->op, ev->op ? ev->op : "") != 0)
			copy(a->op, sizeof(a->op), "*");
	} else if (a->count == 0) {
		fill(a, addr, ev);
	}
	a->count++;
}

int ks_api_refusal_audit(struct ks_api_svc *s, const struct ks_audit_event *ev)
{
	struct ks_api_refusals *rf = s->refusals;
	int64_t w = (int64_t)time(NULL) / rf->window_s;
	const char *addr = ev->addr != NULL ? ev->addr : "";
	bool own = false;
	struct budget *b;

	pthread_mutex_lock(&rf->lock);
	if (w != rf->window) {
		rf->window = w;
		rf->used_total = 0;
	}
	if (strcmp(ev->outcome, "rate-limited") != 0) {
		b = &rf->budget[fnv(2166136261u, addr) % BUDGET_SLOTS];
		if (strcmp(b->addr, addr) != 0 || b->window != w) {
			copy(b->addr, sizeof(b->addr), addr);
			b->window = w;
			b->used = 0;
		}
		if (b->used < rf->rows && rf->used_total < rf->rows_total) {
			b->used++;
			rf->used_total++;
			own = true;
		}
	}
	if (!own)
		count(rf, ev);
	pthread_mutex_unlock(&rf->lock);
	if (!own)
		return 0;
	return ks_api_auditq_add(s, ev);
}

void ks_api_refusal_flush(struct ks_api_svc *s, bool all)
{
	struct ks_api_refusals *rf = s->refusals;
	size_t i, n = 0;
	int64_t w;

	if (rf == NULL)
		return;
	w = (int64_t)time(NULL) / rf->window_s;
	pthread_mutex_lock(&rf->lock);
	if (!all && w == rf->agg_window) {
		pthread_mutex_unlock(&rf->lock);
		return;
	}
	rf->agg_window = w;
	for (i = 0; i < rf->n_agg; i++) {
		if (rf->agg[i].count == 0)
			continue;
		rf->out[n++] = rf->agg[i];
		memset(&rf->agg[i], 0, sizeof(rf->agg[i]));
	}
	pthread_mutex_unlock(&rf->lock);
	for (i = 0; i < n; i++) {
		struct ks_audit_event *e = &rf->ev[i];

		memset(e, 0, sizeof(*e));
		e->op = rf->out[i].op;
		e->client = rf->out[i].client;
		e->key = "";
		e->digest = "";
		e->level = "";
		e->outcome = rf->out[i].outcome;
		e->request = rf->out[i].request;
		e->addr = rf->out[i].addr;
		e->count = rf->out[i].count;
	}
	if (n > 0 && ks_api_auditq_add_many(s, rf->ev, n) < 0) {
		ks_log(KS_LOG_ERROR, "audit: %zu aggregated refusal rows not written: %s", n,
		       ks_err_msg());
		ks_err_clear();
	}
}

const char *ks_api_route_op(const char *path)
{
	static const struct {
		const char *path, *op;
	} ops[] = {
		{ "/v1/sign", "sign" },
		{ "/v1/sign/prepare", "prepare" },
		{ "/v1/sign/complete", "complete" },
		{ "/v1/sign/batch", "sign-batch" },
		{ "/v1/sign/batch/prepare", "prepare-batch" },
		{ "/v1/sign/batch/complete", "complete-batch" },
		{ "/v1/verify", "verify" },
		{ "/v1/timestamp", "timestamp" },
		{ "/verify", "verify-page" },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(path, ops[i].path) == 0)
			return ops[i].op;
	return "request";
}

static const char *code_of_status(unsigned status)
{
	switch (status) {
	case 400:
		return "bad-parameter";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden-operation";
	case 413:
		return "too-large";
	case 415:
		return "unsupported-media-type";
	case 429:
		return "rate-limited";
	default:
		return NULL;
	}
}

void ks_api_refusal_answered(struct ks_api_svc *s, const struct ks_api_request *q,
			     const struct ks_api_reply *r)
{
	const char *code = code_of_status(r->status), *told;
	struct ks_audit_event ev;

	if (code == NULL || ks_api_req_audited(q))
		return;
	/* the problem the handler answered, when it is of this status */
	told = ks_api_req_problem(q);
	if (told != NULL && ks_api_problem_status(told) == r->status)
		code = told;
	memset(&ev, 0, sizeof(ev));
	ev.op = ks_api_route_op(q->path);
	ev.client = ks_api_req_client(q);
	ev.key = "";
	ev.digest = "";
	ev.level = "";
	ev.outcome = code;
	ev.request = q->id;
	ev.addr = q->addr;
	ks_api_req_mark_audited(q);
	if (ks_api_refusal_audit(s, &ev) < 0) {
		ks_log(KS_LOG_ERROR, "request %s: audit row not written: %s", q->id, ks_err_msg());
		ks_err_clear();
	}
}
