/* kyso serve: the HTTP signing service (docs/api.md, docs/configuration.md).
 * kyso client add|list|revoke: its API clients.
 * kyso audit verify|proof|check: its audit log.
 *
 * serve: SIGTERM or SIGINT stops it (no new connections, requests in
 * flight answered within the configured drain time), exit 0. */
#include <getopt.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_conf.h"
#include "api/ks_api_svc.h"
#include "api/ks_audit.h"
#include "api/ks_store.h"
#include "cli/ks_cli.h"
#include "ks_cur.h"
#include "ks_io.h"
#include "pkcs11/ks_p11.h"

#define PROOF_MAX KS_AUDIT_DOC_MAX

/* ---- serve ---- */

static void serve_usage(FILE *f)
{
	fprintf(f, "usage: kyso serve [--config FILE] [--listen ADDRESS:PORT] [--check-config]\n"
		   "  --config  the configuration file (docs/configuration.md); without it\n"
		   "            every option has its default: state in ./var (SQLite), the demo\n"
		   "            SoftHSM2 tokens, the built-in TSA, 127.0.0.1:8340\n"
		   "  --listen  numeric address and port instead of [server] listen\n"
		   "            (port 0: any free port, printed at start)\n"
		   "  --check-config  read the configuration, say whether it holds and\n"
		   "            exit (0: it does) without starting anything\n"
		   "The API is under /v1 (docs/api.md); / is the verification page for\n"
		   "people: upload a signed document, see whether it is authentic.\n"
		   "SIGTERM/SIGINT: finish requests in flight and exit 0.\n"
		   "environment: KYSO_PIN (token PIN), KYSO_KEY_PASS (key file password),\n"
		   "             KYSO_LOG (log level)\n");
}

int ks_cli_serve(int argc, char **argv)
{
	enum { O_CONFIG = 1, O_LISTEN, O_CHECK, O_HELP };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cli_seen seen;
	struct ks_api_conf conf;
	struct ks_api_svc *svc = NULL;
	const char *config = NULL, *listen = NULL;
	bool check = false;
	sigset_t stop;
	int c, sig = 0, status = KS_EXIT_USAGE;

	memset(&seen, 0, sizeof(seen));
	memset(&conf, 0, sizeof(conf));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_HELP) {
			serve_usage(stdout);
			return KS_EXIT_OK;
		}
		if (c != O_CONFIG && c != O_LISTEN && c != O_CHECK) {
			fprintf(stderr, "kyso serve: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			serve_usage(stderr);
			return KS_EXIT_USAGE;
		}
		if (ks_cli_once(&seen, argv[optind - 1]) < 0) {
			ks_cli_error("serve");
			return KS_EXIT_USAGE;
		}
		if (c == O_CONFIG)
			config = optarg;
		else if (c == O_LISTEN)
			listen = optarg;
		else
			check = true;
	}
	if (optind < argc) {
		fprintf(stderr, "kyso serve: unexpected argument '%s'\n", argv[optind]);
		return KS_EXIT_USAGE;
	}
	if (check) {
		if (ks_api_conf_load(config, &conf) < 0)
			goto fail;
		printf("kyso serve: the configuration %s holds (listen %s, state %s, "
		       "instance %s, %zu keys)\n",
		       config != NULL ? config : "(defaults)",
		       listen != NULL ? listen : conf.listen, conf.dir, conf.instance, conf.n_keys);
		status = KS_EXIT_OK;
		goto out;
	}
	/* Before any thread exists: the stopping signals are taken by
	 * sigwait() below, never delivered to a worker. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
		KS_SET(KS_ERR_INTERNAL, "cannot block SIGTERM/SIGINT");
		goto fail;
	}
	if (ks_api_conf_load(config, &conf) < 0 || ks_api_svc_start(&conf, listen, &svc) < 0)
		goto fail;
	printf("kyso serve: listening on %s://%.*s:%u/ (instance %s, state %s)\n",
	       conf.tls_cert != NULL ? "https" : "http",
	       (int)(strrchr(listen != NULL ? listen : conf.listen, ':') -
		     (listen != NULL ? listen : conf.listen)),
	       listen != NULL ? listen : conf.listen, (unsigned)ks_api_svc_port(svc), conf.instance,
	       conf.dir);
	fflush(stdout);
	if (sigwait(&stop, &sig) != 0)
		sig = SIGTERM;
	ks_api_svc_stop(svc);
	svc = NULL;
	printf("kyso serve: %s received, stopped\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	status = KS_EXIT_OK;
	goto out;
fail:
	ks_cli_error("serve");
out:
	ks_api_svc_stop(svc);
	ks_api_conf_cleanup(&conf);
	return status;
}

/* ---- client ---- */

static void client_usage(FILE *f)
{
	fprintf(f, "usage: kyso client add NAME --grant KEY [--grant KEY]... --ops OPS\n"
		   "                  [--config FILE]\n"
		   "       kyso client list [--config FILE]\n"
		   "       kyso client revoke NAME [--config FILE]\n"
		   "  --grant   a key of the configuration the client may sign with: its\n"
		   "            name or its PKCS#11 URI as configured ('*': every key)\n"
		   "  --ops     operations: sign, prepare (two-phase signing), timestamp,\n"
		   "            verify (verify without the rate limit), comma-separated\n"
		   "add prints the client's token once; only its hash is stored.\n");
}

struct client_args {
	const char *config, *name, *ops;
	const char *grants[KS_STORE_GRANTS_MAX];
	size_t n_grants;
};

static int client_parse(int argc, char **argv, struct client_args *a)
{
	enum { O_CONFIG = 1, O_GRANT, O_OPS, O_HELP };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "grant", required_argument, NULL, O_GRANT },
		{ "ops", required_argument, NULL, O_OPS },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			a->config = optarg;
			break;
		case O_GRANT:
			if (a->n_grants >= KS_STORE_GRANTS_MAX)
				return KS_SET(KS_ERR_USAGE, "at most %d --grant",
					      KS_STORE_GRANTS_MAX);
			a->grants[a->n_grants++] = optarg;
			break;
		case O_OPS:
			a->ops = optarg;
			break;
		case O_HELP:
			client_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		a->name = argv[optind++];
	if (optind < argc)
		return KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The store and the audit signer of the configuration. */
struct state {
	struct ks_api_conf conf;
	struct ks_store *st;
	struct ks_key *audit_key;
	struct ks_audit_signer sg;
};

static int state_open(const char *config, bool audit_key, struct state *s)
{
	memset(s, 0, sizeof(*s));
	if (ks_api_conf_load(config, &s->conf) < 0 || ks_api_state_open(&s->conf, &s->st) < 0)
		return -1;
	if (!audit_key)
		return 0;
	if (ks_api_audit_key_open(&s->conf, true, &s->audit_key) < 0)
		return -1;
	s->sg.key = s->audit_key;
	s->sg.instance = s->conf.instance;
	s->sg.keep_interval = s->conf.checkpoint_keep_s;
	return 0;
}

static void state_close(struct state *s)
{
	bool token = s->audit_key != NULL && strcmp(s->audit_key->ops->kind, "token") == 0;

	ks_key_free(s->audit_key);
	if (token)
		ks_p11_shutdown();
	ks_store_close(s->st);
	ks_api_conf_cleanup(&s->conf);
}

static int print_client(void *arg, const struct ks_store_client *c)
{
	char ops[64];
	size_t i;

	(void)arg;
	ks_store_ops_text(c->ops, ops, sizeof(ops));
	printf("%-20s id %s  ops %s  keys ", c->name, c->id, ops);
	for (i = 0; i < c->n_grants; i++)
		printf("%s%s", i > 0 ? "," : "", c->grants[i]);
	printf("%s\n", c->revoked != 0 ? "  (revoked)" : "");
	return 0;
}

static int client_add(struct state *s, const struct client_args *a)
{
	struct ks_store_client c;
	struct ks_buf token;
	struct ks_audit_event ev = { .op = "client-add",
				     .client = a->name,
				     .key = "",
				     .digest = "",
				     .level = "",
				     .outcome = "ok",
				     .request = "cli" };
	size_t i;
	int rc = -1;

	ks_buf_init_secret(&token, 128);
	memset(&c, 0, sizeof(c));
	if (a->name == NULL || !ks_store_name_ok(a->name))
		KS_BAIL(KS_ERR_USAGE, "a client NAME is letters, digits, '.', '_' and '-'");
	if (a->ops == NULL || ks_store_ops_parse(a->ops, &c.ops) < 0)
		KS_BAIL(KS_ERR_USAGE, "--ops lists sign, prepare, timestamp, verify");
	if (a->n_grants == 0 && (c.ops & (KS_OP_SIGN | KS_OP_PREPARE)) != 0)
		KS_BAIL(KS_ERR_USAGE, "signing needs at least one --grant KEY");
	for (i = 0; i < a->n_grants; i++) {
		const struct ks_api_key_conf *kc = NULL;

		if (strcmp(a->grants[i], "*") != 0 &&
		    (kc = ks_api_conf_key(&s->conf, a->grants[i])) == NULL)
			KS_BAIL(KS_ERR_USAGE, "no key '%s' in the configuration", a->grants[i]);
		/* a key given by its URI is granted by its name, which requests use */
		snprintf(c.grants[i], sizeof(c.grants[i]), "%s", kc != NULL ? kc->name : "*");
	}
	c.n_grants = a->n_grants;
	snprintf(c.name, sizeof(c.name), "%s", a->name);
	c.created = (int64_t)time(NULL);
	KS_GUARD(ks_api_token_new(&token, c.id, c.secret_hash));
	KS_GUARD(ks_store_client_add(s->st, &c));
	KS_GUARD(ks_api_audit_one(s->st, &s->sg, &ev));
	printf("%.*s\n", (int)token.len, (const char *)token.data);
	fprintf(stderr, "kyso client: '%s' added; the token above is shown only once\n", a->name);
	rc = 0;
out:
	ks_buf_cleanup(&token);
	return rc;
}

int ks_cli_client(int argc, char **argv)
{
	struct client_args a;
	struct state s;
	struct ks_audit_event ev = { .op = "client-revoke",
				     .key = "",
				     .digest = "",
				     .level = "",
				     .outcome = "ok",
				     .request = "cli" };
	int r, status = KS_EXIT_USAGE;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		client_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? KS_EXIT_USAGE : KS_EXIT_OK;
	}
	r = client_parse(argc, argv, &a);
	if (r > 0)
		return KS_EXIT_OK;
	memset(&s, 0, sizeof(s));
	if (r < 0)
		goto fail;
	if (strcmp(argv[1], "add") == 0) {
		if (state_open(a.config, true, &s) < 0 || client_add(&s, &a) < 0)
			goto fail;
	} else if (strcmp(argv[1], "list") == 0) {
		if (state_open(a.config, false, &s) < 0 ||
		    ks_store_client_list(s.st, print_client, NULL) < 0)
			goto fail;
	} else if (strcmp(argv[1], "revoke") == 0) {
		if (a.name == NULL) {
			KS_SET(KS_ERR_USAGE, "revoke NAME");
			goto fail;
		}
		ev.client = a.name;
		if (state_open(a.config, true, &s) < 0 ||
		    ks_store_client_revoke(s.st, a.name, (int64_t)time(NULL)) < 0 ||
		    ks_api_audit_one(s.st, &s.sg, &ev) < 0)
			goto fail;
		printf("kyso client: '%s' revoked\n", a.name);
	} else {
		KS_SET(KS_ERR_USAGE, "unknown client command '%s'", argv[1]);
		goto fail;
	}
	status = KS_EXIT_OK;
	goto out;
fail:
	ks_cli_error("client");
	status = ks_err_code() == KS_ERR_USAGE ? KS_EXIT_USAGE : KS_EXIT_FAILED;
out:
	state_close(&s);
	return status;
}

/* ---- audit ---- */

static void audit_usage(FILE *f)
{
	fprintf(f, "usage: kyso audit verify [--config FILE] [--pub PEM]\n"
		   "       kyso audit proof --digest HEX [--seq N] [--config FILE]\n"
		   "       kyso audit check --proof FILE --pub PEM [--digest HEX]\n"
		   "  verify  check every row and checkpoint of this instance's log; exit 1\n"
		   "          and one line per problem when anything was edited, deleted,\n"
		   "          inserted or reordered\n"
		   "  proof   print the inclusion proof (JSON) of the row of document digest\n"
		   "          HEX against the latest signed checkpoint\n"
		   "  check   check such a proof with the audit public key (or certificate)\n"
		   "          alone; exit 0 when it holds, 1 when not\n"
		   "  --pub   the audit public key or certificate (default: the\n"
		   "          configuration's [audit] cert)\n");
}

struct audit_args {
	const char *config, *pub, *digest, *proof;
	uint64_t seq;
};

static int audit_parse(int argc, char **argv, struct audit_args *a)
{
	enum { O_CONFIG = 1, O_PUB, O_DIGEST, O_SEQ, O_PROOF, O_HELP };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "pub", required_argument, NULL, O_PUB },
		{ "digest", required_argument, NULL, O_DIGEST },
		{ "seq", required_argument, NULL, O_SEQ },
		{ "proof", required_argument, NULL, O_PROOF },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cur cur;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			a->config = optarg;
			break;
		case O_PUB:
			a->pub = optarg;
			break;
		case O_DIGEST:
			a->digest = optarg;
			break;
		case O_PROOF:
			a->proof = optarg;
			break;
		case O_SEQ:
			ks_cur_init(&cur, optarg, strlen(optarg));
			if (ks_cur_decimal(&cur, 19, UINT64_MAX / 10, &a->seq) < 0 ||
			    !ks_cur_eof(&cur) || a->seq == 0)
				return KS_SET(KS_ERR_USAGE, "--seq is a row number from 1");
			break;
		case O_HELP:
			audit_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static void print_problem(void *arg, uint64_t seq, const char *what)
{
	(void)arg;
	if (seq != 0)
		printf("row %llu: %s\n", (unsigned long long)seq, what);
	else
		printf("%s\n", what);
}

static int audit_verify(const struct audit_args *a)
{
	struct state s;
	struct ks_audit_summary sum;
	EVP_PKEY *pub = NULL;
	int status = KS_EXIT_USAGE;

	if (state_open(a->config, false, &s) < 0 ||
	    ks_audit_pubkey_load(a->pub != NULL ? a->pub : ks_api_audit_pub_path(&s.conf), &pub) <
		0 ||
	    ks_audit_verify(s.st, s.conf.instance, pub, print_problem, NULL, &sum) < 0) {
		ks_cli_error("audit verify");
		goto out;
	}
	printf("kyso audit: instance %s: %llu rows, %llu checkpoints, %llu covered by the latest; "
	       "%llu problems\n",
	       s.conf.instance, (unsigned long long)sum.entries,
	       (unsigned long long)sum.checkpoints, (unsigned long long)sum.covered,
	       (unsigned long long)sum.problems);
	status = sum.problems == 0 ? KS_EXIT_OK : KS_EXIT_FAILED;
out:
	EVP_PKEY_free(pub);
	state_close(&s);
	return status;
}

static int audit_proof(const struct audit_args *a)
{
	struct state s;
	struct ks_buf doc;
	int status = KS_EXIT_USAGE;

	ks_buf_init(&doc, PROOF_MAX);
	if (a->digest == NULL && a->seq == 0) {
		KS_SET(KS_ERR_USAGE, "--digest HEX (or --seq N) names the row");
		ks_cli_error("audit proof");
		return KS_EXIT_USAGE;
	}
	if (state_open(a->config, false, &s) < 0 ||
	    ks_audit_proof(s.st, s.conf.instance, a->digest, a->seq, &doc) < 0) {
		ks_cli_error("audit proof");
		status = ks_err_code() == KS_ERR_NOT_FOUND ? KS_EXIT_FAILED : KS_EXIT_USAGE;
		goto out;
	}
	printf("%.*s\n", (int)doc.len, (const char *)doc.data);
	status = KS_EXIT_OK;
out:
	ks_buf_cleanup(&doc);
	state_close(&s);
	return status;
}

static int audit_check(const struct audit_args *a)
{
	struct ks_audit_checkpoint cp;
	struct ks_buf doc, entry;
	EVP_PKEY *pub = NULL;
	int status = KS_EXIT_USAGE;

	ks_buf_init(&doc, PROOF_MAX);
	ks_buf_init(&entry, KS_STORE_ENTRY_MAX);
	if (a->proof == NULL || a->pub == NULL) {
		KS_SET(KS_ERR_USAGE, "--proof FILE and --pub PEM are required");
		ks_cli_error("audit check");
		goto out;
	}
	if (ks_file_read(a->proof, PROOF_MAX, &doc) < 0 || ks_audit_pubkey_load(a->pub, &pub) < 0) {
		ks_cli_error("audit check");
		goto out;
	}
	if (ks_audit_proof_check(doc.data, doc.len, pub, a->digest, &cp, &entry) < 0) {
		ks_cli_error("audit check");
		status = KS_EXIT_FAILED;
		goto out;
	}
	printf("kyso audit: the row is in the log of instance %s (tree size %llu, signed "
	       "checkpoint): %.*s\n",
	       cp.instance, (unsigned long long)cp.size, (int)entry.len, (const char *)entry.data);
	status = KS_EXIT_OK;
out:
	EVP_PKEY_free(pub);
	ks_buf_cleanup(&doc);
	ks_buf_cleanup(&entry);
	return status;
}

int ks_cli_audit(int argc, char **argv)
{
	struct audit_args a;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		audit_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? KS_EXIT_USAGE : KS_EXIT_OK;
	}
	r = audit_parse(argc, argv, &a);
	if (r > 0)
		return KS_EXIT_OK;
	if (r < 0) {
		ks_cli_error("audit");
		return KS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "verify") == 0)
		return audit_verify(&a);
	if (strcmp(argv[1], "proof") == 0)
		return audit_proof(&a);
	if (strcmp(argv[1], "check") == 0)
		return audit_check(&a);
	fprintf(stderr, "kyso audit: unknown command '%s'\n", argv[1]);
	audit_usage(stderr);
	return KS_EXIT_USAGE;
}
