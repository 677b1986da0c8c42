/* kyso timestamp: an RFC 3161 timestamp of any file, kept as the TSA's
 * response (.tsr, what `openssl ts -reply` reads), and the check of
 * such a file against the data.
 *
 * Getting one: the file is hashed while streamed, the TSAs given are
 * asked in order (signer/ks_tsa_client), and the response is written
 * atomically only when it holds: no TSA, no file.
 *
 * Checking one (--verify): exit 0 when the token is intact, covers the
 * file and its TSA certificate has a path to --trust at genTime; 1 when
 * something is wrong with it (TOTAL-FAILED); 2 when it cannot be
 * confirmed (no --trust, no path: INDETERMINATE); 3 usage or I/O. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "formats/cms/ks_cms.h"
#include "formats/tsp/ks_tsp.h"
#include "ks_cur.h"
#include "ks_io.h"
#include "cli/ks_cli.h"
#include "signer/ks_policy.h"
#include "signer/ks_extend.h"
#include "signer/ks_tsa_client.h"

#define TIMEOUT_S_MAX 600

struct ts_args {
	const char *in, *out, *md, *verify, *trust, *untrusted, *tsa_cert;
	const char *urls[KS_TSA_URLS_MAX];
	size_t n_urls;
	long timeout_ms;
};

static void ts_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: kyso timestamp --in FILE --out FILE.tsr --tsa URL [--tsa URL]...\n"
	    "       kyso timestamp --in FILE.pdf --out FILE.pdf --tsa URL...  (a document\n"
	    "                      timestamp inside the PDF)\n"
	    "                      [--md sha256|sha384|sha512] [--timeout SECONDS]\n"
	    "                      [--tsa-cert PEM]\n"
	    "       kyso timestamp --verify FILE.tsr --in FILE [--trust PEM] [--untrusted PEM]\n"
	    "  --tsa       an RFC 3161 TSA (http or https); several are tried in order and\n"
	    "              the first whose answer checks out is used\n"
	    "  --out       the TimeStampResp (.tsr), written only when a TSA gave a valid one\n"
	    "  --timeout   per TSA, whole exchange (default %ld s)\n"
	    "  --tsa-cert  the TSA certificate the token must be signed with\n"
	    "  --verify    check a .tsr (or a bare token) against the file: exit 0 valid,\n"
	    "              1 invalid, 2 cannot be confirmed (no --trust or no path to it),\n"
	    "              3 usage or I/O error; revocation is not checked\n",
	    KS_HTTP_TIMEOUT_MS / 1000);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int parse_args(int argc, char **argv, struct ts_args *a)
{
	enum {
		O_IN = 1,
		O_OUT,
		O_TSA,
		O_MD,
		O_TIMEOUT,
		O_TSACERT,
		O_VERIFY,
		O_TRUST,
		O_UNTRUSTED,
		O_HELP
	};
	static const struct option opts[] = {
		{ "in", required_argument, NULL, O_IN },
		{ "out", required_argument, NULL, O_OUT },
		{ "tsa", required_argument, NULL, O_TSA },
		{ "md", required_argument, NULL, O_MD },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "tsa-cert", required_argument, NULL, O_TSACERT },
		{ "verify", required_argument, NULL, O_VERIFY },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "untrusted", required_argument, NULL, O_UNTRUSTED },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cur cur;
	uint64_t v = 0;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_IN:
			a->in = optarg;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_TSA:
			if (a->n_urls >= KS_TSA_URLS_MAX)
				return KS_SET(KS_ERR_USAGE, "at most %d --tsa", KS_TSA_URLS_MAX);
			a->urls[a->n_urls++] = optarg;
			break;
		case O_MD:
			a->md = optarg;
			break;
		case O_TIMEOUT:
			ks_cur_init(&cur, optarg, strlen(optarg));
			if (ks_cur_decimal(&cur, 3, TIMEOUT_S_MAX, &v) < 0 || !ks_cur_eof(&cur) ||
			    v == 0)
				return KS_SET(KS_ERR_USAGE, "--timeout must be 1 to %d seconds",
					      TIMEOUT_S_MAX);
			a->timeout_ms = (long)v * 1000;
			break;
		case O_TSACERT:
			a->tsa_cert = optarg;
			break;
		case O_VERIFY:
			a->verify = optarg;
			break;
		case O_TRUST:
			a->trust = optarg;
			break;
		case O_UNTRUSTED:
			a->untrusted = optarg;
			break;
		case O_HELP:
			ts_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	if (a->in == NULL)
		return KS_SET(KS_ERR_USAGE, "--in is required");
	if (a->verify != NULL) {
		if (a->out != NULL || a->n_urls > 0 || a->md != NULL)
			return KS_SET(KS_ERR_USAGE, "--verify takes --in, --trust and --untrusted");
		return 0;
	}
	if (a->trust != NULL || a->untrusted != NULL)
		return KS_SET(KS_ERR_USAGE, "--trust and --untrusted go with --verify");
	if (a->out == NULL || a->n_urls == 0)
		return KS_SET(KS_ERR_USAGE, "--out and at least one --tsa are required");
	if (same_file(a->in, a->out))
		return KS_SET(KS_ERR_USAGE, "--out must not be the input file");
	return 0;
}

/* The one certificate of a PEM file. */
static int load_one_cert(const char *path, X509 **out)
{
	STACK_OF(X509) *certs = NULL;
	int rc = -1;

	*out = NULL;
	KS_GUARD(ks_pem_load_certs(path, &certs));
	if (sk_X509_num(certs) != 1)
		KS_BAIL(KS_ERR_CERT, "'%s' must hold exactly one certificate", path);
	*out = sk_X509_shift(certs);
	rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static void print_token(const char *file, const struct ks_tsp_token *t)
{
	const struct ks_tsp_info *i = ks_tsp_token_info(t);
	X509 *signer = ks_tsp_token_signer(t);
	char when[64], name[256] = "";
	struct tm tm;

	if (gmtime_r(&i->gen_time, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%s", i->gen_time_text);
	if (signer != NULL)
		X509_NAME_oneline(X509_get_subject_name(signer), name, (int)sizeof(name));
	printf("%s: timestamp %s UTC", file, when);
	if (i->gen_time_us != 0)
		printf(" (+%06u us)", i->gen_time_us);
	if (i->has_accuracy)
		printf(", accuracy %llu.%06llu s", (unsigned long long)(i->accuracy_us / 1000000u),
		       (unsigned long long)(i->accuracy_us % 1000000u));
	printf("\n  serial %s, policy %s, %s\n  TSA %s\n", i->serial_hex, i->policy,
	       OBJ_nid2sn(i->imprint_nid), name[0] != '\0' ? name : "(unknown)");
}

/* A PDF timestamped into a PDF (not a .tsr beside it). */
static bool is_pdf_stamp(const struct ts_args *a)
{
	size_t n = strlen(a->out);

	return ks_format_of(a->in) == KS_FORMAT_PDF &&
	       !(n > 4 && strcasecmp(a->out + n - 4, ".tsr") == 0);
}

static int get_timestamp(const struct ts_args *a)
{
	struct ks_tsa_client tc;
	struct ks_tsp_token *tok = NULL;
	struct ks_buf digest, resp;
	enum ks_md md = KS_MD_SHA256;
	X509 *pin = NULL;
	size_t i, used = 0;
	int status = KS_EXIT_USAGE;

	ks_buf_init(&digest, EVP_MAX_MD_SIZE);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	ks_tsa_client_init(&tc);
	if ((a->md != NULL && ks_md_parse(a->md, &md) < 0) || ks_policy_check_md(md) < 0)
		goto fail;
	for (i = 0; i < a->n_urls; i++)
		if (ks_tsa_client_add_url(&tc, a->urls[i]) < 0)
			goto fail;
	if (a->tsa_cert != NULL && load_one_cert(a->tsa_cert, &pin) < 0)
		goto fail;
	tc.tsa_cert = pin;
	tc.http.timeout_ms = a->timeout_ms;
	if (is_pdf_stamp(a)) {
		/* A PDF gets a document timestamp inside it (ETSI EN 319 142-1
		 * 5.4). */
		struct ks_pades_result res;

		if (ks_pdf_doc_timestamp(a->in, a->out, &tc, &res) < 0)
			goto fail;
		printf("%s: document timestamp in field '%s' written to %s\n", a->in, res.field,
		       a->out);
		status = KS_EXIT_OK;
		goto out;
	}
	if (ks_cms_digest_file(md, a->in, &digest) < 0)
		goto fail;
	if (ks_tsa_timestamp(&tc, md, digest.data, digest.len, &resp, &tok, &used) < 0 ||
	    ks_file_write_atomic(a->out, resp.data, resp.len, 0644) < 0)
		goto fail;
	print_token(a->in, tok);
	printf("  from %s, written to %s\n", a->urls[used], a->out);
	status = KS_EXIT_OK;
	goto out;
fail:
	ks_cli_error("timestamp");
out:
	ks_http_thread_cleanup();
	ks_tsp_token_free(tok);
	X509_free(pin);
	ks_buf_cleanup(&digest);
	ks_buf_cleanup(&resp);
	return status;
}

/* A .tsr (TimeStampResp) or a bare TimeStampToken. */
static int load_token(const char *path, struct ks_tsp_token **out)
{
	struct ks_buf b;
	struct ks_tsp_resp r;
	int rc = -1;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	ks_buf_init(&b, KS_TSP_RESP_MAX);
	KS_GUARD(ks_file_read(path, KS_TSP_RESP_MAX, &b));
	if (ks_tsp_resp_parse(b.data, b.len, &r) == 0) {
		if (r.token == NULL)
			KS_BAIL(KS_ERR_TSP, "'%s' holds a response without a token (%s)", path,
				ks_tsp_status_name(r.status));
		*out = r.token;
		r.token = NULL;
	} else if (ks_tsp_token_parse(b.data, b.len, out) < 0) {
		KS_SET(ks_err_code(), "'%s' is neither a timestamp response nor a token: %s", path,
		       ks_err_msg());
		goto out;
	}
	rc = 0;
out:
	ks_tsp_resp_cleanup(&r);
	ks_buf_cleanup(&b);
	return rc;
}

static int load_store(const char *path, X509_STORE **out)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *st = NULL;
	int i, rc = -1;

	*out = NULL;
	KS_GUARD(ks_pem_load_certs(path, &certs));
	st = X509_STORE_new();
	if (st == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < sk_X509_num(certs); i++)
		if (X509_STORE_add_cert(st, sk_X509_value(certs, i)) != 1)
			KS_BAIL_OSSL(KS_ERR_CERT, "adding a trust anchor from '%s'", path);
	*out = st;
	st = NULL;
	rc = 0;
out:
	X509_STORE_free(st);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static int verify_timestamp(const struct ts_args *a)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_verdict v;
	struct ks_buf digest;
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE *trust = NULL;
	enum ks_md md;
	int status = KS_EXIT_USAGE;

	ks_buf_init(&digest, EVP_MAX_MD_SIZE);
	if (load_token(a->verify, &tok) < 0 ||
	    (a->untrusted != NULL && ks_pem_load_certs(a->untrusted, &untrusted) < 0) ||
	    (a->trust != NULL && load_store(a->trust, &trust) < 0))
		goto fail;
	if (ks_tsp_token_verify(tok, NULL, untrusted, &v) < 0)
		goto fail;
	if (v.indication != KS_IND_TOTAL_PASSED) {
		printf("%s: %s/%s: %s\n", a->verify, ks_indication_name(v.indication),
		       ks_subindication_name(v.sub), v.detail);
		status =
		    v.indication == KS_IND_TOTAL_FAILED ? KS_EXIT_FAILED : KS_EXIT_INDETERMINATE;
		goto out;
	}
	if (ks_tsp_token_imprint_md(tok, &md) < 0 || ks_cms_digest_file(md, a->in, &digest) < 0) {
		if (ks_err_code() == KS_ERR_IO)
			goto fail;
		printf("%s: INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE: %s\n", a->verify,
		       ks_err_msg());
		status = KS_EXIT_INDETERMINATE;
		goto out;
	}
	if (ks_tsp_token_match_imprint(tok, md, digest.data, digest.len) < 0) {
		printf("%s: TOTAL-FAILED/HASH_FAILURE: %s (%s)\n", a->verify, ks_err_msg(), a->in);
		status = KS_EXIT_FAILED;
		goto out;
	}
	print_token(a->in, tok);
	if (trust == NULL) {
		printf("  INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND: the token is intact and covers "
		       "the file; the TSA is not checked (no --trust)\n");
		status = KS_EXIT_INDETERMINATE;
		goto out;
	}
	if (ks_tsa_verify_chain(tok, trust, untrusted, 0, NULL) < 0) {
		printf("  INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND: %s\n", ks_err_msg());
		status = KS_EXIT_INDETERMINATE;
		goto out;
	}
	printf("  TOTAL-PASSED: the file existed at that time (TSA certificate path checked at "
	       "genTime; revocation not checked)\n");
	status = KS_EXIT_OK;
	goto out;
fail:
	ks_cli_error("timestamp --verify");
out:
	ks_tsp_token_free(tok);
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_free(trust);
	ks_buf_cleanup(&digest);
	return status;
}

int ks_cli_timestamp(int argc, char **argv)
{
	struct ts_args a;
	int r = parse_args(argc, argv, &a);

	if (r > 0)
		return KS_EXIT_OK;
	if (r < 0) {
		ks_cli_error("timestamp");
		ts_usage(stderr);
		return KS_EXIT_USAGE;
	}
	return a.verify != NULL ? verify_timestamp(&a) : get_timestamp(&a);
}
