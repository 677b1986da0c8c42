/* libFuzzer harness for formats/tsp: the input is read as a
 * TimeStampResp, as a bare TimeStampToken and as a TimeStampReq (what a
 * TSA receives), through every parser and check that takes bytes from
 * the network or a document.
 *
 * Oracles beyond "no crash": a failed parse leaves nothing behind and
 * records an error; a parsed token's facts stay within their limits; a
 * token kyso finds sound must be one OpenSSL reads as a timestamp token
 * too (kyso may be stricter than OpenSSL, never laxer); a request kyso
 * accepts is one OpenSSL decodes to the same imprint.
 *
 * Seeds (tests/fuzz/corpus/tsp/): responses of kyso's TSA and of
 * `openssl ts -reply` (granted, rejections, without certificates), bare
 * tokens, requests from `openssl ts -query` and kyso, and broken ones. */
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tsp/ks_tsp.h"
#include "formats/tsp/ks_tsp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const struct ks_tsp_token *t)
{
	const struct ks_tsp_info *i = ks_tsp_token_info(t);

	if (i->serial_len > KS_TSP_SERIAL_MAX || i->nonce_len > KS_TSP_NONCE_MAX ||
	    i->imprint_len == 0 || i->imprint_len > sizeof(i->imprint) ||
	    strlen(i->serial_hex) != 2 * i->serial_len || i->gen_time_us >= 1000000 ||
	    i->accuracy_us > (uint64_t)KS_TSP_ACCURACY_SECONDS_MAX * 1000000u + 999999u ||
	    i->policy[0] == '\0' || ks_tsp_token_der(t)->len == 0)
		abort();
}

/* OpenSSL must read a token kyso found sound. */
static void openssl_reads(const struct ks_tsp_token *t)
{
	const struct ks_buf *der = ks_tsp_token_der(t);
	const unsigned char *p = der->data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)der->len);
	TS_TST_INFO *tst = p7 != NULL ? PKCS7_to_TS_TST_INFO(p7) : NULL;

	if (tst == NULL)
		abort();
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
}

static void exercise_token(struct ks_tsp_token *t)
{
	struct ks_tsp_verdict v;
	struct ks_tsp_req req;
	static const uint8_t d[32] = { 0 };

	check_info(t);
	if (ks_tsp_token_verify(t, NULL, NULL, &v) < 0)
		return;
	if (v.indication == KS_IND_TOTAL_PASSED) {
		if (ks_tsp_token_signer(t) == NULL)
			abort();
		openssl_reads(t);
	} else if (ks_tsp_token_signer(t) != NULL) {
		abort();
	}
	/* Matching a request of ours cannot succeed: its nonce is fresh. */
	if (ks_tsp_req_init(&req, KS_MD_SHA256, d, sizeof(d), NULL) == 0 &&
	    ks_tsp_token_match(t, &req) == 0)
		abort();
	ks_tsp_req_cleanup(&req);
	if (ks_tsp_token_match_imprint(t, KS_MD_SHA256, d, sizeof(d)) < 0)
		ks_err_clear();
}

static void as_query(const uint8_t *data, size_t size)
{
	struct ks_tsp_query q;
	enum ks_tsp_failure f = KS_TSP_FAIL_SYSTEM_FAILURE;

	if (ks_tsp_query_parse(data, size, &q, &f) == 0) {
		const unsigned char *p = data;
		TS_REQ *tq = d2i_TS_REQ(NULL, &p, (long)size);

		if (tq == NULL ||
		    ks_md_size(q.md) != (size_t)ASN1_STRING_length(
					    TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(tq))))
			abort();
		TS_REQ_free(tq);
	} else if (ks_err_code() == KS_OK) {
		abort();
	}
	ks_tsp_query_cleanup(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_tsp_resp r;
	struct ks_tsp_token *t = NULL;

	ks_err_clear();
	if (ks_tsp_resp_parse(data, size, &r) == 0) {
		if ((r.status <= KS_TSP_GRANTED_WITH_MODS) != (r.token != NULL))
			abort();
		if (r.token != NULL)
			exercise_token(r.token);
		ks_tsp_resp_cleanup(&r);
	} else if (r.token != NULL || ks_err_code() == KS_OK) {
		abort(); /* a failure leaves nothing, and says why */
	}
	ks_err_clear();
	if (ks_tsp_token_parse(data, size, &t) == 0) {
		exercise_token(t);
		ks_tsp_token_free(t);
	} else if (t != NULL || ks_err_code() == KS_OK) {
		abort();
	}
	ks_err_clear();
	as_query(data, size);
	ERR_clear_error();
	ks_err_clear();
	return 0;
}
