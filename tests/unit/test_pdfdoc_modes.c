/* The one PDF reader read two ways must agree: every PDF of the shared
 * conformance corpus, every file of tests/ that holds a PDF header, every
 * seed of the PDF fuzz harnesses and every PDF of docs/examples is opened in
 * the forensic mode (verification) and in the tail mode (signing), and
 * every revision, trailer, cross-reference entry and object each resolves
 * is compared.  The tail mode never repairs, so a file the forensic mode
 * had to rebuild must be refused by it; otherwise a disagreement is a
 * failure unless listed in `documented` with its reason. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/pdf/ks_pdfdoc.h"
#include "ks_io.h"
#include "ks_test.h"

#define MODES_MAX_FILE ((size_t)64 << 20)
#define MODES_MAX_FILES 2000

/* Files whose two readings may differ, and why (none today). */
static const struct {
	const char *suffix;
	const char *reason;
} documented[] = {
	{ NULL, NULL },
};

static bool obj_equal(const struct ks_pdfdoc *da, const struct ks_pdfobj *a,
		      const struct ks_pdfdoc *db, const struct ks_pdfobj *b, unsigned depth)
{
	struct ks_cur ra, rb;
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (depth > 200 || a->type != b->type)
		return false;
	switch (a->type) {
	case KS_PDFOBJ_NULL:
		return true;
	case KS_PDFOBJ_BOOL:
		return a->u.b == b->u.b;
	case KS_PDFOBJ_INT:
		return a->u.i == b->u.i;
	case KS_PDFOBJ_REAL:
		return a->u.r == b->u.r;
	case KS_PDFOBJ_NAME:
		return a->u.name.len == b->u.name.len &&
		       memcmp(a->u.name.s, b->u.name.s, a->u.name.len) == 0;
	case KS_PDFOBJ_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case KS_PDFOBJ_REF:
		return a->u.ref.num == b->u.ref.num && a->u.ref.gen == b->u.ref.gen;
	case KS_PDFOBJ_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (i = 0; i < a->u.arr.n; i++)
			if (!obj_equal(da, a->u.arr.items[i], db, b->u.arr.items[i], depth + 1))
				return false;
		return true;
	case KS_PDFOBJ_DICT:
		if (a->u.dict.n != b->u.dict.n || a->u.dict.dup != b->u.dict.dup)
			return false;
		for (i = 0; i < a->u.dict.n; i++)
			if (strcmp(a->u.dict.e[i].key, b->u.dict.e[i].key) != 0 ||
			    !obj_equal(da, a->u.dict.e[i].val, db, b->u.dict.e[i].val, depth + 1))
				return false;
		return true;
	case KS_PDFOBJ_STREAM:
		if (!obj_equal(da, a->u.stream.dict, db, b->u.stream.dict, depth + 1) ||
		    ks_pdfdoc_stream_raw(da, a, &ra) < 0 || ks_pdfdoc_stream_raw(db, b, &rb) < 0)
			return false;
		return ra.left == rb.left && memcmp(ra.p, rb.p, ra.left) == 0;
	}
	return false;
}

static bool entry_equal(const struct ks_pdfdoc_entry *a, const struct ks_pdfdoc_entry *b)
{
	return a->type == b->type && a->num == b->num && a->gen == b->gen &&
	       a->offset == b->offset && a->objstm == b->objstm && a->index == b->index &&
	       a->rev == b->rev;
}

/* NULL when both readings agree; else what differs (static text). */
static const char *compare(const uint8_t *data, size_t len, char *why, size_t cap)
{
	struct ks_pdfdoc_limits lf, lt;
	struct ks_pdfdoc *f = NULL, *t = NULL;
	struct ks_pdfdoc_entry ef, et;
	const struct ks_pdfobj *of, *ot;
	const char *res = NULL;
	size_t r, n;
	uint32_t num;
	int gf, gt;

	ks_pdfdoc_limits_default(&lf);
	ks_pdfdoc_limits_default(&lt);
	lt.tail = true;
	gf = ks_pdfdoc_open(data, len, &lf, &f);
	gt = ks_pdfdoc_open(data, len, &lt, &t);
	if (gf < 0 && gt < 0)
		goto out;
	if (gf < 0) {
		snprintf(why, cap, "the tail mode opens what the forensic mode refuses");
		res = why;
		goto out;
	}
	if (gt < 0) {
		/* By design: the tail mode never rebuilds a damaged file. */
		if (!ks_pdfdoc_repaired(f)) {
			snprintf(why, cap, "the tail mode refuses an intact file: %s",
				 ks_err_msg());
			res = why;
		}
		goto out;
	}
	n = ks_pdfdoc_rev_count(f);
	if (n != ks_pdfdoc_rev_count(t)) {
		snprintf(why, cap, "%zu revisions against %zu", n, ks_pdfdoc_rev_count(t));
		res = why;
		goto out;
	}
	for (r = 0; r < n && res == NULL; r++) {
		const struct ks_pdfdoc_rev *rf = ks_pdfdoc_rev(f, r), *rt = ks_pdfdoc_rev(t, r);

		if (rf->xref_off != rt->xref_off || rf->kind != rt->kind ||
		    !obj_equal(f, rf->trailer, t, rt->trailer, 0)) {
			snprintf(why, cap, "revision %zu: section or trailer differs", r + 1);
			res = why;
			break;
		}
		for (num = 1; num < ks_pdfdoc_max_object(f, r); num++) {
			if (ks_pdfdoc_xref_effective(f, r, num, &ef) < 0 ||
			    ks_pdfdoc_xref_effective(t, r, num, &et) < 0 ||
			    !entry_equal(&ef, &et)) {
				snprintf(why, cap, "revision %zu: entry of object %u differs",
					 r + 1, num);
				res = why;
				break;
			}
			if (ef.type != KS_PDFDOC_ENTRY_INUSE &&
			    ef.type != KS_PDFDOC_ENTRY_COMPRESSED)
				continue;
			gf = ks_pdfdoc_get(f, r, num, ef.gen, &of);
			gt = ks_pdfdoc_get(t, r, num, et.gen, &ot);
			if (gf != gt || (gf == 0 && !obj_equal(f, of, t, ot, 0))) {
				snprintf(why, cap, "revision %zu: object %u resolves differently",
					 r + 1, num);
				res = why;
				break;
			}
		}
	}
out:
	ks_err_clear();
	ks_pdfdoc_free(f);
	ks_pdfdoc_free(t);
	return res;
}

/* Which files of a folder are taken. */
enum pick {
	PICK_ANY,    /* every file */
	PICK_SUFFIX, /* named *.pdf */
	PICK_HEADER, /* "%PDF-" in the first KiB */
};

static bool has_header(const char *path)
{
	char head[1024];
	size_t got, i;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return false;
	got = fread(head, 1, sizeof(head), f);
	fclose(f);
	for (i = 0; i + 5 <= got; i++)
		if (memcmp(head + i, "%PDF-", 5) == 0)
			return true;
	return false;
}

static size_t collect(const char *dir, enum pick pick, char **paths, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char p[4096];
	size_t len;

	if (d == NULL)
		return n;
	while ((e = readdir(d)) != NULL && n < MODES_MAX_FILES) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			n = collect(p, pick, paths, n);
			continue;
		}
		len = strlen(p);
		if (!S_ISREG(st.st_mode) ||
		    (pick == PICK_SUFFIX && (len < 4 || strcmp(p + len - 4, ".pdf") != 0)) ||
		    (pick == PICK_HEADER && !has_header(p)))
			continue;
		paths[n] = strdup(p);
		assert_non_null(paths[n]);
		n++;
	}
	closedir(d);
	return n;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each path once (the folders overlap). */
static size_t unique(char **paths, size_t n)
{
	size_t i, k = 0;

	qsort(paths, n, sizeof(*paths), cmp_path);
	for (i = 0; i < n; i++) {
		if (k > 0 && strcmp(paths[k - 1], paths[i]) == 0) {
			free(paths[i]);
			continue;
		}
		paths[k++] = paths[i];
	}
	return k;
}

static const char *documented_reason(const char *path)
{
	size_t i, pl = strlen(path), sl;

	for (i = 0; documented[i].suffix != NULL; i++) {
		sl = strlen(documented[i].suffix);
		if (pl >= sl && strcmp(path + pl - sl, documented[i].suffix) == 0)
			return documented[i].reason;
	}
	return NULL;
}

static void test_modes_agree(void **state)
{
	const char *corpus = getenv("KYSO_PADES_CORPUS");
	char **paths = calloc(MODES_MAX_FILES, sizeof(*paths));
	char why[256];
	size_t n = 0, i, bad = 0, files = 0, both = 0;
	struct ks_buf b;

	(void)state;
	assert_non_null(paths);
	if (corpus == NULL || corpus[0] == '\0')
		fail_msg("KYSO_PADES_CORPUS is not set (scripts/run-tests.sh finds the corpus)");
	n = collect(corpus, PICK_SUFFIX, paths, n);
	n = collect("tests", PICK_HEADER, paths, n);
	n = collect("tests/fuzz/corpus/pdfdoc", PICK_ANY, paths, n);
	n = collect("tests/fuzz/corpus/pdf_sign", PICK_ANY, paths, n);
	n = collect("tests/fuzz/corpus/pades_verify", PICK_ANY, paths, n);
	n = collect("docs/examples", PICK_SUFFIX, paths, n);
	assert_true(n < MODES_MAX_FILES); /* none left out */
	n = unique(paths, n);
	assert_true(n >= 80); /* the corpus (59) and the seeds are there */
	for (i = 0; i < n; i++) {
		const char *res, *doc;

		ks_buf_init(&b, MODES_MAX_FILE);
		if (ks_file_read(paths[i], MODES_MAX_FILE, &b) < 0) {
			ks_err_clear();
			ks_buf_cleanup(&b);
			continue;
		}
		files++;
		res = compare(b.data, b.len, why, sizeof(why));
		doc = documented_reason(paths[i]);
		if (res != NULL && doc == NULL) {
			printf("# %s: %s\n", paths[i], res);
			bad++;
		} else if (res == NULL && doc != NULL) {
			printf("# %s: documented as differing (%s) but agrees\n", paths[i], doc);
			bad++;
		}
		if (res == NULL)
			both++;
		ks_buf_cleanup(&b);
		free(paths[i]);
	}
	free(paths);
	printf("# %zu files read both ways, %zu agree\n", files, both);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
