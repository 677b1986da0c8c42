/* The batch: inputs, outputs and the run (ks_batch.h). */
#include "signer/ks_batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_io.h"

void ks_batch_init(struct ks_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void ks_batch_cleanup(struct ks_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->items[i].in);
		free(b->items[i].out);
		free(b->items[i].reason);
	}
	free(b->items);
	free(b->out_dir);
	memset(b, 0, sizeof(*b));
}

const char *ks_batch_status_name(enum ks_batch_status s)
{
	switch (s) {
	case KS_BATCH_SIGNED:
		return "signed";
	case KS_BATCH_SKIPPED:
		return "skipped";
	case KS_BATCH_FAILED:
		return "failed";
	case KS_BATCH_PENDING:
		break;
	}
	return "not-done";
}

static int add_n(struct ks_batch *b, const char *in, size_t len)
{
	struct ks_batch_item *it;
	char *copy;

	if (b->n >= KS_BATCH_FILES_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d files in one batch", KS_BATCH_FILES_MAX);
	if (len == 0)
		return KS_SET(KS_ERR_ARG, "an empty path");
	if (len > KS_BATCH_LINE_MAX)
		return KS_SET(KS_ERR_LIMIT, "a path longer than %d bytes", KS_BATCH_LINE_MAX);
	if (memchr(in, '\0', len) != NULL)
		return KS_SET(KS_ERR_PARSE, "a path with a NUL byte");
	if (b->n == b->cap) {
		size_t cap = b->cap == 0 ? 64 : b->cap * 2;
		struct ks_batch_item *p = realloc(b->items, cap * sizeof(*p));

		if (p == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		b->items = p;
		b->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	memcpy(copy, in, len);
	copy[len] = '\0';
	it = &b->items[b->n++];
	memset(it, 0, sizeof(*it));
	it->in = copy;
	return 0;
}

int ks_batch_add(struct ks_batch *b, const char *in)
{
	return add_n(b, in, strlen(in));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ks_batch_add_dir(struct ks_batch *b, const char *dir)
{
	DIR *d = NULL;
	struct dirent *e;
	struct stat st;
	struct ks_buf path;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	ks_buf_init(&path, KS_IO_PATH_MAX + 1);
	d = opendir(dir);
	if (d == NULL)
		KS_BAIL(KS_ERR_IO, "--batch %s: %s", dir, strerror(errno));
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (e == NULL) {
			if (errno != 0)
				KS_BAIL(KS_ERR_IO, "reading the folder %s: %s", dir,
					strerror(errno));
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		/* Regular files, links to them included; subfolders and
		 * special files are not documents. */
		if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n >= KS_BATCH_FILES_MAX)
			KS_BAIL(KS_ERR_LIMIT, "more than %d files in %s", KS_BATCH_FILES_MAX, dir);
		if (n == cap) {
			size_t c2 = cap == 0 ? 64 : cap * 2;
			char **p = realloc(names, c2 * sizeof(*p));

			if (p == NULL)
				KS_BAIL(KS_ERR_NOMEM, "out of memory");
			names = p;
			cap = c2;
		}
		names[n] = strdup(e->d_name);
		if (names[n] == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		ks_buf_reset(&path);
		if (ks_buf_printf(&path, "%s%s%s", dir,
				  dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
				  names[i]) < 0)
			goto out;
		KS_GUARD(add_n(b, (const char *)path.data, path.len));
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	ks_buf_cleanup(&path);
	return rc;
}

static bool not_lf(uint8_t c)
{
	return c != '\n';
}

int ks_batch_parse_list(struct ks_batch *b, const uint8_t *p, size_t n)
{
	struct ks_cur c, line;
	size_t len, lineno = 0;
	const uint8_t *s;

	ks_cur_init(&c, p, n);
	while (!ks_cur_eof(&c)) {
		line = c;
		len = ks_cur_skip_while(&c, not_lf);
		(void)ks_cur_accept(&c, "\n", 1);
		lineno++;
		if (ks_cur_bytes(&line, len, &s) < 0)
			return -1;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len == 0 || s[0] == '#')
			continue;
		if (memchr(s, '\0', len) != NULL)
			return KS_SET(KS_ERR_PARSE, "line %zu: a NUL byte", lineno);
		if (len > KS_BATCH_LINE_MAX)
			return KS_SET(KS_ERR_LIMIT, "line %zu: a path longer than %d bytes", lineno,
				      KS_BATCH_LINE_MAX);
		if (add_n(b, (const char *)s, len) < 0)
			return -1;
	}
	return 0;
}

int ks_batch_add_list(struct ks_batch *b, const char *path)
{
	struct ks_buf buf;
	int rc = -1;

	ks_buf_init(&buf, KS_BATCH_LIST_MAX);
	if (strcmp(path, "-") == 0)
		KS_BAIL(KS_ERR_USAGE, "--batch takes a folder or a list file, not '-'");
	KS_GUARD(ks_file_read(path, KS_BATCH_LIST_MAX, &buf));
	if (ks_batch_parse_list(b, buf.data, buf.len) < 0) {
		ks_err_set(ks_err_code(), __FILE__, __LINE__, "%s: %s", path, ks_err_msg());
		goto out;
	}
	rc = 0;
out:
	ks_buf_cleanup(&buf);
	return rc;
}

int ks_batch_out_name(const char *in, enum ks_format f, const char *xml_mode, struct ks_buf *out)
{
	const char *base = strrchr(in, '/');

	base = base != NULL ? base + 1 : in;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return KS_SET(KS_ERR_USAGE, "'%s' does not name a file", in);
	if (ks_buf_append_str(out, base) < 0)
		return -1;
	if (f == KS_FORMAT_CMS)
		return ks_buf_append_str(out, ".p7s");
	if (f == KS_FORMAT_XML && xml_mode != NULL && strcmp(xml_mode, "detached") == 0)
		return ks_buf_append_str(out, ".sig.xml");
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	/* The output first: in a new folder it does not exist yet, and the
	 * input need not be looked at. */
	return stat(b, &sb) == 0 && stat(a, &sa) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int cmp_out(const void *a, const void *b)
{
	const struct ks_batch_item *x = *(struct ks_batch_item *const *)a;
	const struct ks_batch_item *y = *(struct ks_batch_item *const *)b;

	return strcmp(x->out, y->out);
}

int ks_batch_plan(struct ks_batch *b, const char *out_dir, const char *xml_mode)
{
	struct ks_batch_item **order = NULL;
	struct ks_buf path;
	size_t i, m = 0;
	int rc = -1;

	ks_buf_init(&path, KS_IO_PATH_MAX + 1);
	free(b->out_dir);
	b->out_dir = strdup(out_dir);
	if (b->out_dir == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < b->n; i++) {
		struct ks_batch_item *it = &b->items[i];

		ks_buf_reset(&path);
		KS_GUARD(ks_buf_printf(&path, "%s%s", out_dir,
				       out_dir[strlen(out_dir) - 1] == '/' ? "" : "/"));
		KS_GUARD(ks_batch_out_name(it->in, it->format, xml_mode, &path));
		KS_GUARD(ks_buf_append_byte(&path, 0));
		free(it->out);
		it->out = strdup((const char *)path.data);
		if (it->out == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		if (same_file(it->in, it->out))
			KS_BAIL(KS_ERR_USAGE,
				"the output of '%s' would replace it: choose another --out-dir",
				it->in);
	}
	if (b->n > 1) {
		order = calloc(b->n, sizeof(*order));
		if (order == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		for (i = 0; i < b->n; i++)
			order[m++] = &b->items[i];
		qsort(order, m, sizeof(*order), cmp_out);
		for (i = 1; i < m; i++)
			if (strcmp(order[i - 1]->out, order[i]->out) == 0)
				KS_BAIL(KS_ERR_USAGE, "'%s' and '%s' would both be written to '%s'",
					order[i - 1]->in, order[i]->in, order[i]->out);
	}
	rc = 0;
out:
	free(order);
	ks_buf_cleanup(&path);
	return rc;
}

int ks_batch_fail(struct ks_batch *b, size_t i)
{
	struct ks_batch_item *it = &b->items[i];
	const char *msg = ks_err_msg();
	size_t len = strnlen(msg, KS_BATCH_REASON_MAX);

	if (it->status == KS_BATCH_FAILED)
		return 0;
	it->status = KS_BATCH_FAILED;
	it->err = ks_err_code();
	b->failed_n++;
	free(it->reason);
	it->reason = malloc(len + 1);
	if (it->reason == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	memcpy(it->reason, msg, len);
	it->reason[len] = '\0';
	return 0;
}

/* The outputs' names in the output folder, sorted (stale temporary files
 * of exactly these are removed). */
struct out_names {
	const char **v;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_output(const char *name, size_t n, void *ctx)
{
	const struct out_names *o = ctx;
	size_t lo = 0, hi = o->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(o->v[mid], name, n);
		if (c == 0 && o->v[mid][n] == '\0')
			return true;
		if (c == 0 || c > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static int clean_stale_outputs(const struct ks_batch *b)
{
	struct out_names o;
	const char *base;
	size_t i;

	o.n = 0;
	o.v = calloc(b->n > 0 ? b->n : 1, sizeof(*o.v));
	if (o.v == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < b->n; i++) {
		if (b->items[i].out == NULL)
			continue;
		base = strrchr(b->items[i].out, '/');
		o.v[o.n++] = base != NULL ? base + 1 : b->items[i].out;
	}
	qsort(o.v, o.n, sizeof(*o.v), cmp_str);
	ks_io_clean_stale_dir(b->out_dir, is_output, &o);
	free(o.v);
	return 0;
}

int ks_batch_run(struct ks_batch *b, const struct ks_sign_job *tmpl,
		 const struct ks_batch_run_opts *o)
{
	struct ks_sign_outcome res;
	struct ks_sign_job job;
	bool scan_off = false;
	size_t i;
	int rc = -1;

	/* One folder sync at the end instead of one per output. */
	ks_atomic_defer_dir_sync();
	/* One pass over the output folder instead of one per output. */
	if (b->out_dir != NULL) {
		KS_GUARD(clean_stale_outputs(b));
		ks_io_set_stale_scan(false);
		scan_off = true;
	}
	for (i = 0; i < b->n; i++) {
		struct ks_batch_item *it = &b->items[i];

		if (it->status != KS_BATCH_PENDING)
			continue;
		if (o->stop != NULL && *o->stop) {
			b->stopped = true;
			break;
		}
		if (o->progress != NULL)
			o->progress(o->ctx, b, i, false);
		job = *tmpl;
		job.in = it->in;
		job.out = it->out;
		job.format = it->format;
		if (o->resume && ks_batch_signed_same(&job, it)) {
			it->status = KS_BATCH_SKIPPED;
			b->skipped_n++;
		} else if (ks_job_sign(&job, &res) == 0) {
			it->status = KS_BATCH_SIGNED;
			memcpy(it->summary, res.summary, sizeof(it->summary));
			memcpy(it->precheck, res.precheck, sizeof(it->precheck));
			b->signed_n++;
		} else {
			bool pin = ks_err_code() == KS_ERR_PIN;

			if (ks_batch_fail(b, i) < 0)
				goto out;
			/* Another login with a refused PIN could lock the token:
			 * the rest waits for a new run. */
			if (pin)
				b->stopped = true;
		}
		ks_err_clear();
		if (o->progress != NULL)
			o->progress(o->ctx, b, i, true);
		if (b->stopped)
			break;
	}
	rc = 0;
out:
	ks_atomic_sync_dirs();
	if (scan_off)
		ks_io_set_stale_scan(true);
	return rc;
}
