/* The audit log over the store: appending with a signed checkpoint,
 * checking the whole log, and inclusion proofs (ks_audit.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/ks_audit.h"
#include "ks_codec.h"
#include "ks_size.h"

#define APPEND_MAX 1024 /* events in one append */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- appending ---- */

struct append {
	struct ks_audit_signer *sg;
	const struct ks_audit_event *ev;
	size_t n;
	struct ks_buf *entries;
	const char **digests;
	const char **records;
	struct ks_buf text, sig, stored;
	int64_t now;
	bool keep;
	uint64_t first;
};

/* The compact range the latest checkpoint carries, checked against its
 * own root and against the rows the store holds. */
static int resume(struct append *a, const struct ks_store_audit_txn *t, struct ks_audit_range *r)
{
	struct ks_audit_checkpoint cp;
	uint8_t root[KS_AUDIT_HASH_LEN];
	int rc = -1;

	ks_audit_range_init(r);
	if (t->last->len == 0) {
		if (t->size != 0)
			KS_BAIL(KS_ERR_VERIFY,
				"the audit log of '%s' has %llu rows and no checkpoint; run kyso "
				"audit verify",
				a->sg->instance, (unsigned long long)t->size);
		return 0;
	}
	KS_GUARD(ks_audit_stored_decode(t->last->data, t->last->len, &a->text, NULL, r));
	KS_GUARD(ks_audit_checkpoint_parse(a->text.data, a->text.len, &cp));
	ks_audit_range_root(r, root);
	if (strcmp(cp.instance, a->sg->instance) != 0 ||
	    CRYPTO_memcmp(root, cp.root, sizeof(root)) != 0)
		KS_BAIL(KS_ERR_VERIFY,
			"the latest checkpoint of '%s' is damaged; run kyso audit "
			"verify",
			a->sg->instance);
	if (cp.size != t->size)
		KS_BAIL(KS_ERR_VERIFY,
			"the audit log of '%s' has %llu rows but its latest checkpoint covers "
			"%llu; run kyso audit verify",
			a->sg->instance, (unsigned long long)t->size, (unsigned long long)cp.size);
	rc = 0;
out:
	return rc;
}

static int append_fn(void *arg, struct ks_store_audit_txn *t)
{
	struct append *a = arg;
	struct ks_audit_range r;
	struct ks_audit_checkpoint cp;
	uint8_t leaf[KS_AUDIT_HASH_LEN];
	size_t i;

	if (resume(a, t, &r) < 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		ks_buf_reset(&a->entries[i]);
		if (ks_audit_entry_encode(&a->ev[i], a->sg->instance, t->size + 1 + i, a->now,
					  &a->entries[i]) < 0)
			return -1;
		ks_audit_leaf_hash(a->entries[i].data, a->entries[i].len, leaf);
		ks_audit_range_push(&r, leaf);
		a->digests[i] = a->ev[i].digest != NULL ? a->ev[i].digest : "";
		a->records[i] = a->ev[i].record != NULL ? a->ev[i].record : "";
	}
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.instance, sizeof(cp.instance), "%s", a->sg->instance);
	cp.size = r.size;
	cp.time = a->now / 1000;
	ks_audit_range_root(&r, cp.root);
	ks_buf_reset(&a->text);
	ks_buf_reset(&a->sig);
	ks_buf_reset(&a->stored);
	if (ks_audit_checkpoint_text(&cp, &a->text) < 0 ||
	    ks_audit_checkpoint_sign(a->sg->key, a->text.data, a->text.len, &a->sig) < 0 ||
	    ks_audit_stored_encode(&a->text, &a->sig, &r, &a->stored) < 0)
		return -1;
	t->n = a->n;
	t->entries = a->entries;
	t->digests = a->digests;
	t->records = a->records;
	t->checkpoint = &a->stored;
	t->checkpoint_time = cp.time;
	t->keep = a->keep;
	a->first = t->size + 1;
	return 0;
}

int ks_audit_append(struct ks_store *st, struct ks_audit_signer *sg,
		    const struct ks_audit_event *ev, size_t n, uint64_t *first)
{
	struct append a;
	size_t i;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	ks_buf_init(&a.text, KS_AUDIT_TEXT_MAX);
	ks_buf_init(&a.sig, KS_AUDIT_SIG_MAX);
	ks_buf_init(&a.stored, KS_STORE_CHECKPOINT_MAX);
	if (n > APPEND_MAX)
		KS_BAIL(KS_ERR_LIMIT, "more than %d audit events at once", APPEND_MAX);
	a.entries = calloc(n > 0 ? n : 1, sizeof(*a.entries));
	a.digests = calloc(n > 0 ? n : 1, sizeof(*a.digests));
	a.records = calloc(n > 0 ? n : 1, sizeof(*a.records));
	if (a.entries == NULL || a.digests == NULL || a.records == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		ks_buf_init(&a.entries[i], KS_STORE_ENTRY_MAX);
	a.sg = sg;
	a.ev = ev;
	a.n = n;
	a.now = now_ms();
	a.keep = sg->keep_interval == 0 || a.now / 1000 - sg->last_kept >= sg->keep_interval;
	KS_GUARD(ks_store_audit_append(st, sg->instance, append_fn, &a));
	if (a.keep)
		sg->last_kept = a.now / 1000;
	if (first != NULL)
		*first = a.first;
	rc = 0;
out:
	if (a.entries != NULL)
		for (i = 0; i < n; i++)
			ks_buf_cleanup(&a.entries[i]);
	free(a.entries);
	free((void *)a.digests);
	free((void *)a.records);
	ks_buf_cleanup(&a.text);
	ks_buf_cleanup(&a.sig);
	ks_buf_cleanup(&a.stored);
	return rc;
}

/* ---- checking the whole log ---- */

struct cp_seen {
	uint64_t size;
	uint8_t root[KS_AUDIT_HASH_LEN];
	bool latest;
	bool bad; /* its root differs from the rows' */
};

struct verify {
	const char *instance;
	EVP_PKEY *pub;
	ks_audit_problem_fn fn;
	void *arg;
	struct ks_audit_summary *sum;
	struct cp_seen *cps;
	size_t n_cps, cap_cps, next_cp;
	struct ks_audit_range r;
	uint64_t *seqs; /* sequence numbers in storage order */
	size_t n_seqs, cap_seqs;
	bool have_latest;
	uint64_t latest_size;
	struct ks_buf text, sig;
};

static void problem(struct verify *v, uint64_t seq, const char *fmt, ...) KS_PRINTF(3, 4);
static void problem(struct verify *v, uint64_t seq, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	v->sum->problems++;
	if (v->fn != NULL)
		v->fn(v->arg, seq, msg);
}

static int on_checkpoint(void *arg, uint64_t size, int64_t time, bool latest, const uint8_t *body,
			 size_t n)
{
	struct verify *v = arg;
	struct ks_audit_checkpoint cp;
	struct cp_seen *grown;

	(void)time;
	v->sum->checkpoints++;
	if (ks_audit_stored_decode(body, n, &v->text, &v->sig, NULL) < 0 ||
	    ks_audit_checkpoint_parse(v->text.data, v->text.len, &cp) < 0) {
		problem(v, 0, "a stored checkpoint (size %llu) is malformed",
			(unsigned long long)size);
		ks_err_clear();
		return 0;
	}
	if (ks_audit_checkpoint_verify(v->pub, v->text.data, v->text.len, v->sig.data, v->sig.len) <
	    0) {
		problem(v, 0, "the checkpoint of size %llu is not signed by the audit key",
			(unsigned long long)cp.size);
		ks_err_clear();
		return 0;
	}
	if (strcmp(cp.instance, v->instance) != 0 || cp.size != size) {
		problem(v, 0, "the checkpoint of size %llu was moved from another log or size",
			(unsigned long long)cp.size);
		return 0;
	}
	if (v->n_cps == v->cap_cps) {
		size_t cap = v->cap_cps != 0 ? 2 * v->cap_cps : 64;

		grown = realloc(v->cps, cap * sizeof(*grown));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		v->cps = grown;
		v->cap_cps = cap;
	}
	v->cps[v->n_cps].size = cp.size;
	memcpy(v->cps[v->n_cps].root, cp.root, KS_AUDIT_HASH_LEN);
	v->cps[v->n_cps].latest = latest;
	v->cps[v->n_cps].bad = false;
	v->n_cps++;
	if (latest) {
		v->have_latest = true;
		v->latest_size = cp.size;
	}
	return 0;
}

static int cmp_cp(const void *a, const void *b)
{
	const struct cp_seen *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Checkpoints whose size the tree has just reached. */
static void check_roots(struct verify *v)
{
	uint8_t root[KS_AUDIT_HASH_LEN];

	while (v->next_cp < v->n_cps && v->cps[v->next_cp].size <= v->r.size) {
		const struct cp_seen *c = &v->cps[v->next_cp++];

		if (c->size != v->r.size)
			continue; /* size 0, handled at the end */
		ks_audit_range_root(&v->r, root);
		v->cps[v->next_cp - 1].bad = CRYPTO_memcmp(root, c->root, sizeof(root)) != 0;
	}
}

/* After the sequence problems, which say more. */
static void report_roots(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->n_cps; i++)
		if (v->cps[i].bad)
			problem(
			    v, 0,
			    "the %scheckpoint of size %llu does not match the rows: an entry at "
			    "or before sequence number %llu was changed, removed, added or "
			    "moved",
			    v->cps[i].latest ? "latest " : "", (unsigned long long)v->cps[i].size,
			    (unsigned long long)v->cps[i].size);
}

static int on_row(void *arg, uint64_t seq, const char *digest, const uint8_t *entry, size_t n)
{
	struct verify *v = arg;
	char inst[KS_STORE_NAME_MAX], edig[KS_STORE_DIGEST_MAX];
	uint8_t leaf[KS_AUDIT_HASH_LEN];
	uint64_t eseq = 0;

	v->sum->entries++;
	if (v->n_seqs == v->cap_seqs) {
		size_t cap = v->cap_seqs != 0 ? 2 * v->cap_seqs : 1024;
		uint64_t *grown;

		if (cap > KS_AUDIT_ENTRIES_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %zu audit rows",
				      (size_t)KS_AUDIT_ENTRIES_MAX);
		grown = realloc(v->seqs, cap * sizeof(*grown));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		v->seqs = grown;
		v->cap_seqs = cap;
	}
	v->seqs[v->n_seqs++] = seq;
	if (ks_audit_entry_fields(entry, n, &eseq, inst, sizeof(inst), edig, sizeof(edig)) < 0) {
		problem(v, seq, "row %llu holds no valid entry (edited)", (unsigned long long)seq);
		ks_err_clear();
	} else if (eseq != seq || strcmp(inst, v->instance) != 0) {
		problem(v, seq, "row %llu holds the entry of %s #%llu (edited or moved)",
			(unsigned long long)seq, inst, (unsigned long long)eseq);
	} else if (strcmp(edig, digest) != 0) {
		problem(v, seq, "row %llu: its digest column differs from its entry (edited)",
			(unsigned long long)seq);
	}
	ks_audit_leaf_hash(entry, n, leaf);
	ks_audit_range_push(&v->r, leaf);
	check_roots(v);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sequence numbers must be 1..N in storage order: report rows
 * stored out of order, numbers seen twice, and numbers missing. */
static int check_sequence(struct verify *v)
{
	uint64_t *sorted, expected = 1;
	size_t i;

	for (i = 0; i + 1 < v->n_seqs; i++) {
		if (v->seqs[i] > v->seqs[i + 1]) {
			problem(v, v->seqs[i + 1],
				"row %llu is stored after row %llu: rows were reordered",
				(unsigned long long)v->seqs[i + 1], (unsigned long long)v->seqs[i]);
			break;
		}
	}
	if (v->n_seqs == 0)
		return 0;
	sorted = malloc(v->n_seqs * sizeof(*sorted));
	if (sorted == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	memcpy(sorted, v->seqs, v->n_seqs * sizeof(*sorted));
	qsort(sorted, v->n_seqs, sizeof(*sorted), cmp_u64);
	for (i = 0; i < v->n_seqs; i++) {
		if (sorted[i] < expected) {
			problem(v, sorted[i], "row %llu appears more than once (added)",
				(unsigned long long)sorted[i]);
			continue;
		}
		if (sorted[i] > expected)
			problem(v, expected, "rows %llu to %llu are missing (deleted)",
				(unsigned long long)expected, (unsigned long long)sorted[i] - 1);
		expected = sorted[i] + 1;
	}
	free(sorted);
	return 0;
}

int ks_audit_verify(struct ks_store *st, const char *instance, EVP_PKEY *pub,
		    ks_audit_problem_fn fn, void *arg, struct ks_audit_summary *sum)
{
	struct verify v;
	size_t i;
	int rc = -1;

	memset(sum, 0, sizeof(*sum));
	memset(&v, 0, sizeof(v));
	v.instance = instance;
	v.pub = pub;
	v.fn = fn;
	v.arg = arg;
	v.sum = sum;
	ks_audit_range_init(&v.r);
	ks_buf_init(&v.text, KS_AUDIT_TEXT_MAX);
	ks_buf_init(&v.sig, KS_AUDIT_SIG_MAX);
	KS_GUARD(ks_store_audit_checkpoints(st, instance, on_checkpoint, &v));
	if (v.n_cps > 0)
		qsort(v.cps, v.n_cps, sizeof(*v.cps), cmp_cp);
	for (i = 0; i < v.n_cps && v.cps[i].size == 0; i++)
		v.next_cp = i + 1;
	KS_GUARD(ks_store_audit_scan(st, instance, on_row, &v));
	KS_GUARD(check_sequence(&v));
	report_roots(&v);
	for (i = v.next_cp; i < v.n_cps; i++)
		problem(&v, 0,
			"a checkpoint covers %llu rows but the log has %llu: rows at the end were "
			"deleted",
			(unsigned long long)v.cps[i].size, (unsigned long long)v.r.size);
	if (v.r.size > 0 && !v.have_latest)
		problem(&v, 0, "the latest checkpoint is missing");
	else if (v.have_latest && v.latest_size < v.r.size)
		problem(&v, v.latest_size + 1,
			"rows after %llu are not covered by the latest checkpoint (added)",
			(unsigned long long)v.latest_size);
	sum->covered = v.have_latest ? v.latest_size : 0;
	rc = 0;
out:
	free(v.cps);
	free(v.seqs);
	ks_buf_cleanup(&v.text);
	ks_buf_cleanup(&v.sig);
	return rc;
}

/* ---- inclusion proofs ---- */

struct gather {
	uint8_t (*leaves)[KS_AUDIT_HASH_LEN];
	size_t n, cap;
	const char *digest;
	uint64_t seq;
	size_t index;
	bool found;
	struct ks_buf entry;
};

static int on_gather(void *arg, uint64_t seq, const char *digest, const uint8_t *entry, size_t n)
{
	struct gather *g = arg;

	if (g->n == g->cap) {
		size_t cap = g->cap != 0 ? 2 * g->cap : 1024;
		void *grown;

		if (cap > KS_AUDIT_ENTRIES_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %zu audit rows",
				      (size_t)KS_AUDIT_ENTRIES_MAX);
		grown = realloc(g->leaves, cap * KS_AUDIT_HASH_LEN);
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		g->leaves = grown;
		g->cap = cap;
	}
	ks_audit_leaf_hash(entry, n, g->leaves[g->n]);
	if ((g->seq != 0 && seq == g->seq) ||
	    (g->seq == 0 && g->digest != NULL && strcasecmp(digest, g->digest) == 0)) {
		g->found = true;
		g->index = g->n;
		ks_buf_reset(&g->entry);
		if (ks_buf_append(&g->entry, entry, n) < 0)
			return -1;
	}
	g->n++;
	return 0;
}

static int on_latest(void *arg, uint64_t size, int64_t time, bool latest, const uint8_t *body,
		     size_t n)
{
	struct ks_buf *out = arg;

	(void)size;
	(void)time;
	if (!latest)
		return 0;
	ks_buf_reset(out);
	return ks_buf_append(out, body, n);
}

static int json_set(json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

static json_t *b64_json(const uint8_t *p, size_t n)
{
	struct ks_buf b;
	json_t *j = NULL;

	ks_buf_init(&b, 4 * n / 3 + 8);
	if (ks_base64_encode(p, n, &b) == 0)
		j = json_stringn((const char *)b.data, b.len);
	ks_buf_cleanup(&b);
	return j;
}

int ks_audit_proof(struct ks_store *st, const char *instance, const char *digest, uint64_t seq,
		   struct ks_buf *out)
{
	struct gather g;
	struct ks_buf stored, text, sig, path, hex;
	struct ks_audit_checkpoint cp;
	uint8_t root[KS_AUDIT_HASH_LEN];
	json_t *o = json_object(), *arr = json_array();
	char *dump = NULL;
	size_t i;
	int rc = -1;

	memset(&g, 0, sizeof(g));
	ks_buf_init(&g.entry, KS_STORE_ENTRY_MAX);
	ks_buf_init(&stored, KS_STORE_CHECKPOINT_MAX);
	ks_buf_init(&text, KS_AUDIT_TEXT_MAX);
	ks_buf_init(&sig, KS_AUDIT_SIG_MAX);
	ks_buf_init(&path, KS_AUDIT_PROOF_MAX * KS_AUDIT_HASH_LEN);
	ks_buf_init(&hex, 2 * KS_AUDIT_HASH_LEN + 1);
	if (o == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	g.digest = digest;
	g.seq = seq;
	KS_GUARD(ks_store_audit_scan(st, instance, on_gather, &g));
	if (!g.found)
		KS_BAIL(KS_ERR_NOT_FOUND, "no audit entry %s%s in the log of '%s'",
			seq != 0 ? "with that sequence number" : "for digest ",
			seq != 0 ? "" : digest, instance);
	KS_GUARD(ks_store_audit_checkpoints(st, instance, on_latest, &stored));
	if (stored.len == 0)
		KS_BAIL(KS_ERR_NOT_FOUND, "the log of '%s' has no checkpoint", instance);
	KS_GUARD(ks_audit_stored_decode(stored.data, stored.len, &text, &sig, NULL));
	KS_GUARD(ks_audit_checkpoint_parse(text.data, text.len, &cp));
	if (cp.size > g.n || g.index >= cp.size)
		KS_BAIL(KS_ERR_VERIFY, "the latest checkpoint does not cover the entry; run kyso "
				       "audit verify");
	ks_audit_root((const uint8_t(*)[KS_AUDIT_HASH_LEN])g.leaves, (size_t)cp.size, root);
	if (CRYPTO_memcmp(root, cp.root, sizeof(root)) != 0)
		KS_BAIL(KS_ERR_VERIFY, "the log does not match its latest checkpoint; run kyso "
				       "audit verify");
	KS_GUARD(ks_audit_inclusion_proof((const uint8_t(*)[KS_AUDIT_HASH_LEN])g.leaves,
					  (size_t)cp.size, g.index, &path));
	for (i = 0; i < path.len; i += KS_AUDIT_HASH_LEN) {
		ks_buf_reset(&hex);
		KS_GUARD(ks_hex_encode(path.data + i, KS_AUDIT_HASH_LEN, &hex));
		if (json_array_append_new(arr, json_stringn((const char *)hex.data, hex.len)) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	KS_GUARD(json_set(o, "entry", b64_json(g.entry.data, g.entry.len)));
	KS_GUARD(json_set(o, "index", json_integer((json_int_t)g.index)));
	KS_GUARD(json_set(o, "tree_size", json_integer((json_int_t)cp.size)));
	KS_GUARD(json_set(o, "proof", json_incref(arr)));
	KS_GUARD(json_set(o, "checkpoint", json_stringn((const char *)text.data, text.len)));
	KS_GUARD(json_set(o, "signature", b64_json(sig.data, sig.len)));
	dump = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_append_str(out, dump));
	KS_GUARD(ks_buf_append_byte(out, '\n'));
	rc = 0;
out:
	free(dump);
	json_decref(arr);
	json_decref(o);
	free(g.leaves);
	ks_buf_cleanup(&g.entry);
	ks_buf_cleanup(&stored);
	ks_buf_cleanup(&text);
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&path);
	ks_buf_cleanup(&hex);
	return rc;
}

static int str_field(json_t *o, const char *k, size_t max, const char **s, size_t *n)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || json_string_length(v) > max)
		return KS_SET(KS_ERR_PARSE, "proof: '%s' missing or too long", k);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

static int int_field(json_t *o, const char *k, uint64_t *v)
{
	json_t *j = json_object_get(o, k);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return KS_SET(KS_ERR_PARSE, "proof: '%s' missing or not a count", k);
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

int ks_audit_proof_check(const uint8_t *doc, size_t n, EVP_PKEY *pub, const char *digest,
			 struct ks_audit_checkpoint *c, struct ks_buf *entry)
{
	json_error_t e;
	json_t *o = NULL, *arr;
	struct ks_buf sig, path;
	const char *s;
	size_t len, i;
	uint64_t index = 0, size = 0, eseq = 0;
	uint8_t leaf[KS_AUDIT_HASH_LEN];
	char inst[KS_STORE_NAME_MAX], edig[KS_STORE_DIGEST_MAX];
	int rc = -1;

	ks_buf_init(&sig, KS_AUDIT_SIG_MAX);
	ks_buf_init(&path, KS_AUDIT_PROOF_MAX * KS_AUDIT_HASH_LEN);
	ks_buf_reset(entry);
	if (n > KS_AUDIT_DOC_MAX)
		KS_BAIL(KS_ERR_LIMIT, "a proof of %zu bytes", n);
	o = json_loadb((const char *)doc, n, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o))
		KS_BAIL(KS_ERR_PARSE, "the proof is not a JSON object");
	KS_GUARD(int_field(o, "index", &index));
	KS_GUARD(int_field(o, "tree_size", &size));
	KS_GUARD(str_field(o, "entry", 2 * KS_STORE_ENTRY_MAX, &s, &len));
	KS_GUARD(ks_base64_decode(s, len, false, entry));
	KS_GUARD(str_field(o, "signature", 2 * KS_AUDIT_SIG_MAX, &s, &len));
	KS_GUARD(ks_base64_decode(s, len, false, &sig));
	arr = json_object_get(o, "proof");
	if (!json_is_array(arr) || json_array_size(arr) > KS_AUDIT_PROOF_MAX)
		KS_BAIL(KS_ERR_PARSE, "proof: 'proof' missing or too long");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *h = json_array_get(arr, i);
		size_t before = path.len;

		if (!json_is_string(h) || json_string_length(h) != 2 * KS_AUDIT_HASH_LEN ||
		    ks_hex_decode(json_string_value(h), json_string_length(h), false, &path) < 0 ||
		    path.len != before + KS_AUDIT_HASH_LEN)
			KS_BAIL(KS_ERR_PARSE, "proof: hash %zu is not 64 hex digits", i);
	}
	KS_GUARD(str_field(o, "checkpoint", KS_AUDIT_TEXT_MAX, &s, &len));
	KS_GUARD(ks_audit_checkpoint_parse((const uint8_t *)s, len, c));
	KS_GUARD(ks_audit_checkpoint_verify(pub, (const uint8_t *)s, len, sig.data, sig.len));
	if (c->size != size)
		KS_BAIL(KS_ERR_VERIFY, "the proof is for a tree of %llu, the checkpoint of %llu",
			(unsigned long long)size, (unsigned long long)c->size);
	ks_audit_leaf_hash(entry->data, entry->len, leaf);
	KS_GUARD(ks_audit_inclusion_check(index, size, leaf, path.data, path.len, c->root));
	if (ks_audit_entry_fields(entry->data, entry->len, &eseq, inst, sizeof(inst), edig,
				  sizeof(edig)) < 0)
		KS_BAIL(KS_ERR_VERIFY, "the proven entry is not an audit entry");
	if (eseq != index + 1 || strcmp(inst, c->instance) != 0)
		KS_BAIL(KS_ERR_VERIFY, "the proven entry claims another place in the log");
	if (digest != NULL && strcasecmp(digest, edig) != 0)
		KS_BAIL(KS_ERR_VERIFY, "the proven entry is for another document");
	rc = 0;
out:
	json_decref(o);
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&path);
	return rc;
}
