/* kyso activate: the key holder's approval for a platform to sign with
 * their personal key on the daemon (docs/api.md, Personal keys).
 *
 *   kyso activate --keygen FILE
 *   kyso activate --key NAME --holder-key FILE [--ttl SECONDS] FILE...
 *   kyso activate --key NAME --holder-key FILE [--ttl SECONDS] --digest HEX...
 *   kyso activate --key NAME --holder-key FILE [--ttl SECONDS] --session USES
 *
 * The activation goes to stdout, what it approves to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/ks_api_auth.h"
#include "cli/ks_cli.h"
#include "formats/cms/ks_cms.h"
#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_io.h"

#define DEFAULT_TTL 300           /* seconds: the daemon's default activation-ttl-max */
#define TTL_MAX (7 * 24 * 3600)   /* the daemon caps it lower (activation-ttl-max) */
#define HOLDER_KEY_MAX (64 << 10) /* bytes of a PEM private key */

static void activate_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: kyso activate --key NAME --holder-key FILE [--ttl SECONDS] FILE...\n"
	    "       kyso activate --key NAME --holder-key FILE [--ttl SECONDS] --digest HEX...\n"
	    "       kyso activate --key NAME --holder-key FILE [--ttl SECONDS] --session USES\n"
	    "       kyso activate --keygen FILE\n"
	    "  Approve signatures with your personal key NAME on a kyso service: prints an\n"
	    "  activation (kyso-act1...) that the platform sends with its request, for\n"
	    "  exactly these documents (their SHA-256; a batch needs all of them, no more),\n"
	    "  used once, valid --ttl seconds (default %d). --session approves USES\n"
	    "  signatures of any documents instead, where the service allows it.\n"
	    "  --holder-key  your activation key (PEM; password in KYSO_KEY_PASS)\n"
	    "  --keygen      make an activation key: FILE (private, mode 0600) and\n"
	    "                FILE.pub (public: give it to the service's administrator)\n",
	    DEFAULT_TTL);
}

/* A new P-256 activation key: FILE (0600) and FILE.pub, neither
 * overwritten. */
static int keygen(const char *path)
{
	EVP_PKEY *k = NULL;
	BIO *priv = NULL, *pub = NULL;
	BUF_MEM *pm, *qm;
	char pubpath[4096];
	struct stat st;
	int rc = -1;

	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= (int)sizeof(pubpath))
		KS_BAIL(KS_ERR_USAGE, "path too long");
	if (stat(path, &st) == 0 || stat(pubpath, &st) == 0)
		KS_BAIL(KS_ERR_USAGE, "'%s' or its .pub exists: not overwritten", path);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	priv = BIO_new(BIO_s_secmem());
	pub = BIO_new(BIO_s_mem());
	if (k == NULL || priv == NULL || pub == NULL ||
	    PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pub, k) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "making the activation key");
	BIO_get_mem_ptr(priv, &pm);
	BIO_get_mem_ptr(pub, &qm);
	KS_GUARD(ks_file_write_atomic(path, pm->data, pm->length, 0600));
	KS_GUARD(ks_file_write_atomic(pubpath, qm->data, qm->length, 0644));
	fprintf(stderr,
		"kyso activate: activation key in %s (keep it to yourself); give %s to the\n"
		"service's administrator (activation-key of your key in its configuration)\n",
		path, pubpath);
	rc = 0;
out:
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(k);
	return rc;
}

static int load_holder(const char *path, EVP_PKEY **out)
{
	const char *pass = getenv("KYSO_KEY_PASS");
	struct ks_buf pem;
	BIO *bio = NULL;
	int rc = -1;

	ks_buf_init_secret(&pem, HOLDER_KEY_MAX);
	KS_GUARD(ks_file_read(path, HOLDER_KEY_MAX, &pem));
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (bio == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	/* An empty password rather than OpenSSL's own terminal prompt. */
	*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(pass != NULL ? pass : ""));
	if (*out == NULL)
		KS_BAIL_OSSL(KS_ERR_PIN, "cannot read the activation key '%s'%s", path,
			     pass == NULL ? " (if it has a password: KYSO_KEY_PASS)" : "");
	rc = 0;
out:
	BIO_free(bio);
	ks_buf_cleanup(&pem);
	return rc;
}

static int parse_uint(const char *opt, const char *s, uint64_t max, unsigned *out)
{
	struct ks_cur c;
	uint64_t v = 0;

	ks_cur_init(&c, s, strlen(s));
	if (ks_cur_decimal(&c, 7, max, &v) < 0 || !ks_cur_eof(&c) || v == 0)
		return KS_SET(KS_ERR_USAGE, "%s: a number from 1 to %llu, not '%.32s'", opt,
			      (unsigned long long)max, s);
	*out = (unsigned)v;
	return 0;
}

/* The SHA-256 of each file, or each --digest given in hex. */
static int collect(char **files, size_t nfiles, char **hex, size_t nhex, uint8_t (*d)[32])
{
	struct ks_buf b;
	size_t i;
	int rc = -1;

	ks_buf_init(&b, 64);
	for (i = 0; i < nfiles + nhex; i++) {
		ks_buf_reset(&b);
		if (i < nfiles) {
			KS_GUARD(ks_cms_digest_file(KS_MD_SHA256, files[i], &b));
		} else if (strlen(hex[i - nfiles]) != 64 ||
			   ks_hex_decode(hex[i - nfiles], 64, false, &b) < 0) {
			KS_BAIL(KS_ERR_USAGE, "--digest: 64 hex digits (SHA-256), not '%.80s'",
				hex[i - nfiles]);
		}
		memcpy(d[i], b.data, 32);
	}
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

int ks_cli_activate(int argc, char **argv)
{
	enum { O_KEY = 1, O_HOLDER, O_TTL, O_DIGEST, O_SESSION, O_KEYGEN, O_HELP };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "holder-key", required_argument, NULL, O_HOLDER },
		{ "ttl", required_argument, NULL, O_TTL },
		{ "digest", required_argument, NULL, O_DIGEST },
		{ "session", required_argument, NULL, O_SESSION },
		{ "keygen", required_argument, NULL, O_KEYGEN },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cli_seen seen;
	const char *key = NULL, *holder_path = NULL, *keygen_path = NULL, *text;
	char **hex = NULL;
	uint8_t(*d)[32] = NULL;
	size_t nhex = 0, nfiles, i;
	unsigned ttl = DEFAULT_TTL, uses = 0;
	EVP_PKEY *holder = NULL;
	struct ks_buf act;
	char until[32];
	time_t exp;
	struct tm tm;
	int c, status = KS_EXIT_USAGE;

	memset(&seen, 0, sizeof(seen));
	ks_buf_init(&act, KS_ACT_MAX);
	hex = calloc((size_t)argc + 1, sizeof(*hex));
	if (hex == NULL) {
		KS_SET(KS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_HELP) {
			activate_usage(stdout);
			status = KS_EXIT_OK;
			goto done;
		}
		if (c < O_KEY || c > O_KEYGEN) {
			fprintf(stderr, "kyso activate: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			activate_usage(stderr);
			goto done;
		}
		if (c == O_DIGEST) {
			hex[nhex++] = optarg;
			continue;
		}
		if (ks_cli_once(&seen, argv[optind - 1]) < 0)
			goto fail;
		if (c == O_KEY)
			key = optarg;
		else if (c == O_HOLDER)
			holder_path = optarg;
		else if (c == O_KEYGEN)
			keygen_path = optarg;
		else if (c == O_TTL && parse_uint("--ttl", optarg, TTL_MAX, &ttl) < 0)
			goto fail;
		else if (c == O_SESSION &&
			 parse_uint("--session", optarg, KS_ACT_USES_MAX, &uses) < 0)
			goto fail;
	}
	nfiles = (size_t)(argc - optind);
	if (keygen_path != NULL) {
		if (key != NULL || holder_path != NULL || nhex > 0 || nfiles > 0 || uses > 0) {
			fprintf(stderr, "kyso activate: --keygen FILE takes nothing else\n");
			goto done;
		}
		if (keygen(keygen_path) < 0)
			goto fail;
		status = KS_EXIT_OK;
		goto done;
	}
	if (key == NULL || holder_path == NULL) {
		fprintf(stderr, "kyso activate: give --key NAME and --holder-key FILE\n");
		activate_usage(stderr);
		goto done;
	}
	if ((uses > 0) == (nfiles + nhex > 0)) {
		fprintf(stderr, "kyso activate: give the documents (FILE... or --digest HEX...) or "
				"--session USES\n");
		goto done;
	}
	if (nfiles + nhex > KS_ACT_DIGESTS_MAX) {
		fprintf(stderr, "kyso activate: at most %d documents in one activation\n",
			KS_ACT_DIGESTS_MAX);
		goto done;
	}
	if (load_holder(holder_path, &holder) < 0)
		goto fail;
	if (uses > 0) {
		if (ks_activation_make_session(holder, key, uses, ttl, &act) < 0)
			goto fail;
	} else {
		d = calloc(nfiles + nhex, sizeof(*d));
		if (d == NULL) {
			KS_SET(KS_ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (collect(argv + optind, nfiles, hex, nhex, d) < 0 ||
		    ks_activation_make(holder, key, (const uint8_t(*)[32])d, nfiles + nhex, ttl,
				       &act) < 0)
			goto fail;
	}
	exp = time(NULL) + (time_t)ttl;
	if (gmtime_r(&exp, &tm) == NULL ||
	    strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(until, sizeof(until), "?");
	/* What the holder approves, where they see it (not on stdout, which
	 * a script passes on). */
	if (uses > 0) {
		fprintf(stderr,
			"kyso activate: %u signature%s with key '%s', any documents, until %s\n",
			uses, uses == 1 ? "" : "s", key, until);
	} else {
		fprintf(stderr, "kyso activate: %zu document%s with key '%s', once, until %s:\n",
			nfiles + nhex, nfiles + nhex == 1 ? "" : "s", key, until);
		for (i = 0; i < nfiles + nhex; i++) {
			struct ks_buf h;
			const char *hs;

			ks_buf_init(&h, 65);
			if (ks_hex_encode(d[i], 32, &h) == 0 && ks_buf_cstr(&h, &hs) == 0)
				fprintf(stderr, "  %s  %s\n", hs,
					i < nfiles ? argv[optind + (int)i] : "(digest)");
			ks_buf_cleanup(&h);
		}
	}
	if (ks_buf_cstr(&act, &text) < 0)
		goto fail;
	printf("%s\n", text);
	status = fflush(stdout) == 0 ? KS_EXIT_OK : KS_EXIT_USAGE;
	goto done;
fail:
	ks_cli_error("activate");
	status = ks_cli_exit_for_error();
done:
	EVP_PKEY_free(holder);
	ks_buf_cleanup(&act);
	free(hex);
	free(d);
	return status;
}
