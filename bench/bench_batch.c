/* Batch signing (signer/ks_batch, the code of `kyso sign --batch`) of
 * 1,000 rendered transcripts (~40 KB, the class docs/examples/lop-12a3.json,
 * one PAdES signature each in the principal's field) in this one process:
 *
 *   batch_file_ratio  <docs/s> <rsa/s>    <ratio>   (target >= 0.6)
 *       file RSA-2048 key, against `openssl speed -seconds 3 rsa2048`
 *       signatures per second, run in the same run on the same core;
 *   batch_token_ratio <docs/s> <C_Sign/s> <ratio>   (target >= 0.9)
 *       the principal's SoftHSM2 token key, against raw C_SignInit +
 *       C_Sign (CKM_RSA_PKCS over a DigestInfo prepared once) on the same
 *       token and key, in the same run;
 *   batch_token_ceiling <floor us> <ratio>
 *       the most batch_token_ratio could be on this core: the raw C_Sign
 *       rate slowed only by what no signer can leave out of a document's
 *       turn (read the document, hash it with SHA-256, check the token's
 *       signature with the certificate before writing it, write it
 *       atomically), each measured here on an input document, which is
 *       smaller than the signed output (so the floor is an under-estimate
 *       and the ceiling an over-estimate).
 *
 * Rates are per CPU second of this process (user and system time), as
 * `openssl speed` counts its own (user time): other programs on a shared
 * machine change neither much.  The wall-clock rates follow, for
 * information.  A busy neighbour still slows both (shared caches), by
 * 10-20% at times, so each side is measured BENCH_BATCH_ROUNDS times (3),
 * the reference and the batch taken in turn, and the best of each side
 * is compared: one slow moment lowers neither figure.
 *
 * Every document is read, signed and written atomically (temporary file,
 * fsync, rename) as the command does.  The files live in a tmpfs
 * (/dev/shm) when there is one so that the figure is the signer's, not
 * the disk's fsync; BENCH_BATCH_DIR names another place.
 *
 * Env: KYSO_BIN, KYSO_ROOT (render the class), SOFTHSM2_CONF,
 * KYSO_TEST_PIN, KYSO_SOFTHSM_MODULE, KYSO_PKI_DIR (build/pki/env.sh),
 * BENCH_SECONDS (each reference run, default 2), BENCH_BATCH_DOCS (1000),
 * BENCH_BATCH_ROUNDS (3). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "ks_io.h"
#include "ks_key.h"
#include "signer/ks_batch.h"
#include "signer/ks_keyres.h"
#include "common.h"

#define TOKEN "principal"
#define KEY "tok-principal-rsa"
#define SRC_MAX 64
#define ROUNDS_MAX 9

struct rate {
	double cpu;  /* per CPU second */
	double wall; /* per second */
};

/* ---- the reference: openssl speed ---- */

/* RSA-2048 signatures per second of `openssl speed` ("-mr" lines
 * "+F2:k:bits:sign:verify": operations per second in OpenSSL 3, seconds
 * per operation before). */
static double openssl_rsa_speed(double secs)
{
	char cmd[128], line[256];
	FILE *p;
	double best = 0;

	snprintf(cmd, sizeof(cmd), "openssl speed -mr -seconds %d rsa2048 2>/dev/null",
		 secs < 1 ? 1 : (int)secs);
	p = popen(cmd, "r");
	if (p == NULL)
		return 0;
	while (fgets(line, sizeof(line), p) != NULL) {
		char *f = line, *end;
		double v;
		int i;

		if (strncmp(line, "+F2:", 4) != 0)
			continue;
		/* The fourth field. */
		for (i = 0; i < 3 && f != NULL; i++)
			f = strchr(f + 1, ':');
		if (f == NULL)
			continue;
		v = strtod(f + 1, &end);
		if (end == f + 1 || !(v > 0))
			continue;
		best = v < 1 ? 1 / v : v;
	}
	if (pclose(p) != 0)
		return 0;
	return best;
}

/* ---- the reference: raw C_Sign ---- */

/* C_Sign per second over `secs`. */
static int raw_rate(struct bench_raw *r, double secs, struct rate *out)
{
	struct ck_mechanism mech = { CKM_RSA_PKCS, NULL, 0 };
	struct ks_buf dg, di;
	uint8_t sig[1024];
	double start = bench_now(), end = start + secs, t, c0 = bench_cpu();
	long n = 0;

	ks_buf_init(&dg, 64);
	ks_buf_init(&di, 256);
	if (ks_md_digest(KS_MD_SHA256, "bench", 5, &dg) < 0 ||
	    ks_digestinfo(KS_MD_SHA256, dg.data, dg.len, &di) < 0)
		goto fail;
	while ((t = bench_now()) < end) {
		unsigned long len = sizeof(sig);

		if (r->fl->C_SignInit(r->s, &mech, r->key) != CKR_OK ||
		    r->fl->C_Sign(r->s, di.data, di.len, sig, &len) != CKR_OK)
			goto fail;
		n++;
	}
	out->cpu = (double)n / (bench_cpu() - c0);
	out->wall = (double)n / (t - start);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&di);
	return 0;
fail:
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&di);
	return -1;
}

/* ---- the batch ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void keep_best(struct rate *best, const struct rate *r)
{
	if (r->cpu > best->cpu)
		best->cpu = r->cpu;
	if (r->wall > best->wall)
		best->wall = r->wall;
}

/* Render the class into dir/src, then `docs` names (hard links) in
 * dir/in; `first` the path of the first. */
static int make_inputs(const char dir[512], long docs, char first[2048])
{
	char cmd[8192], src[1024], path[1024], name[SRC_MAX][256];
	struct dirent *e;
	DIR *d;
	int k = 0;
	long i;

	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(path, sizeof(path), "%s/in", dir);
	if (mkdir(src, 0700) != 0 || mkdir(path, 0700) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "'%s' render transcript --data '%s/docs/examples/lop-12a3.json' --out-dir '%s' "
		 ">/dev/null",
		 bench_env_or("KYSO_BIN", "build/kyso"), bench_env_or("KYSO_ROOT", "."), src);
	if (system(cmd) != 0)
		return -1;
	d = opendir(src);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && k < SRC_MAX)
		if (e->d_name[0] != '.')
			snprintf(name[k++], sizeof(name[0]), "%s", e->d_name);
	closedir(d);
	if (k == 0)
		return -1;
	for (i = 0; i < docs; i++) {
		char from[2048], to[2048];

		snprintf(from, sizeof(from), "%s/%s", src, name[i % k]);
		snprintf(to, sizeof(to), "%s/in/%05ld-%s", dir, i, name[i % k]);
		if (link(from, to) != 0)
			return -1;
		if (i == 0)
			memcpy(first, to, sizeof(to));
	}
	return 0;
}

/* Sign dir/in into dir/<out> with `key`: documents per second.  The
 * outputs are removed afterwards. */
static int batch_rate(const char dir[512], const char *out, struct ks_key *key, long docs,
		      struct rate *res)
{
	struct ks_batch b;
	struct ks_sign_job tmpl;
	struct ks_batch_run_opts o;
	char in[1024], od[1024];
	double t0, t1 = 0, c0;
	size_t i;
	int rc = -1;

	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(od, sizeof(od), "%s/%s", dir, out);
	if (mkdir(od, 0700) != 0)
		return -1;
	ks_batch_init(&b);
	ks_sign_job_init(&tmpl);
	tmpl.key = key;
	tmpl.pdf.field_must_exist = true;
	/* The certificate check before signing runs for every file, as in
	 * the command; without revocation (no responder here; with one, the
	 * revocation cache answers every file after the first). */
	tmpl.rev_policy = KS_REV_POLICY_OFF;
	memset(&o, 0, sizeof(o));
	/* Timed from the listing of the folder on, as the command runs. */
	t0 = bench_now();
	c0 = bench_cpu();
	if (ks_batch_add_dir(&b, in) < 0)
		goto out;
	for (i = 0; i < b.n; i++)
		b.items[i].format = ks_format_of(b.items[i].in);
	if (ks_batch_plan(&b, od, NULL) < 0 || ks_batch_run(&b, &tmpl, &o) < 0)
		goto out;
	t1 = bench_now();
	res->cpu = (double)docs / (bench_cpu() - c0);
	if (b.signed_n != (size_t)docs) {
		for (i = 0; i < b.n; i++)
			if (b.items[i].status == KS_BATCH_FAILED) {
				fprintf(stderr, "bench_batch: %s: %s\n", b.items[i].in,
					b.items[i].reason);
				break;
			}
		goto out;
	}
	res->wall = (double)docs / (t1 - t0);
	rc = 0;
out:
	if (rc < 0 && ks_err_code() != KS_OK)
		fprintf(stderr, "bench_batch: %s\n", ks_err_msg());
	ks_batch_cleanup(&b);
	rm_tree(od);
	return rc;
}

/* ---- the floor of a document's turn ---- */

/* CPU seconds per document of reading `in`, hashing it, checking a token
 * signature with the certificate and writing the bytes atomically into
 * dir/floor, over `n` documents. */
static int floor_cost(struct bench_raw *r, X509 *cert, const char dir[512], const char *in, long n,
		      double *per_doc)
{
	struct ck_mechanism mech = { CKM_RSA_PKCS, NULL, 0 };
	struct ks_buf doc, dg, sd, di;
	uint8_t sig[1024];
	unsigned long siglen = sizeof(sig);
	char od[1024], path[1100];
	double c0;
	long i;
	int rc = -1;

	ks_buf_init(&doc, 1 << 16);
	ks_buf_init(&dg, 64);
	ks_buf_init(&sd, 64);
	ks_buf_init(&di, 256);
	snprintf(od, sizeof(od), "%s/floor", dir);
	if (mkdir(od, 0700) != 0)
		return -1;
	/* A signature of the token over a digest, to check in the loop (the
	 * check costs the same whatever the digest). */
	if (ks_md_digest(KS_MD_SHA256, "floor", 5, &sd) < 0 ||
	    ks_digestinfo(KS_MD_SHA256, sd.data, sd.len, &di) < 0 ||
	    r->fl->C_SignInit(r->s, &mech, r->key) != CKR_OK ||
	    r->fl->C_Sign(r->s, di.data, di.len, sig, &siglen) != CKR_OK)
		goto out;
	ks_atomic_defer_dir_sync();
	ks_io_set_stale_scan(false);
	c0 = bench_cpu();
	for (i = 0; i < n; i++) {
		struct ks_atomic_file af;
		uint8_t md[32];
		uint64_t size;
		int fd;

		dg.len = 0;
		doc.len = 0;
		if (ks_file_open_input(in, &fd, &size) < 0)
			goto out;
		if (ks_buf_reserve(&doc, (size_t)size) < 0 ||
		    pread(fd, doc.data, (size_t)size, 0) != (ssize_t)size) {
			close(fd);
			goto out;
		}
		close(fd);
		doc.len = (size_t)size;
		if (ks_md_digest(KS_MD_SHA256, doc.data, doc.len, &dg) < 0)
			goto out;
		memcpy(md, dg.data, sizeof(md));
		if (ks_key_verify_digest(cert, KS_SIG_RSA_PKCS1, KS_MD_SHA256, sd.data, sd.len, sig,
					 siglen) < 0)
			goto out;
		snprintf(path, sizeof(path), "%s/%05ld-%02x.pdf", od, i, md[0]);
		if (ks_atomic_open(&af, path, 0644) < 0)
			goto out;
		if (ks_atomic_write2(&af, doc.data, doc.len, NULL, 0) < 0 ||
		    ks_atomic_commit(&af) < 0) {
			ks_atomic_abort(&af);
			goto out;
		}
	}
	*per_doc = (bench_cpu() - c0) / (double)n;
	rc = 0;
out:
	if (rc < 0 && ks_err_code() != KS_OK)
		fprintf(stderr, "bench_batch: floor: %s\n", ks_err_msg());
	ks_atomic_sync_dirs();
	ks_io_set_stale_scan(true);
	ks_buf_cleanup(&doc);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sd);
	ks_buf_cleanup(&di);
	rm_tree(od);
	return rc;
}

int main(void)
{
	const char *pin = bench_env_or("KYSO_TEST_PIN", "123456");
	const char *module =
	    bench_env_or("KYSO_SOFTHSM_MODULE", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so");
	const char *pki = bench_env_or("KYSO_PKI_DIR", "build/pki");
	const char *base = getenv("BENCH_BATCH_DIR");
	double secs = strtod(bench_env_or("BENCH_SECONDS", "2"), NULL), rsa = 0;
	struct rate file_rate = { 0, 0 }, tok_rate = { 0, 0 }, raw = { 0, 0 }, one;
	long docs = strtol(bench_env_or("BENCH_BATCH_DOCS", "1000"), NULL, 10);
	long rounds = strtol(bench_env_or("BENCH_BATCH_ROUNDS", "3"), NULL, 10), i;
	char dir[512], kp[4200], cp[4200], chp[4200], first[2048];
	double floor_s = 0;
	struct ks_keyres kr;
	struct ks_key *key = NULL;
	struct bench_raw r;
	struct stat st;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	if (!(secs > 0))
		secs = 2;
	if (docs < 1 || docs > KS_BATCH_FILES_MAX)
		docs = 1000;
	if (rounds < 1 || rounds > ROUNDS_MAX)
		rounds = 3;
	if (base == NULL || *base == '\0')
		base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)
			   ? "/dev/shm"
			   : bench_env_or("TMPDIR", "/tmp");
	snprintf(dir, sizeof(dir), "%s/kyso-bench-batch.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "bench_batch: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (make_inputs(dir, docs, first) < 0) {
		fprintf(stderr, "bench_batch: cannot render the transcripts into %s\n", dir);
		goto out;
	}

	/* File key. */
	snprintf(kp, sizeof(kp), "%s/principal-rsa.key.pem", pki);
	snprintf(cp, sizeof(cp), "%s/principal-rsa.cert.pem", pki);
	snprintf(chp, sizeof(chp), "%s/principal-rsa.chain.pem", pki);
	if (ks_filekey_open(kp, cp, chp, NULL, &key) < 0) {
		fprintf(stderr, "bench_batch: %s\n", ks_err_msg());
		goto out;
	}
	/* The reference and the batch in turn; the best of each. */
	for (i = 0; i < rounds; i++) {
		double v = openssl_rsa_speed(secs);

		if (!(v > 0) || batch_rate(dir, "out-file", key, docs, &one) < 0) {
			fprintf(stderr, "bench_batch: file key: no figure (openssl speed %.1f)\n",
				v);
			goto out;
		}
		if (v > rsa)
			rsa = v;
		keep_best(&file_rate, &one);
	}
	ks_key_free(key);
	key = NULL;
	/* Per CPU second, as openssl speed counts; the wall-clock rate
	 * after it, for information (a shared machine lowers it). */
	printf("batch_file_ratio %.1f %.1f %.3f   (target >= 0.6; %.1f docs/s wall clock; %ld "
	       "docs in %s; best of %ld)\n",
	       file_rate.cpu, rsa, file_rate.cpu / rsa, file_rate.wall, docs, base, rounds);
	fflush(stdout);

	/* Token key: the reference before each batch and after the last;
	 * the best of each. */
	if (bench_raw_open(&r, module, pin, TOKEN, KEY) < 0) {
		fprintf(stderr, "bench_batch: raw PKCS#11 setup failed on '%s'\n", module);
		goto out;
	}
	if (setenv("KYSO_PIN", pin, 1) != 0)
		goto out;
	memset(&kr, 0, sizeof(kr));
	kr.key = "pkcs11:token=" TOKEN ";object=" KEY ";type=private";
	if (ks_keyres_open(&kr, &key) < 0) {
		fprintf(stderr, "bench_batch: %s\n", ks_err_msg());
		goto out;
	}
	for (i = 0; i <= rounds; i++) {
		if (raw_rate(&r, secs / 2, &one) < 0) {
			fprintf(stderr, "bench_batch: raw C_Sign failed\n");
			goto out;
		}
		keep_best(&raw, &one);
		if (i == rounds)
			break;
		if (batch_rate(dir, "out-token", key, docs, &one) < 0) {
			fprintf(stderr, "bench_batch: token: no figure\n");
			goto out;
		}
		keep_best(&tok_rate, &one);
	}
	printf("batch_token_ratio %.1f %.1f %.3f   (target >= 0.9; wall clock %.1f / %.1f = "
	       "%.3f; best of %ld)\n",
	       tok_rate.cpu, raw.cpu, tok_rate.cpu / raw.cpu, tok_rate.wall, raw.wall,
	       tok_rate.wall / raw.wall, rounds);
	fflush(stdout);
	/* The least a document's turn costs besides C_Sign; the best of the
	 * rounds, as above. */
	for (i = 0; i < rounds; i++) {
		double c;

		if (floor_cost(&r, key->cert, dir, first, docs, &c) < 0) {
			fprintf(stderr, "bench_batch: floor: no figure\n");
			goto out;
		}
		if (i == 0 || c < floor_s)
			floor_s = c;
	}
	printf("batch_token_ceiling %.1f %.3f   (us per document that reading, hashing, checking "
	       "the token's signature and writing it atomically cost; the most batch_token_ratio "
	       "can be)\n",
	       floor_s * 1e6, (1 / raw.cpu) / (1 / raw.cpu + floor_s));
	rc = 0;
out:
	bench_raw_close(&r);
	ks_keyres_close(key);
	rm_tree(dir);
	return rc;
}
