/* Reading a TimeStampReq on the TSA's side (RFC 3161 2.4.1). */
#include <openssl/err.h>
#include <string.h>

#include "formats/tsp/ks_tsp_int.h"
#include "formats/tsp/ks_tsp_server.h"
#include "ks_size.h"

void ks_tsp_query_cleanup(struct ks_tsp_query *q)
{
	TS_REQ_free(q->req);
	memset(q, 0, sizeof(*q));
}

#define FAIL(f, ...)                  \
	do {                          \
		*fail = (f);          \
		KS_BAIL(__VA_ARGS__); \
	} while (0)

int ks_tsp_query_parse(const uint8_t *der, size_t n, struct ks_tsp_query *q,
		       enum ks_tsp_failure *fail)
{
	struct ks_cur c, val;
	const unsigned char *p = der;
	unsigned char *enc = NULL;
	TS_MSG_IMPRINT *imp;
	uint8_t nonce[KS_TSP_NONCE_MAX], tag;
	size_t nlen = 0;
	bool neg = false;
	int len, elen, rc = -1;

	memset(q, 0, sizeof(*q));
	*fail = KS_TSP_FAIL_BAD_DATA_FORMAT;
	if (der == NULL || n == 0)
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, KS_ERR_TRUNCATED, "empty timestamp request");
	if (n > KS_TSP_REQ_MAX)
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, KS_ERR_LIMIT,
		     "timestamp request of %zu bytes (limit %zu)", n, KS_TSP_REQ_MAX);
	ks_cur_init(&c, der, n);
	if (ks_der_read(&c, &tag, &val) < 0)
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, ks_err_code(), "malformed timestamp request: %s",
		     ks_err_msg());
	if (tag != KS_TSP_TAG_SEQUENCE || !ks_cur_eof(&c))
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, KS_ERR_PARSE,
		     "a timestamp request is one SEQUENCE and nothing after it");
	if (ks_size_to_int(n, &len) < 0)
		goto out;
	q->req = d2i_TS_REQ(NULL, &p, len);
	if (q->req == NULL || p != der + n)
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, KS_ERR_PARSE, "malformed timestamp request");
	elen = i2d_TS_REQ(q->req, &enc);
	if (elen != len || memcmp(enc, der, n) != 0)
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, KS_ERR_PARSE,
		     "the timestamp request is not DER-encoded");
	if (TS_REQ_get_version(q->req) != 1)
		FAIL(KS_TSP_FAIL_BAD_REQUEST, KS_ERR_UNSUPPORTED,
		     "request version %ld (1 expected)", TS_REQ_get_version(q->req));
	imp = TS_REQ_get_msg_imprint(q->req);
	q->imprint_nid = ks_tsp_hash_alg_nid(TS_MSG_IMPRINT_get_algo(imp));
	if (q->imprint_nid == NID_undef)
		FAIL(KS_TSP_FAIL_BAD_ALG, KS_ERR_UNSUPPORTED,
		     "unknown hash algorithm, or one with parameters");
	if (ks_tsp_md_from_nid(q->imprint_nid, &q->md) < 0)
		FAIL(KS_TSP_FAIL_BAD_ALG, KS_ERR_UNSUPPORTED, "%s", ks_err_msg());
	if ((size_t)ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(imp)) != ks_md_size(q->md))
		FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, KS_ERR_PARSE, "a %s message imprint of %d bytes",
		     ks_md_name(q->md), ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(imp)));
	if (TS_REQ_get_policy_id(q->req) != NULL &&
	    (OBJ_obj2txt(q->policy, (int)sizeof(q->policy), TS_REQ_get_policy_id(q->req), 1) <= 0 ||
	     strlen(q->policy) >= sizeof(q->policy) - 1))
		FAIL(KS_TSP_FAIL_UNACCEPTED_POLICY, KS_ERR_PARSE, "unusable reqPolicy");
	if (TS_REQ_get_nonce(q->req) != NULL) {
		q->has_nonce = true;
		if (ks_tsp_int_bytes(TS_REQ_get_nonce(q->req), nonce, sizeof(nonce), &nlen, &neg) <
		    0)
			FAIL(KS_TSP_FAIL_BAD_DATA_FORMAT, ks_err_code(), "nonce: %s", ks_err_msg());
	}
	q->cert_req = TS_REQ_get_cert_req(q->req) != 0;
	/* No request extension is defined that this TSA supports (RFC 3161
	 * 2.4.2: unacceptedExtension). */
	if (TS_REQ_get_ext_count(q->req) > 0)
		FAIL(KS_TSP_FAIL_UNACCEPTED_EXTENSION, KS_ERR_UNSUPPORTED,
		     "request extensions are not supported");
	rc = 0;
out:
	OPENSSL_free(enc);
	ERR_clear_error();
	return rc;
}
