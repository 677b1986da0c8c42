/* ks_tsp_server: the responder of a time-stamping authority (RFC 3161).
 *
 * One function answers one TimeStampReq with one TimeStampResp: a token
 * (a SignedData over a TSTInfo, eContentType id-ct-TSTInfo, signed
 * through struct ks_key, so the key may be on a PKCS#11 token or in a
 * file, with an ESSCertIDv2 binding the TSA certificate), or a rejection
 * with the PKIFailureInfo that says why.  TSTInfo serial numbers are 128
 * random bits: several instances never need a shared counter.  Transport
 * (HTTP) is the caller's: api/ks_tsa_http.h. */
#ifndef KS_TSP_SERVER_H
#define KS_TSP_SERVER_H

#include <openssl/ts.h>

#include "formats/tsp/ks_tsp.h"

/* A policy OID under the ITU-T/ISO example arc (2.999): a deployment
 * sets the policy its TSA publishes. */
#define KS_TSP_DEFAULT_POLICY "2.999.1"
/* Serial numbers: random octets (RFC 3161 2.4.2 wants them unique;
 * clients must handle up to 160 bits). */
#define KS_TSP_SERIAL_BYTES 16

/* ---- a request, as a TSA reads it ---- */

struct ks_tsp_query {
	TS_REQ *req; /* owned */
	int imprint_nid;
	enum ks_md md;
	bool cert_req;
	bool has_nonce;
	char policy[KS_TSP_OID_MAX]; /* reqPolicy, "" for none */
};

/* Parse a TimeStampReq (RFC 3161 2.4.1) through bounded input: exactly
 * one DER structure, version 1, a SHA-256/384/512 imprint of the right
 * length, a nonce of at most KS_TSP_NONCE_MAX octets, no extensions.  On
 * failure *fail is the PKIFailureInfo to answer with (badDataFormat,
 * badRequest, badAlg, unacceptedExtension) and the error says why.  The
 * caller cleans q up, failure included. */
KS_WUR int ks_tsp_query_parse(const uint8_t *der, size_t n, struct ks_tsp_query *q,
			      enum ks_tsp_failure *fail);
void ks_tsp_query_cleanup(struct ks_tsp_query *q);

/* ---- the responder ---- */

struct ks_tsp_server_cfg {
	struct ks_key *key;   /* not owned; must outlive the server */
	const char *policy;   /* dotted OID; NULL: KS_TSP_DEFAULT_POLICY */
	uint64_t accuracy_us; /* 0: no accuracy field */
	enum ks_md md;        /* hash of the signature (default SHA-256) */
	bool rsa_pss;         /* RSA-PSS instead of PKCS#1 v1.5 (RSA keys) */
};

struct ks_tsp_server; /* opaque; shared by threads (nothing in it changes) */

/* Refuses (KS_ERR_CERT) a key whose certificate is not fit for
 * timestamps (ks_tsp_check_tsa_cert). */
KS_WUR int ks_tsp_server_new(const struct ks_tsp_server_cfg *cfg, struct ks_tsp_server **out);
void ks_tsp_server_free(struct ks_tsp_server *s);

/* What one answer was, for a log line or an audit record. */
struct ks_tsp_issued {
	int status;                  /* KS_TSP_GRANTED or KS_TSP_REJECTION */
	enum ks_tsp_failure failure; /* with a rejection */
	char reason[200];            /* with a rejection: why, in English */
	char serial_hex[2 * KS_TSP_SERIAL_BYTES + 1];
	char gen_time[32]; /* GeneralizedTime text */
};

/* Answer the TimeStampReq `req` (n bytes): a TimeStampResp appended to
 * `resp`.  A request that cannot be honoured (malformed, an algorithm,
 * policy or extension not accepted) is answered with status rejection
 * and its failInfo (RFC 3161 2.4.2); a failure on the TSA's side
 * (clock, key) with systemFailure or timeNotAvailable.  Returns -1 only
 * when not even a rejection could be encoded.  `issued` may be NULL. */
KS_WUR int ks_tsp_server_respond(struct ks_tsp_server *s, const uint8_t *req, size_t n,
				 struct ks_buf *resp, struct ks_tsp_issued *issued);

/* A rejection alone (for a transport that could not read the request
 * at all): status rejection, `failure`, `text` as statusString. */
KS_WUR int ks_tsp_rejection(enum ks_tsp_failure failure, const char *text, struct ks_buf *resp);

#endif
