/* kyso tsa: a time-stamping authority (RFC 3161) over HTTP.
 *
 * The key is a token key (--key pkcs11:URI) or a key file; its
 * certificate must carry the critical timeStamping extended key usage
 * and be valid now.  SIGTERM or SIGINT stops it: no new connections,
 * requests in flight are answered, then exit 0. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/ks_tsa_http.h"
#include "formats/tsp/ks_tsp_server.h"
#include "ks_cur.h"
#include "cli/ks_cli.h"
#include "signer/ks_keyres.h"
#include "signer/ks_policy.h"

#define ACCURACY_FRACTION_DIGITS 6

struct tsa_args {
	struct ks_keyres key;
	const char *listen, *policy, *md;
	uint64_t accuracy_us;
	size_t max_request;
	unsigned threads;
	bool pss;
};

static void tsa_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso tsa --listen ADDRESS:PORT\n"
		"                (--key pkcs11:URI | --key-file KEY --cert CERT [--chain PEM])\n"
		"                [--policy OID] [--accuracy SECONDS] [--max-request BYTES]\n"
		"                [--threads N] [--md sha256|sha384|sha512] [--pss]\n"
		"  --listen       numeric address and port, e.g. 127.0.0.1:8318 ([::1]:8318);\n"
		"                 port 0 takes any free port (printed at start)\n"
		"  --key ...      the TSA key; its certificate must have the critical extended\n"
		"                 key usage timeStamping (RFC 3161 2.3)\n"
		"  --policy       TSA policy OID put in every token (default %s, an example\n"
		"                 OID: set the policy your TSA publishes)\n"
		"  --accuracy     accuracy of the clock, e.g. 1 or 0.5 (default: none stated)\n"
		"  --max-request  largest request accepted, in bytes (default %zu, at most %zu);\n"
		"                 larger ones get HTTP 413\n"
		"  --threads      worker threads (default 1)\n"
		"Serves POST with Content-Type application/timestamp-query at any path and\n"
		"answers application/timestamp-reply.  SIGTERM/SIGINT: finish requests in\n"
		"flight and exit 0.\n"
		"environment: KYSO_PIN (token PIN), KYSO_KEY_PASS (key file password)\n",
		KS_TSP_DEFAULT_POLICY, KS_TSA_HTTP_REQUEST_DEFAULT, KS_TSA_HTTP_REQUEST_MAX);
}

/* "1", "0.5", "2.000250": seconds with up to six decimals. */
static int parse_accuracy(const char *s, uint64_t *us)
{
	struct ks_cur c;
	uint64_t secs = 0, frac = 0, scale = 100000;
	uint8_t b;
	size_t digits = 0;

	ks_cur_init(&c, s, strlen(s));
	if (ks_cur_decimal(&c, 5, KS_TSP_ACCURACY_SECONDS_MAX, &secs) < 0)
		goto bad;
	if (ks_cur_accept(&c, ".", 1)) {
		while (ks_cur_u8(&c, &b) == 0) {
			if (b < '0' || b > '9' || ++digits > ACCURACY_FRACTION_DIGITS)
				goto bad;
			frac += (uint64_t)(b - '0') * scale;
			scale /= 10;
		}
		if (digits == 0)
			goto bad;
	}
	if (!ks_cur_eof(&c) || (secs == KS_TSP_ACCURACY_SECONDS_MAX && frac > 0))
		goto bad;
	*us = secs * 1000000u + frac;
	return 0;
bad:
	return KS_SET(KS_ERR_USAGE, "--accuracy must be seconds (up to %d, six decimals at most)",
		      KS_TSP_ACCURACY_SECONDS_MAX);
}

static int parse_count(const char *s, const char *name, uint64_t max, uint64_t *v)
{
	struct ks_cur c;

	ks_cur_init(&c, s, strlen(s));
	if (ks_cur_decimal(&c, 12, max, v) < 0 || !ks_cur_eof(&c) || *v == 0)
		return KS_SET(KS_ERR_USAGE, "--%s must be a number from 1 to %llu", name,
			      (unsigned long long)max);
	return 0;
}

static int parse_args(int argc, char **argv, struct tsa_args *a)
{
	enum {
		O_LISTEN = 1,
		O_KEY,
		O_KEYFILE,
		O_CERT,
		O_CHAIN,
		O_POLICY,
		O_ACCURACY,
		O_MAXREQ,
		O_THREADS,
		O_MD,
		O_PSS,
		O_HELP
	};
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "key", required_argument, NULL, O_KEY },
		{ "key-file", required_argument, NULL, O_KEYFILE },
		{ "cert", required_argument, NULL, O_CERT },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "accuracy", required_argument, NULL, O_ACCURACY },
		{ "max-request", required_argument, NULL, O_MAXREQ },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "md", required_argument, NULL, O_MD },
		{ "pss", no_argument, NULL, O_PSS },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v = 0;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN:
			a->listen = optarg;
			break;
		case O_KEY:
			a->key.key = optarg;
			break;
		case O_KEYFILE:
			a->key.key_file = optarg;
			break;
		case O_CERT:
			a->key.cert = optarg;
			break;
		case O_CHAIN:
			a->key.chain = optarg;
			break;
		case O_POLICY:
			a->policy = optarg;
			break;
		case O_ACCURACY:
			if (parse_accuracy(optarg, &a->accuracy_us) < 0)
				return -1;
			break;
		case O_MAXREQ:
			if (parse_count(optarg, "max-request", KS_TSA_HTTP_REQUEST_MAX, &v) < 0)
				return -1;
			a->max_request = (size_t)v;
			break;
		case O_THREADS:
			if (parse_count(optarg, "threads", KS_TSA_HTTP_THREADS_MAX, &v) < 0)
				return -1;
			a->threads = (unsigned)v;
			break;
		case O_MD:
			a->md = optarg;
			break;
		case O_PSS:
			a->pss = true;
			break;
		case O_HELP:
			tsa_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	if (a->listen == NULL)
		return KS_SET(KS_ERR_USAGE, "--listen is required");
	return 0;
}

int ks_cli_tsa(int argc, char **argv)
{
	struct tsa_args a;
	struct ks_key *key = NULL;
	struct ks_tsp_server *srv = NULL;
	struct ks_tsp_server_cfg cfg;
	struct ks_tsa_http *http = NULL;
	struct ks_tsa_http_cfg hc;
	struct ks_tsa_http_stats st;
	sigset_t stop;
	int r, sig = 0, status = KS_EXIT_USAGE;

	r = parse_args(argc, argv, &a);
	if (r > 0)
		return KS_EXIT_OK;
	if (r < 0) {
		ks_cli_error("tsa");
		tsa_usage(stderr);
		return KS_EXIT_USAGE;
	}
	/* Before any thread exists: the signals that stop the TSA are
	 * taken by sigwait() below, never delivered to a worker. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
		KS_SET(KS_ERR_INTERNAL, "cannot block SIGTERM/SIGINT");
		goto fail;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.md = KS_MD_SHA256;
	if ((a.md != NULL && ks_md_parse(a.md, &cfg.md) < 0) || ks_policy_check_md(cfg.md) < 0)
		goto fail;
	if (ks_keyres_open(&a.key, &key) < 0)
		goto fail;
	/* The TSA certificate is checked like a signer's: valid now, a key
	 * usage that allows signatures, strong key and hash. */
	if (ks_policy_check_key(key, cfg.md, 0) < 0)
		goto fail;
	cfg.key = key;
	cfg.policy = a.policy;
	cfg.accuracy_us = a.accuracy_us;
	cfg.rsa_pss = a.pss;
	if (ks_tsp_server_new(&cfg, &srv) < 0)
		goto fail;
	memset(&hc, 0, sizeof(hc));
	hc.listen = a.listen;
	hc.max_request = a.max_request;
	hc.threads = a.threads;
	if (ks_tsa_http_start(srv, &hc, &http) < 0)
		goto fail;
	/* The address as given, the port as bound (--listen ...:0). */
	printf("kyso tsa: listening on http://%.*s:%u/ (key '%s', policy %s)\n",
	       (int)(strrchr(a.listen, ':') - a.listen), a.listen, (unsigned)ks_tsa_http_port(http),
	       key->label, a.policy != NULL ? a.policy : KS_TSP_DEFAULT_POLICY);
	fflush(stdout);
	if (sigwait(&stop, &sig) != 0)
		sig = SIGTERM;
	ks_tsa_http_stop(http, KS_TSA_HTTP_DRAIN_MS, &st);
	http = NULL;
	printf("kyso tsa: %s received, stopped (%lu granted, %lu rejected, %lu refused)\n",
	       sig == SIGINT ? "SIGINT" : "SIGTERM", st.granted, st.rejected, st.refused_http);
	status = KS_EXIT_OK;
	goto out;
fail:
	ks_cli_error("tsa");
out:
	ks_tsa_http_stop(http, 0, NULL);
	ks_tsp_server_free(srv);
	ks_keyres_close(key);
	return status;
}
