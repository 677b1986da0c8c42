/* Options of the long-term levels: see ks_cli_ltv.h. */
#include "cli/ks_cli_ltv.h"

#include <string.h>

#include "ks_cur.h"

void ks_cli_ltv_init(struct ks_cli_ltv *l)
{
	memset(l, 0, sizeof(*l));
	ks_ltv_opts_init(&l->opts);
}

static int parse_timeout(const char *arg, long *out)
{
	struct ks_cur c;
	uint64_t v;

	ks_cur_init(&c, arg, strlen(arg));
	if (ks_cur_decimal(&c, 3, KS_CLI_LTV_TIMEOUT_MAX, &v) < 0 || c.left != 0 || v == 0)
		return KS_SET(KS_ERR_USAGE, "--timeout must be 1..%d seconds",
			      KS_CLI_LTV_TIMEOUT_MAX);
	*out = (long)v;
	return 0;
}

int ks_cli_ltv_option(struct ks_cli_ltv *l, const char *name, const char *arg)
{
	if (strcmp(name, "trust") == 0) {
		if (l->n_trust == KS_CLI_LTV_TRUST_MAX)
			return KS_SET(KS_ERR_USAGE, "more than %d --trust", KS_CLI_LTV_TRUST_MAX);
		l->trust[l->n_trust++] = arg;
		return 1;
	}
	if (strcmp(name, "cache") == 0) {
		l->cache = arg;
		return 1;
	}
	if (strcmp(name, "no-cache") == 0) {
		l->no_cache = true;
		return 1;
	}
	if (strcmp(name, "allow-no-nonce") == 0) {
		l->allow_no_nonce = true;
		return 1;
	}
	if (strcmp(name, "timeout") == 0)
		return parse_timeout(arg, &l->timeout_s) < 0 ? -1 : 1;
	return 0;
}

int ks_cli_ltv_open(struct ks_cli_ltv *l, const struct ks_ltv_opts **out)
{
	*out = NULL;
	if (l->cache != NULL && l->no_cache)
		return KS_SET(KS_ERR_USAGE, "--cache and --no-cache exclude each other");
	if (l->n_trust == 0)
		return 0;
	if (ks_trust_new(&l->store) < 0 ||
	    ks_trust_add_anchor_paths(l->store, l->trust, l->n_trust) < 0)
		return -1;
	l->opts.trust = l->store;
	l->opts.rev.cache_dir = l->no_cache ? "" : l->cache;
	l->opts.rev.allow_no_nonce = l->allow_no_nonce;
	if (l->timeout_s > 0) {
		l->opts.rev.ocsp_http.timeout_ms = l->timeout_s * 1000;
		l->opts.rev.crl_http.timeout_ms = l->timeout_s * 1000;
	}
	*out = &l->opts;
	return 0;
}

void ks_cli_ltv_close(struct ks_cli_ltv *l)
{
	ks_trust_free(l->store);
	l->store = NULL;
}
