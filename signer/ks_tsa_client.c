/* RFC 3161 over HTTP (RFC 3161 3.4): several TSAs in order, each answer
 * checked before it is used. */
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ks_crypto.h"
#include "ks_log.h"
#include "signer/ks_tsa_client.h"

#define SUMMARY_MAX 900 /* room for every TSA's failure in one message */

void ks_tsa_client_init(struct ks_tsa_client *c)
{
	memset(c, 0, sizeof(*c));
	ks_http_opts_init(&c->http);
}

int ks_tsa_client_add_url(struct ks_tsa_client *c, const char *url)
{
	if (c->n_urls >= KS_TSA_URLS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d TSA URLs", KS_TSA_URLS_MAX);
	if (url == NULL ||
	    (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
		return KS_SET(KS_ERR_ARG, "TSA URL '%.200s' is not http:// or https://",
			      url != NULL ? url : "");
	c->urls[c->n_urls++] = url;
	return 0;
}

/* One TSA: request, HTTP, checks. */
static int try_one(const struct ks_tsa_client *c, const char *url, const struct ks_tsp_req *req,
		   struct ks_buf *resp, struct ks_tsp_token **token)
{
	struct ks_http_opts o = c->http;
	struct ks_buf body;
	int rc = -1;

	ks_buf_init(&body, KS_TSP_RESP_MAX);
	o.accept = KS_TSA_REPLY_TYPE;
	o.max_body = KS_TSP_RESP_MAX;
	KS_GUARD(ks_http_post(url, KS_TSA_QUERY_TYPE, req->der.data, req->der.len, &o, &body));
	KS_GUARD(ks_tsp_resp_check(body.data, body.len, req, c->tsa_cert, c->extra, token));
	KS_GUARD(ks_buf_append(resp, body.data, body.len));
	rc = 0;
out:
	if (rc < 0 && *token != NULL) {
		ks_tsp_token_free(*token);
		*token = NULL;
	}
	ks_buf_cleanup(&body);
	return rc;
}

int ks_tsa_timestamp(const struct ks_tsa_client *c, enum ks_md md, const uint8_t *digest, size_t n,
		     struct ks_buf *resp, struct ks_tsp_token **token, size_t *used)
{
	struct ks_tsp_req req;
	struct ks_tsp_token *tok = NULL;
	enum ks_err_code last = KS_ERR_TSP;
	char summary[SUMMARY_MAX];
	size_t i, len = 0;
	int w, rc = -1;

	summary[0] = '\0';
	if (token != NULL)
		*token = NULL;
	memset(&req, 0, sizeof(req));
	if (c->n_urls == 0)
		KS_BAIL(KS_ERR_ARG, "no TSA URL configured");
	for (i = 0; i < c->n_urls; i++) {
		/* A fresh request (and nonce) for each TSA: an answer from one
		 * cannot be passed off as another's. */
		ks_tsp_req_cleanup(&req);
		KS_GUARD(ks_tsp_req_init(&req, md, digest, n, c->policy));
		if (try_one(c, c->urls[i], &req, resp, &tok) == 0) {
			if (used != NULL)
				*used = i;
			if (token != NULL) {
				*token = tok;
				tok = NULL;
			}
			if (i > 0)
				ks_log(KS_LOG_WARN, "timestamp from TSA %zu of %zu after: %s",
				       i + 1, c->n_urls, summary);
			rc = 0;
			goto out;
		}
		last = ks_err_code();
		if (c->n_urls > 1)
			ks_log(KS_LOG_WARN, "TSA %zu of %zu: %s", i + 1, c->n_urls, ks_err_msg());
		if (c->n_urls == 1)
			w = snprintf(summary, sizeof(summary), "%s", ks_err_msg());
		else
			w = snprintf(summary + len, sizeof(summary) - len, "%s[%zu] %s",
				     i > 0 ? "; " : "", i + 1, ks_err_msg());
		if (w > 0)
			len = (size_t)w < sizeof(summary) - len ? len + (size_t)w
								: sizeof(summary) - 1;
	}
	KS_SET(last, "%s%s", c->n_urls > 1 ? "no TSA gave a valid timestamp: " : "", summary);
out:
	ks_tsp_token_free(tok);
	ks_tsp_req_cleanup(&req);
	return rc;
}

int ks_tsa_verify_chain(const struct ks_tsp_token *t, X509_STORE *trust, STACK_OF(X509) * untrusted,
			time_t at, STACK_OF(X509) * *chain)
{
	struct ks_crypto_path_req req = { 0 };
	struct ks_crypto_path path = { 0 };
	X509 *signer = ks_tsp_token_signer(t);
	char why[KS_CRYPTO_WHY_MAX];
	int rc = -1;

	if (chain != NULL)
		*chain = NULL;
	if (signer == NULL)
		KS_BAIL(KS_ERR_ARG, "the token has not been verified");
	if (trust == NULL)
		KS_BAIL(KS_ERR_ARG, "no trust anchors");
	req.trust = trust;
	req.carried = ks_tsp_token_certs(t);
	req.untrusted = untrusted;
	req.at = at != 0 ? at : ks_tsp_token_info(t)->gen_time;
	/* The EKU of every certificate in the path must allow timestamps. */
	req.purpose = X509_PURPOSE_TIMESTAMP_SIGN;
	KS_GUARD(ks_crypto_path_build(signer, &req, &path));
	if (path.chain == NULL)
		KS_BAIL(KS_ERR_CERT, "TSA certificate path: %s (depth %d)",
			ks_crypto_path_error(&path), path.depth);
	/* The minimums every signature kyso makes or verifies is held to. */
	if (!ks_crypto_path_ok(signer, path.chain, why, sizeof(why)))
		KS_BAIL(KS_ERR_CERT, "TSA %s", why);
	if (chain != NULL) {
		*chain = path.chain;
		path.chain = NULL;
	}
	rc = 0;
out:
	ks_crypto_path_cleanup(&path);
	return rc;
}
