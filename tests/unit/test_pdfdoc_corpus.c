/* ks_pdfdoc over every PDF of ../shared/corpora/pades (MANIFEST.tsv):
 * each opens (three need the scan repair, listed below with the reason),
 * its revision count matches the %%EOF markers (a linearized file's
 * first-page marker excepted), every revision ends at a %%EOF, every
 * object of every revision resolves and every stream decodes (or reports
 * an unsupported image filter), and the newest revision has pages. */
#include <time.h>

#include "ks_test.h"

#include "formats/pdf/ks_pdfdoc.h"
#include "ks_io.h"

/* A runaway (quadratic or worse) parse fails the test instead of passing
 * slowly; generous so that a loaded machine or ASan never trips it.  Speed
 * targets live in bench/, not here. */
#define HANG_GUARD_S 30.0

#define CORPUS_MAX_FILE ((size_t)64 << 20)

/* Files whose xref chain is broken: they open only through the repair. */
static const char *const repaired[] = {
	/* its last trailer says /Prev 0 (the header), and one startxref
	 * points into a /Contents string */
	"pades-5-signatures-and-1-document-timestamp.pdf",
	/* startxref and /Prev name offsets beyond the end of the file */
	"pades_infinite_loop.pdf",
	/* an edit inside the signed revision shifted the bytes: startxref
	 * lands 4 bytes into "xref" */
	"pdf-signed-corrupted.pdf",
};

static bool expect_repair(const char *path)
{
	size_t i, n = strlen(path), m;

	for (i = 0; i < sizeof(repaired) / sizeof(repaired[0]); i++) {
		m = strlen(repaired[i]);
		if (n >= m && strcmp(path + n - m, repaired[i]) == 0 &&
		    (n == m || path[n - m - 1] == '/'))
			return true;
	}
	return false;
}

static void check_file(const char *path, size_t *nfiles)
{
	struct ks_buf b, d;
	struct ks_pdfdoc *doc = NULL;
	const struct ks_pdfdoc_eof *eofs;
	const struct ks_pdfdoc_rev *rv;
	const uint32_t *nums;
	const struct ks_pdfdoc_field *f;
	struct ks_pdfdoc_entry e;
	struct ks_pdfdoc_indirect ind;
	size_t neof, r, i, n, nobj = 0, bad = 0, pages = 0, sigs = 0;
	clock_t t0 = clock();

	ks_buf_init(&b, CORPUS_MAX_FILE);
	ks_buf_init(&d, (size_t)256 << 20);
	assert_ok(ks_file_read(path, CORPUS_MAX_FILE, &b));
	if (ks_pdfdoc_open(b.data, b.len, NULL, &doc) < 0)
		fail_msg("%s: %s", path, ks_err_msg());
	if (ks_pdfdoc_repaired(doc) != expect_repair(path))
		fail_msg("%s: repaired=%d (%s)", path, ks_pdfdoc_repaired(doc),
			 ks_pdfdoc_repair_reason(doc));
	ks_pdfdoc_eof_markers(doc, &eofs, &neof);
	assert_true(neof >= 1);
	if (!ks_pdfdoc_repaired(doc)) {
		size_t lin = ks_pdfdoc_rev(doc, 0)->nsections - 1;

		if (ks_pdfdoc_rev_count(doc) + lin != neof)
			fail_msg("%s: %zu revisions (%zu merged sections), %zu %%%%EOF", path,
				 ks_pdfdoc_rev_count(doc), lin, neof);
	}
	for (r = 0; r < ks_pdfdoc_rev_count(doc); r++) {
		rv = ks_pdfdoc_rev(doc, r);
		assert_true(rv->has_eof);
		assert_true(r == 0 || rv->end > ks_pdfdoc_rev(doc, r - 1)->end);
		assert_ok(ks_pdfdoc_rev_objects(doc, r, &nums, &n));
		for (i = 0; i < n; i++) {
			assert_ok(ks_pdfdoc_xref_entry(doc, r, nums[i], &e));
			if (e.type == KS_PDFDOC_ENTRY_FREE)
				continue;
			nobj++;
			if (ks_pdfdoc_lookup(doc, r, nums[i], e.gen, &ind) < 0) {
				bad++;
				continue;
			}
			if (ind.obj->type == KS_PDFOBJ_STREAM &&
			    ks_pdfdoc_stream_decode(doc, ind.obj, &d) < 0 &&
			    ks_err_code() != KS_ERR_UNSUPPORTED)
				fail_msg("%s: object %u: %s", path, (unsigned)nums[i],
					 ks_err_msg());
		}
	}
	r = ks_pdfdoc_rev_count(doc) - 1;
	/* an encrypted file's object streams cannot be read: the only misses */
	if (bad > 0 && !ks_pdfdoc_encrypted(doc))
		fail_msg("%s: %zu of %zu objects do not resolve", path, bad, nobj);
	if (!ks_pdfdoc_encrypted(doc)) {
		if (ks_pdfdoc_page_count(doc, r, &pages) < 0)
			fail_msg("%s: pages: %s", path, ks_err_msg());
		assert_true(pages >= 1);
		if (ks_pdfdoc_fields(doc, r, &f, &n) < 0)
			fail_msg("%s: fields: %s", path, ks_err_msg());
		for (i = 0; i < n; i++)
			sigs += f[i].sig != NULL;
	}
	print_message("# %-70s revs %zu eof %zu objs %zu pages %zu sigs %zu%s%s (%.0f ms)\n",
		      strrchr(path, '/') + 1, ks_pdfdoc_rev_count(doc), neof, nobj, pages, sigs,
		      ks_pdfdoc_repaired(doc) ? " REPAIRED" : "",
		      ks_pdfdoc_encrypted(doc) ? " ENCRYPTED" : "",
		      (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < HANG_GUARD_S);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&b);
	ks_buf_cleanup(&d);
	(*nfiles)++;
}

static void test_corpus(void **state)
{
	const char *corpus = getenv("KYSO_PADES_CORPUS");
	char dir[4096], path[8192];
	struct ks_buf man;
	const char *s = NULL, *line, *tab, *nl;
	size_t nfiles = 0, listed = 0;

	(void)state;
	if (corpus == NULL)
		fail_msg("KYSO_PADES_CORPUS is not set (scripts/run-tests.sh finds the corpus)");
	snprintf(dir, sizeof(dir), "%s", corpus);
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
	ks_buf_init(&man, 1 << 20);
	if (ks_file_read(path, 1 << 20, &man) < 0)
		fail_msg("%s: %s", path, ks_err_msg());
	assert_ok(ks_buf_cstr(&man, &s));
	for (line = strchr(s, '\n'); line != NULL && line[1] != '\0'; line = nl) {
		line++;
		nl = strchr(line, '\n');
		tab = strchr(line, '\t');
		if (tab == NULL || (nl != NULL && tab > nl))
			break;
		if (tab - line < 4 || strncmp(tab - 4, ".pdf", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(tab - line), line);
		listed++;
		check_file(path, &nfiles);
	}
	assert_int_equal(nfiles, listed);
	assert_true(nfiles >= 50);
	ks_buf_cleanup(&man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
