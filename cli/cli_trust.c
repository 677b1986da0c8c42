/* kyso trust: the trust store and revocation, from the command line.
 *
 *   kyso trust list   each trust anchor with its subject, SHA-256
 *                     fingerprint and validity (docs/trust.md);
 *   kyso trust check  is one certificate revoked?  OCSP and CRLs from
 *                     files, the cache and the network, as verification
 *                     uses them: exit 0 good, 1 revoked, 2 unknown or
 *                     unavailable, 3 usage or I/O error. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ks_cur.h"
#include "ks_io.h"
#include "ks_key.h"
#include "cli/ks_cli.h"
#include "signer/validate/ks_revocation.h"
#include "signer/validate/ks_trust.h"

#define TRUST_PATHS_MAX 32
#define REV_FILES_MAX 32
#define TIMEOUT_S_MAX 600

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kyso trust list [--trust FILE|DIR]... [--json]\n"
		"       kyso trust check --cert PEM [--issuer PEM] [--trust FILE|DIR]...\n"
		"                  [--ocsp FILE.der]... [--crl FILE.der]... [--offline]\n"
		"                  [--cache DIR | --no-cache] [--no-ocsp] [--no-crl]\n"
		"                  [--allow-no-nonce] [--at YYYY-MM-DDTHH:MM:SSZ]\n"
		"                  [--timeout SECONDS] [--json]\n"
		"  list     each trust anchor: subject, SHA-256 fingerprint, validity and\n"
		"           whether it is valid now; --trust is a PEM or DER file or a\n"
		"           directory of *.pem, *.crt, *.cer, *.der (repeatable)\n"
		"  check    revocation status of the first certificate of --cert: exit 0\n"
		"           good, 1 revoked, 2 unknown or unavailable, 3 usage or I/O error\n"
		"  --issuer        the issuing CA (default: the certificates after the first in\n"
		"                  --cert, then the --trust anchors)\n"
		"  --ocsp, --crl   DER OCSP responses and CRLs, used first (as a document's)\n"
		"  --offline       only those and the cache: no network\n"
		"  --cache DIR     revocation cache folder (default %s)\n"
		"  --no-cache      neither read nor write a cache\n"
		"  --allow-no-nonce  accept an OCSP answer without the request's nonce\n"
		"  --at            validation time (default now)\n"
		"  --timeout       per request (default: OCSP %ld s, CRL %ld s)\n",
		KS_REV_CACHE_DEFAULT_DIR, KS_REV_OCSP_TIMEOUT_MS / 1000,
		KS_REV_CRL_TIMEOUT_MS / 1000);
}

static void iso_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "?");
}

/* ---- list ------------------------------------------------------------- */

static int load_store(const char *const *paths, size_t n, struct ks_trust **t)
{
	if (ks_trust_new(t) < 0)
		return -1;
	if (ks_trust_add_anchor_paths(*t, paths, n) < 0) {
		ks_trust_free(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

static int list_text(const struct ks_trust *t)
{
	struct ks_trust_cert_info info;
	char nb[32], na[32];
	size_t i;

	for (i = 0; i < ks_trust_anchor_count(t); i++) {
		if (ks_trust_cert_info(ks_trust_anchor(t, i), 0, &info) < 0)
			return -1;
		iso_time(info.not_before, nb, sizeof(nb));
		iso_time(info.not_after, na, sizeof(na));
		printf("%sanchor %zu\n", i > 0 ? "\n" : "", i + 1);
		printf("  subject:   %s\n", info.subject);
		printf("  sha256:    %s\n", info.sha256);
		printf("  validity:  %s .. %s (%s)\n", nb, na,
		       info.valid_now ? "valid now" : "NOT valid now");
		printf("  file:      %s\n", ks_trust_anchor_source(t, i));
	}
	for (i = 0; i < ks_trust_note_count(t); i++)
		printf("note: %s\n", ks_trust_note(t, i)->text);
	return 0;
}

static int list_json(const struct ks_trust *t)
{
	struct ks_trust_cert_info info;
	json_t *root = json_object(), *arr = json_array(), *notes = json_array(), *o;
	char nb[32], na[32], *s = NULL;
	size_t i;
	int rc = -1;

	if (root == NULL || arr == NULL || notes == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < ks_trust_anchor_count(t); i++) {
		KS_GUARD(ks_trust_cert_info(ks_trust_anchor(t, i), 0, &info));
		iso_time(info.not_before, nb, sizeof(nb));
		iso_time(info.not_after, na, sizeof(na));
		o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "subject", info.subject, "sha256",
			      info.sha256, "not_before", nb, "not_after", na, "valid_now",
			      info.valid_now, "file", ks_trust_anchor_source(t, i));
		if (o == NULL || json_array_append_new(arr, o) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < ks_trust_note_count(t); i++)
		if (json_array_append_new(notes, json_string(ks_trust_note(t, i)->text)) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (json_object_set_new(root, "anchors", arr) != 0) {
		arr = NULL;
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	arr = NULL;
	if (json_object_set_new(root, "notes", notes) != 0) {
		notes = NULL;
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	notes = NULL;
	s = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (s == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	printf("%s\n", s);
	rc = 0;
out:
	free(s);
	json_decref(arr);
	json_decref(notes);
	json_decref(root);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	enum { O_TRUST = 1, O_JSON, O_HELP };
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, O_TRUST },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *paths[TRUST_PATHS_MAX];
	struct ks_cli_seen seen = { 0 };
	struct ks_trust *t = NULL;
	size_t n = 0;
	bool json = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_TRUST:
			if (n >= TRUST_PATHS_MAX) {
				KS_SET(KS_ERR_USAGE, "at most %d --trust", TRUST_PATHS_MAX);
				goto usage_error;
			}
			paths[n++] = optarg;
			break;
		case O_JSON:
			if (ks_cli_once(&seen, "json") < 0)
				goto usage_error;
			json = true;
			break;
		case O_HELP:
			usage(stdout);
			return KS_EXIT_OK;
		default:
			KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto usage_error;
		}
	}
	if (optind < argc) {
		KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
		goto usage_error;
	}
	if (n == 0) {
		KS_SET(KS_ERR_USAGE, "no trust anchors configured: give --trust FILE|DIR");
		goto usage_error;
	}
	if (load_store(paths, n, &t) < 0) {
		ks_cli_error("trust list");
		return KS_EXIT_USAGE;
	}
	rc = json ? list_json(t) : list_text(t);
	ks_trust_free(t);
	if (rc < 0) {
		ks_cli_error("trust list");
		return KS_EXIT_USAGE;
	}
	return KS_EXIT_OK;
usage_error:
	ks_cli_error("trust list");
	return KS_EXIT_USAGE;
}

/* ---- check ------------------------------------------------------------ */

struct check_args {
	const char *cert, *issuer, *cache, *at;
	const char *trust[TRUST_PATHS_MAX];
	size_t n_trust;
	const char *ocsp[REV_FILES_MAX], *crl[REV_FILES_MAX];
	size_t n_ocsp, n_crl;
	bool offline, no_cache, no_ocsp, no_crl, allow_no_nonce, json;
	long timeout_ms;
};

static int parse_check(int argc, char **argv, struct check_args *a)
{
	enum {
		O_CERT = 1,
		O_ISSUER,
		O_TRUST,
		O_OCSP,
		O_CRL,
		O_OFFLINE,
		O_CACHE,
		O_NO_CACHE,
		O_NO_OCSP,
		O_NO_CRL,
		O_NONONCE,
		O_AT,
		O_TIMEOUT,
		O_JSON,
		O_HELP
	};
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, O_CERT },
		{ "issuer", required_argument, NULL, O_ISSUER },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "ocsp", required_argument, NULL, O_OCSP },
		{ "crl", required_argument, NULL, O_CRL },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "no-cache", no_argument, NULL, O_NO_CACHE },
		{ "no-ocsp", no_argument, NULL, O_NO_OCSP },
		{ "no-crl", no_argument, NULL, O_NO_CRL },
		{ "allow-no-nonce", no_argument, NULL, O_NONONCE },
		{ "at", required_argument, NULL, O_AT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cli_seen seen = { 0 };
	struct ks_cur cur;
	uint64_t v = 0;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *name = c > 0 && c <= O_HELP ? opts[c - 1].name : "";

		if (c != O_TRUST && c != O_OCSP && c != O_CRL && c > 0 && c <= O_HELP &&
		    ks_cli_once(&seen, name) < 0)
			return -1;
		switch (c) {
		case O_CERT:
			a->cert = optarg;
			break;
		case O_ISSUER:
			a->issuer = optarg;
			break;
		case O_TRUST:
			if (a->n_trust >= TRUST_PATHS_MAX)
				return KS_SET(KS_ERR_USAGE, "at most %d --trust", TRUST_PATHS_MAX);
			a->trust[a->n_trust++] = optarg;
			break;
		case O_OCSP:
			if (a->n_ocsp >= REV_FILES_MAX)
				return KS_SET(KS_ERR_USAGE, "at most %d --ocsp", REV_FILES_MAX);
			a->ocsp[a->n_ocsp++] = optarg;
			break;
		case O_CRL:
			if (a->n_crl >= REV_FILES_MAX)
				return KS_SET(KS_ERR_USAGE, "at most %d --crl", REV_FILES_MAX);
			a->crl[a->n_crl++] = optarg;
			break;
		case O_OFFLINE:
			a->offline = true;
			break;
		case O_CACHE:
			a->cache = optarg;
			break;
		case O_NO_CACHE:
			a->no_cache = true;
			break;
		case O_NO_OCSP:
			a->no_ocsp = true;
			break;
		case O_NO_CRL:
			a->no_crl = true;
			break;
		case O_NONONCE:
			a->allow_no_nonce = true;
			break;
		case O_AT:
			a->at = optarg;
			break;
		case O_TIMEOUT:
			ks_cur_init(&cur, optarg, strlen(optarg));
			if (ks_cur_decimal(&cur, 3, TIMEOUT_S_MAX, &v) < 0 || !ks_cur_eof(&cur) ||
			    v == 0)
				return KS_SET(KS_ERR_USAGE, "--timeout must be 1 to %d seconds",
					      TIMEOUT_S_MAX);
			a->timeout_ms = (long)v * 1000;
			break;
		case O_JSON:
			a->json = true;
			break;
		case O_HELP:
			usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	if (a->cert == NULL)
		return KS_SET(KS_ERR_USAGE, "--cert is required");
	if (a->cache != NULL && a->no_cache)
		return KS_SET(KS_ERR_USAGE, "--cache and --no-cache exclude each other");
	return 0;
}

static int load_rev_file(struct ks_rev_data *d, const char *path, enum ks_rev_kind kind)
{
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, KS_REV_CRL_MAX);
	if (ks_file_read(path, KS_REV_CRL_MAX, &b) < 0)
		goto out;
	if (kind == KS_REV_CRL)
		rc = ks_rev_data_add_crl(d, b.data, b.len);
	else if (ks_rev_data_add_ocsp(d, b.data, b.len) == 0)
		rc = 0;
	else
		rc = ks_rev_data_add_basic_ocsp(d, b.data, b.len);
	if (rc < 0) {
		char why[KS_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", ks_err_msg());
		KS_SET(ks_err_code(), "'%s': %s", path, why);
	}
out:
	ks_buf_cleanup(&b);
	return rc;
}

static void print_text(const struct ks_rev_result *r)
{
	const struct ks_rev_evidence *ev = &r->evidence;
	char t[32], who[400];
	size_t i;

	printf("status: %s\n", ks_rev_status_name(r->status));
	if (r->status == KS_REV_REVOKED) {
		iso_time(r->revocation_time, t, sizeof(t));
		printf("revoked: %s%s%s\n", t, r->reason != KS_REV_REASON_NONE ? ", reason " : "",
		       ks_rev_reason_name(r->reason));
	}
	if (r->status != KS_REV_UNAVAILABLE) {
		printf("evidence: %s from %s: %s\n", ks_rev_kind_name(ev->kind),
		       ks_rev_source_name(ev->source), ev->where);
		iso_time(ev->this_update, t, sizeof(t));
		printf("  this update: %s\n", t);
		if (ev->next_update != 0) {
			iso_time(ev->next_update, t, sizeof(t));
			printf("  next update: %s\n", t);
		}
		if (ev->produced_at != 0) {
			iso_time(ev->produced_at, t, sizeof(t));
			printf("  produced at: %s\n", t);
		}
		if (ev->signer != NULL) {
			X509_NAME_oneline(X509_get_subject_name(ev->signer), who, sizeof(who));
			printf("  signed by:   %s%s\n", who,
			       ev->delegated ? " (delegated responder)" : "");
		}
		if (ev->source == KS_REV_SRC_OCSP_URL)
			printf("  nonce:       %s\n", ev->nonce_matched
							  ? "matched"
							  : "absent (allowed by --allow-no-nonce)");
		printf("  der:         %zu bytes\n", ev->der.len);
	}
	for (i = 0; i < r->n_attempts; i++)
		printf("attempt %zu: %s %s %s: %s: %s\n", i + 1,
		       ks_rev_kind_name(r->attempts[i].kind),
		       ks_rev_source_name(r->attempts[i].source), r->attempts[i].where,
		       ks_rev_failure_name(r->attempts[i].failure), r->attempts[i].reason);
	if (r->status == KS_REV_UNAVAILABLE)
		printf("try later: %s\n", ks_rev_result_try_later(r) ? "yes" : "no");
}

static int print_json(const struct ks_rev_result *r)
{
	const struct ks_rev_evidence *ev = &r->evidence;
	json_t *root = json_object(), *arr = json_array(), *o;
	char t[32], u[32], p[32], who[400], *s = NULL;
	size_t i;
	int rc = -1;

	if (root == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (json_object_set_new(root, "status", json_string(ks_rev_status_name(r->status))) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (r->status == KS_REV_REVOKED) {
		iso_time(r->revocation_time, t, sizeof(t));
		if (json_object_set_new(root, "revocation_time", json_string(t)) != 0 ||
		    json_object_set_new(root, "reason",
					json_string(ks_rev_reason_name(r->reason))) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	if (r->status != KS_REV_UNAVAILABLE) {
		iso_time(ev->this_update, t, sizeof(t));
		iso_time(ev->next_update, u, sizeof(u));
		iso_time(ev->produced_at, p, sizeof(p));
		who[0] = '\0';
		if (ev->signer != NULL)
			X509_NAME_oneline(X509_get_subject_name(ev->signer), who, sizeof(who));
		o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b, s:b, s:s, s:I}", "kind",
			      ks_rev_kind_name(ev->kind), "source", ks_rev_source_name(ev->source),
			      "where", ev->where, "this_update", t, "next_update",
			      ev->next_update != 0 ? u : NULL, "produced_at",
			      ev->produced_at != 0 ? p : NULL, "nonce_matched", ev->nonce_matched,
			      "delegated", ev->delegated, "signer", who, "der_bytes",
			      (json_int_t)ev->der.len);
		if (o == NULL || json_object_set_new(root, "evidence", o) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < r->n_attempts; i++) {
		o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s}", "kind", ks_rev_kind_name(r->attempts[i].kind),
		    "source", ks_rev_source_name(r->attempts[i].source), "where",
		    r->attempts[i].where, "failure", ks_rev_failure_name(r->attempts[i].failure),
		    "reason", r->attempts[i].reason);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	if (json_object_set_new(root, "attempts", arr) != 0) {
		arr = NULL;
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	arr = NULL;
	if (r->status == KS_REV_UNAVAILABLE &&
	    json_object_set_new(root, "try_later", json_boolean(ks_rev_result_try_later(r))) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (json_object_set_new(root, "no_nonce_allowed",
				json_boolean((r->notes & KS_REV_NOTE_NO_NONCE) != 0)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	s = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (s == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	printf("%s\n", s);
	rc = 0;
out:
	free(s);
	json_decref(arr);
	json_decref(root);
	return rc;
}

/* The issuer: --issuer, else the certificates after the first of --cert,
 * else the anchors. */
static X509 *find_issuer(X509 *cert, STACK_OF(X509) * extra, const struct ks_trust *t,
			 struct ks_trust_pool **pool)
{
	if (t == NULL || ks_trust_pool_new(t, pool) < 0)
		return NULL;
	if (ks_trust_pool_add_stack(*pool, extra) < 0)
		return NULL;
	return ks_trust_pool_find_issuer(*pool, cert);
}

static int cmd_check(int argc, char **argv)
{
	struct check_args a;
	struct ks_rev_opts o;
	struct ks_rev_result r;
	struct ks_rev_data *doc = NULL;
	struct ks_trust *t = NULL;
	struct ks_trust_pool *pool = NULL;
	STACK_OF(X509) *certs = NULL, *extra = NULL;
	X509 *cert = NULL, *issuer = NULL;
	time_t at = 0;
	size_t i;
	int rc = KS_EXIT_USAGE, p;

	ks_rev_result_init(&r);
	p = parse_check(argc, argv, &a);
	if (p == 1) {
		rc = KS_EXIT_OK;
		goto done;
	}
	if (p < 0 || (a.at != NULL && ks_cli_parse_time(a.at, &at) < 0))
		goto fail;
	if (ks_pem_load_certs(a.cert, &certs) < 0)
		goto fail;
	cert = sk_X509_value(certs, 0);
	if (a.issuer != NULL) {
		if (ks_pem_load_certs(a.issuer, &extra) < 0)
			goto fail;
	} else {
		extra = sk_X509_new_null();
		for (i = 1; extra != NULL && i < (size_t)sk_X509_num(certs); i++)
			if (sk_X509_push(extra, sk_X509_value(certs, (int)i)) <= 0)
				break;
		if (extra == NULL) {
			KS_SET(KS_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (ks_trust_new(&t) < 0 || ks_trust_add_anchor_paths(t, a.trust, a.n_trust) < 0)
		goto fail;
	ks_err_clear();
	issuer = find_issuer(cert, extra, t, &pool);
	if (issuer == NULL) {
		if (ks_err_code() == KS_OK)
			KS_SET(KS_ERR_NOT_FOUND,
			       "the issuer of the certificate was not found: give --issuer");
		goto fail;
	}
	if (ks_rev_data_new(&doc) < 0)
		goto fail;
	for (i = 0; i < a.n_ocsp; i++)
		if (load_rev_file(doc, a.ocsp[i], KS_REV_OCSP) < 0)
			goto fail;
	for (i = 0; i < a.n_crl; i++)
		if (load_rev_file(doc, a.crl[i], KS_REV_CRL) < 0)
			goto fail;
	ks_rev_opts_init(&o);
	o.offline = a.offline;
	o.allow_no_nonce = a.allow_no_nonce;
	o.no_ocsp = a.no_ocsp;
	o.no_crl = a.no_crl;
	o.cache_dir = a.no_cache ? "" : a.cache;
	o.ocsp_http.timeout_ms = a.timeout_ms;
	o.crl_http.timeout_ms = a.timeout_ms;
	if (ks_rev_check(cert, issuer, at, doc, &o, &r) < 0)
		goto fail;
	if ((a.json ? print_json(&r) : (print_text(&r), 0)) < 0)
		goto fail;
	rc = r.status == KS_REV_GOOD      ? KS_EXIT_OK
	     : r.status == KS_REV_REVOKED ? KS_EXIT_FAILED
					  : KS_EXIT_INDETERMINATE;
	goto done;
fail:
	ks_cli_error("trust check");
	rc = KS_EXIT_USAGE;
done:
	ks_http_thread_cleanup();
	ks_rev_result_cleanup(&r);
	ks_rev_data_free(doc);
	ks_trust_pool_free(pool);
	ks_trust_free(t);
	sk_X509_free(a.issuer != NULL ? NULL : extra);
	if (a.issuer != NULL)
		sk_X509_pop_free(extra, X509_free);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

int ks_cli_trust(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? KS_EXIT_USAGE : KS_EXIT_OK;
	}
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "kyso trust: unknown subcommand '%s' (list or check)\n", argv[1]);
	return KS_EXIT_USAGE;
}
