/* kyso sign --batch: collect the inputs, open the key once, sign each file
 * through the sign job (signer/ks_batch.h), show the progress and print
 * the report.  SIGINT and SIGTERM stop the batch after the file in
 * progress (a second one ends the process at once, its temporary file
 * removed); the report then lists what was not done. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/ks_cli.h"
#include "cli/ks_cli_batch.h"
#include "signer/ks_batch.h"

/* Redraws of the terminal progress line per second, at most. */
#define KS_CLI_BATCH_REDRAW_HZ 10

static volatile sig_atomic_t stop_asked;
static struct sigaction old_int, old_term;

/* First signal: finish the file in progress, then stop.  Second: the
 * handler before ours (removes the temporary file, ends the process). */
static void on_stop(int sig)
{
	if (stop_asked) {
		(void)sigaction(SIGINT, &old_int, NULL);
		(void)sigaction(SIGTERM, &old_term, NULL);
		(void)raise(sig);
		return;
	}
	stop_asked = 1;
}

static void stop_handlers_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	stop_asked = 0;
	(void)sigaction(SIGINT, &sa, &old_int);
	(void)sigaction(SIGTERM, &sa, &old_term);
	/* A signal ignored by whoever started us (nohup, a background job)
	 * stays ignored. */
	if (old_int.sa_handler == SIG_IGN)
		(void)sigaction(SIGINT, &old_int, NULL);
	if (old_term.sa_handler == SIG_IGN)
		(void)sigaction(SIGTERM, &old_term, NULL);
}

static void stop_handlers_remove(void)
{
	(void)sigaction(SIGINT, &old_int, NULL);
	(void)sigaction(SIGTERM, &old_term, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress {
	bool tty;
	double start, last_draw;
	size_t total; /* items to process in this run */
	size_t done;
	bool line_shown; /* a progress line is on the terminal */
};

static void fmt_time(double s, char *out, size_t n)
{
	unsigned long t = s > 0 && s < 360000 ? (unsigned long)(s + 0.5) : 0;

	if (t >= 3600)
		snprintf(out, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, n, "%lu:%02lu", t / 60, t % 60);
}

static void draw(struct progress *p, const char *name)
{
	double el = now() - p->start, rate = el > 0 ? (double)p->done / el : 0;
	char left[32];

	if (rate > 0)
		fmt_time((double)(p->total - p->done) / rate, left, sizeof(left));
	else
		snprintf(left, sizeof(left), "-:--");
	fprintf(stderr, "\r\033[K[%zu/%zu] %3zu%%  %.1f files/s  %s left  %s", p->done, p->total,
		p->total > 0 ? p->done * 100 / p->total : 100, rate, left, name);
	fflush(stderr);
	p->line_shown = true;
	p->last_draw = now();
}

static void on_progress(void *ctx, const struct ks_batch *b, size_t i, bool done)
{
	struct progress *p = ctx;
	const struct ks_batch_item *it = &b->items[i];

	if (!done) {
		if (p->tty && now() - p->last_draw >= 1.0 / KS_CLI_BATCH_REDRAW_HZ)
			draw(p, it->in);
		return;
	}
	p->done++;
	if (!p->tty) {
		if (it->status == KS_BATCH_SIGNED)
			fprintf(stderr, "[%zu/%zu] signed %s -> %s\n", p->done, p->total, it->in,
				it->out);
		else if (it->status == KS_BATCH_SKIPPED)
			fprintf(stderr, "[%zu/%zu] skipped %s (%s already signed the same way)\n",
				p->done, p->total, it->in, it->out);
		else
			fprintf(stderr, "[%zu/%zu] failed %s: %s\n", p->done, p->total, it->in,
				it->reason != NULL ? it->reason : "");
		return;
	}
	if (it->status == KS_BATCH_FAILED) {
		fprintf(stderr, "\r\033[Kkyso: %s: %s\n", it->in,
			it->reason != NULL ? it->reason : "");
		p->line_shown = false;
	}
	if (p->done == p->total || it->status == KS_BATCH_FAILED ||
	    now() - p->last_draw >= 1.0 / KS_CLI_BATCH_REDRAW_HZ)
		draw(p, it->in);
}

static int report_text(const struct ks_batch *b, double secs)
{
	size_t i, pending = b->n - b->signed_n - b->skipped_n - b->failed_n;

	/* The check of the certificate before signing (Circular 15/2025), as
	 * it went for the first file signed (the same key for all). */
	for (i = 0; i < b->n; i++)
		if (b->items[i].status == KS_BATCH_SIGNED) {
			printf("certificate check: %s\n", b->items[i].precheck);
			break;
		}
	printf("batch: %zu signed, %zu already signed (skipped), %zu failed, %zu not done, "
	       "of %zu files in %.1f s\n",
	       b->signed_n, b->skipped_n, b->failed_n, pending, b->n, secs);
	if (b->failed_n > 0) {
		printf("failed:\n");
		for (i = 0; i < b->n; i++)
			if (b->items[i].status == KS_BATCH_FAILED)
				printf("  %s: %s\n", b->items[i].in,
				       b->items[i].reason != NULL ? b->items[i].reason : "");
	}
	if (pending > 0) {
		printf("not done (stopped; run again with --resume):\n");
		for (i = 0; i < b->n; i++)
			if (b->items[i].status == KS_BATCH_PENDING)
				printf("  %s\n", b->items[i].in);
	}
	return fflush(stdout) == 0 ? 0 : KS_SET(KS_ERR_IO, "writing the report");
}

static int jset(json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

/* A JSON string of s; a path or message that is not UTF-8 is named so. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("(not UTF-8)");
}

static int report_json(const struct ks_batch *b, double secs, bool stopped)
{
	json_t *root = json_object(), *arr = json_array(), *o;
	size_t i;
	int rc = -1;

	if (root == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(jset(root, "total", json_integer((json_int_t)b->n)));
	KS_GUARD(jset(root, "signed", json_integer((json_int_t)b->signed_n)));
	KS_GUARD(jset(root, "skipped", json_integer((json_int_t)b->skipped_n)));
	KS_GUARD(jset(root, "failed", json_integer((json_int_t)b->failed_n)));
	KS_GUARD(jset(root, "not_done",
		      json_integer((json_int_t)(b->n - b->signed_n - b->skipped_n - b->failed_n))));
	KS_GUARD(jset(root, "stopped", json_boolean(stopped)));
	KS_GUARD(jset(root, "seconds", json_real(secs)));
	for (i = 0; i < b->n; i++) {
		const struct ks_batch_item *it = &b->items[i];

		o = json_object();
		if (o == NULL || json_array_append_new(arr, o) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		KS_GUARD(jset(o, "in", jstr(it->in)));
		KS_GUARD(jset(o, "out", it->out != NULL ? jstr(it->out) : json_null()));
		KS_GUARD(jset(o, "status", json_string(ks_batch_status_name(it->status))));
		KS_GUARD(jset(o, "format",
			      it->format != KS_FORMAT_AUTO ? json_string(ks_format_name(it->format))
							   : json_null()));
		if (it->status == KS_BATCH_SIGNED)
			KS_GUARD(jset(o, "certificate_check", jstr(it->precheck)));
		if (it->status == KS_BATCH_FAILED) {
			KS_GUARD(jset(o, "error", json_string(ks_err_name(it->err))));
			KS_GUARD(jset(o, "reason", jstr(it->reason != NULL ? it->reason : "")));
		}
	}
	KS_GUARD(jset(root, "files", arr));
	arr = NULL;
	KS_ENSURE(json_dumpf(root, stdout, JSON_INDENT(2)) == 0 && fputc('\n', stdout) != EOF &&
		      fflush(stdout) == 0,
		  KS_ERR_IO, "writing the report");
	rc = 0;
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Inputs, formats and outputs; a usage or I/O error ends the command. */
static int collect(const struct ks_cli_batch *o, const struct ks_sign_job *tmpl, struct ks_batch *b)
{
	struct stat st;
	size_t i;

	if (stat(o->batch, &st) != 0)
		return KS_SET(KS_ERR_USAGE, "--batch %s: %s", o->batch, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (ks_batch_add_dir(b, o->batch) < 0)
			return -1;
	} else if (S_ISREG(st.st_mode)) {
		if (ks_batch_add_list(b, o->batch) < 0)
			return -1;
	} else {
		return KS_SET(KS_ERR_USAGE, "--batch %s: not a folder or a list file", o->batch);
	}
	if (b->n == 0)
		return KS_SET(KS_ERR_USAGE, "--batch %s: no file to sign", o->batch);
	if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
		return KS_SET(KS_ERR_IO, "--out-dir %s: %s", o->out_dir, strerror(errno));
	if (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return KS_SET(KS_ERR_USAGE, "--out-dir %s: not a folder", o->out_dir);
	if (same_dir(o->batch, o->out_dir))
		return KS_SET(KS_ERR_USAGE, "--out-dir must not be the --batch folder");
	for (i = 0; i < b->n; i++) {
		struct ks_batch_item *it = &b->items[i];

		ks_err_clear();
		it->format = tmpl->format;
		if (o->format_of != NULL && o->format_of(o->ctx, it->in, &it->format) < 0 &&
		    ks_batch_fail(b, i) < 0)
			return -1;
	}
	ks_err_clear();
	return ks_batch_plan(b, o->out_dir, tmpl->xml.mode);
}

int ks_cli_sign_batch(const struct ks_cli_batch *o, const struct ks_keyres *key,
		      const struct ks_sign_job *tmpl)
{
	struct ks_batch b;
	struct ks_sign_job job = *tmpl;
	struct ks_batch_run_opts ro;
	struct progress p;
	double start;
	int status = KS_EXIT_USAGE;
	size_t i;

	ks_batch_init(&b);
	job.key = NULL;
	if (collect(o, tmpl, &b) < 0) {
		ks_cli_error("sign --batch");
		goto out;
	}
	/* One key, opened once: one PIN entry, one token login. */
	if (ks_keyres_open(key, &job.key) < 0) {
		ks_cli_error("sign --batch");
		status = ks_cli_exit_for_error();
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.tty = isatty(STDERR_FILENO) == 1;
	for (i = 0; i < b.n; i++)
		if (b.items[i].status == KS_BATCH_PENDING)
			p.total++;
	/* Files refused by the options before the run. */
	for (i = 0; i < b.n; i++)
		if (b.items[i].status == KS_BATCH_FAILED)
			fprintf(stderr, "kyso: %s: %s\n", b.items[i].in, b.items[i].reason);
	memset(&ro, 0, sizeof(ro));
	ro.resume = o->resume;
	ro.stop = &stop_asked;
	ro.progress = on_progress;
	ro.ctx = &p;
	start = p.start = now();
	stop_handlers_install();
	if (ks_batch_run(&b, &job, &ro) < 0) {
		stop_handlers_remove();
		if (p.line_shown)
			fputc('\n', stderr);
		ks_cli_error("sign --batch");
		goto out;
	}
	stop_handlers_remove();
	if (p.line_shown)
		fputc('\n', stderr);
	if ((o->json ? report_json(&b, now() - start, b.stopped) : report_text(&b, now() - start)) <
	    0) {
		ks_cli_error("sign --batch");
		goto out;
	}
	if (b.stopped || b.signed_n + b.skipped_n + b.failed_n < b.n)
		status = KS_EXIT_BATCH_STOPPED;
	else if (b.failed_n > 0)
		status = KS_EXIT_BATCH_SOME_FAILED;
	else
		status = KS_EXIT_OK;
out:
	ks_keyres_close(job.key);
	ks_batch_cleanup(&b);
	return status;
}
