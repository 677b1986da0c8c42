/* ks_tsa_client: obtaining an RFC 3161 timestamp over HTTP.
 *
 * The configured TSA URLs are tried in order; the first whose answer
 * passes every check of ks_tsp_resp_check (status, message imprint,
 * nonce, the token's signature, the TSA certificate's timeStamping
 * extended key usage and ESS binding) is used.  When none does, the call
 * fails with an error naming each TSA and what went wrong with it (down,
 * slow, too big, wrong type, HTTP status, refused, wrong imprint, wrong
 * nonce, unfit certificate): a caller never proceeds without the
 * timestamp it asked for. */
#ifndef KS_TSA_CLIENT_H
#define KS_TSA_CLIENT_H

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "formats/tsp/ks_tsp.h"
#include "signer/ks_http.h"

#define KS_TSA_URLS_MAX 8
#define KS_TSA_QUERY_TYPE "application/timestamp-query" /* RFC 3161 3.4 */
#define KS_TSA_REPLY_TYPE "application/timestamp-reply"

struct ks_tsa_client {
	const char *urls[KS_TSA_URLS_MAX]; /* not owned */
	size_t n_urls;
	/* Time limits; the body limit (KS_TSP_RESP_MAX) and the expected
	 * Content-Type are set by the client. */
	struct ks_http_opts http;
	X509 *tsa_cert;         /* optional: the TSA certificate expected */
	STACK_OF(X509) * extra; /* optional: more certificates to find it in */
	const char *policy;     /* optional: reqPolicy (dotted OID) */
};

void ks_tsa_client_init(struct ks_tsa_client *c);
/* KS_ERR_LIMIT past KS_TSA_URLS_MAX, KS_ERR_ARG for a URL that is not
 * http(s). */
KS_WUR int ks_tsa_client_add_url(struct ks_tsa_client *c, const char *url);

/* Timestamp `digest` (`md`, n bytes).  On success the whole
 * TimeStampResp DER is appended to `resp` (what a .tsr file holds),
 * *token is the checked token (the caller frees it; pass NULL to not
 * keep it) and *used (may be NULL) the index of the URL that answered.
 * On failure nothing is appended; the error code is the last TSA's and
 * the message lists every TSA tried. */
KS_WUR int ks_tsa_timestamp(const struct ks_tsa_client *c, enum ks_md md, const uint8_t *digest,
			    size_t n, struct ks_buf *resp, struct ks_tsp_token **token,
			    size_t *used);

/* Path of a verified token's TSA certificate (ks_tsp_token_signer) to
 * `trust` at time `at` (0: the token's genTime), with the timestamp
 * signing purpose, the token's certificates and `untrusted` (may be
 * NULL) as intermediates.  Revocation is not checked here.  On success
 * *chain (may be NULL) is the path, leaf first (the caller frees it).
 * -1 with KS_ERR_CERT naming the problem. */
KS_WUR int ks_tsa_verify_chain(const struct ks_tsp_token *t, X509_STORE *trust,
			       STACK_OF(X509) * untrusted, time_t at, STACK_OF(X509) * *chain);

#endif
