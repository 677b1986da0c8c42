/* TimeStampResp (RFC 3161 2.4.2): parsing through bounded input, and
 * everything a client checks before it uses the token. */
#include <string.h>

#include "formats/tsp/ks_tsp_int.h"

#define FAIL_BITS_OCTETS_MAX 4 /* PKIFailureInfo: bits 0..31 */

void ks_tsp_resp_cleanup(struct ks_tsp_resp *r)
{
	ks_tsp_token_free(r->token);
	memset(r, 0, sizeof(*r));
}

/* statusString: PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String.
 * Kept for messages as printable ASCII (anything else becomes '?'),
 * entries joined with "; ", cut at KS_TSP_TEXT_MAX. */
static int read_text(struct ks_cur *seq, struct ks_tsp_resp *r)
{
	struct ks_cur s;
	size_t used = 0, count = 0;
	uint8_t b;

	if (ks_cur_eof(seq))
		return KS_SET(KS_ERR_PARSE, "empty statusString");
	while (!ks_cur_eof(seq)) {
		if (++count > KS_TSP_TEXTS_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %d statusString entries",
				      KS_TSP_TEXTS_MAX);
		if (ks_der_expect(seq, KS_TSP_TAG_UTF8STRING, &s) < 0)
			return -1;
		if (count > 1 && used + 2 < sizeof(r->text)) {
			memcpy(r->text + used, "; ", 2);
			used += 2;
		}
		while (!ks_cur_eof(&s) && ks_cur_u8(&s, &b) == 0)
			if (used + 1 < sizeof(r->text))
				r->text[used++] = b >= 0x20 && b < 0x7f ? (char)b : '?';
	}
	r->text[used] = '\0';
	return 0;
}

/* failInfo: a named BIT STRING; bit n is 1u << n in fail_bits. */
static int read_fail_bits(struct ks_cur *bits, struct ks_tsp_resp *r)
{
	uint8_t unused, b;
	size_t i = 0;
	int k;

	if (ks_cur_u8(bits, &unused) < 0)
		return KS_SET(KS_ERR_PARSE, "empty failInfo");
	if (unused > 7 || (unused > 0 && ks_cur_eof(bits)))
		return KS_SET(KS_ERR_PARSE, "malformed failInfo");
	if (bits->left > FAIL_BITS_OCTETS_MAX)
		return KS_SET(KS_ERR_LIMIT, "failInfo of %zu octets", bits->left);
	while (!ks_cur_eof(bits) && ks_cur_u8(bits, &b) == 0) {
		for (k = 0; k < 8; k++)
			if (b & (0x80u >> k))
				r->fail_bits |= 1u << (i * 8 + (size_t)k);
		i++;
	}
	return 0;
}

/* PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText
 * OPTIONAL, failInfo PKIFailureInfo OPTIONAL } */
static int read_status(struct ks_cur *si, struct ks_tsp_resp *r)
{
	struct ks_cur v;
	uint8_t st, tag;

	if (ks_der_expect(si, KS_TSP_TAG_INTEGER, &v) < 0)
		return -1;
	if (v.left != 1 || ks_cur_u8(&v, &st) < 0 || st > KS_TSP_REVOCATION_NOTIFICATION)
		return KS_SET(KS_ERR_PARSE, "unknown PKIStatus");
	r->status = st;
	if (!ks_cur_eof(si) && ks_cur_peek(si, &tag) == 0 && tag == KS_TSP_TAG_SEQUENCE) {
		if (ks_der_expect(si, KS_TSP_TAG_SEQUENCE, &v) < 0 || read_text(&v, r) < 0)
			return -1;
	}
	if (!ks_cur_eof(si)) {
		if (ks_der_expect(si, KS_TSP_TAG_BIT_STRING, &v) < 0 || read_fail_bits(&v, r) < 0)
			return -1;
	}
	if (!ks_cur_eof(si))
		return KS_SET(KS_ERR_PARSE, "unexpected field in PKIStatusInfo");
	return 0;
}

int ks_tsp_resp_parse(const uint8_t *der, size_t n, struct ks_tsp_resp *r)
{
	struct ks_cur c, resp, si, tok, before;
	const uint8_t *tokp = NULL;
	size_t toklen;
	uint8_t tag;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (der == NULL || n == 0)
		KS_BAIL(KS_ERR_TRUNCATED, "empty timestamp response");
	if (n > KS_TSP_RESP_MAX)
		KS_BAIL(KS_ERR_LIMIT, "timestamp response of %zu bytes (limit %zu)", n,
			KS_TSP_RESP_MAX);
	ks_cur_init(&c, der, n);
	KS_GUARD(ks_der_expect(&c, KS_TSP_TAG_SEQUENCE, &resp));
	if (!ks_cur_eof(&c))
		KS_BAIL(KS_ERR_PARSE, "%zu bytes after the timestamp response", c.left);
	KS_GUARD(ks_der_expect(&resp, KS_TSP_TAG_SEQUENCE, &si));
	KS_GUARD(read_status(&si, r));
	if (!ks_cur_eof(&resp)) {
		before = resp;
		KS_GUARD(ks_der_read(&resp, &tag, &tok));
		if (tag != KS_TSP_TAG_SEQUENCE || !ks_cur_eof(&resp))
			KS_BAIL(KS_ERR_PARSE, "unexpected field in the timestamp response");
		toklen = ks_cur_pos(&before, &resp);
		KS_GUARD(ks_cur_bytes(&before, toklen, &tokp));
		KS_GUARD(ks_tsp_token_parse(tokp, toklen, &r->token));
	}
	/* RFC 3161 2.4.2: a token with status 0 or 1, none otherwise. */
	if ((r->status == KS_TSP_GRANTED || r->status == KS_TSP_GRANTED_WITH_MODS) &&
	    r->token == NULL)
		KS_BAIL(KS_ERR_TSP, "the TSA granted a timestamp but sent no token");
	if (r->status != KS_TSP_GRANTED && r->status != KS_TSP_GRANTED_WITH_MODS &&
	    r->token != NULL)
		KS_BAIL(KS_ERR_TSP, "a token with status %s", ks_tsp_status_name(r->status));
	rc = 0;
out:
	if (rc < 0)
		ks_tsp_resp_cleanup(r);
	return rc;
}

/* "badAlg, badDataFormat" from the bits. */
static void fail_names(uint32_t bits, char *buf, size_t cap)
{
	static const enum ks_tsp_failure all[] = {
		KS_TSP_FAIL_BAD_ALG,
		KS_TSP_FAIL_BAD_REQUEST,
		KS_TSP_FAIL_BAD_DATA_FORMAT,
		KS_TSP_FAIL_TIME_NOT_AVAILABLE,
		KS_TSP_FAIL_UNACCEPTED_POLICY,
		KS_TSP_FAIL_UNACCEPTED_EXTENSION,
		KS_TSP_FAIL_ADD_INFO_NOT_AVAILABLE,
		KS_TSP_FAIL_SYSTEM_FAILURE,
	};
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!(bits & (1u << all[i])))
			continue;
		w = snprintf(buf + used, cap - used, "%s%s", used > 0 ? ", " : "",
			     ks_tsp_failure_name(all[i]));
		if (w < 0 || (size_t)w >= cap - used)
			return;
		used += (size_t)w;
	}
}

int ks_tsp_resp_check(const uint8_t *der, size_t n, const struct ks_tsp_req *req, X509 *tsa_cert,
		      STACK_OF(X509) * extra, struct ks_tsp_token **out)
{
	struct ks_tsp_resp r;
	struct ks_tsp_verdict v;
	STACK_OF(X509) * certs;
	char fails[160];
	bool carried = false;
	int i, rc = -1;

	*out = NULL;
	if (ks_tsp_resp_parse(der, n, &r) < 0) {
		KS_SET(ks_err_code(), "malformed timestamp response: %s", ks_err_msg());
		goto out;
	}
	if (r.status != KS_TSP_GRANTED && r.status != KS_TSP_GRANTED_WITH_MODS) {
		fail_names(r.fail_bits, fails, sizeof(fails));
		KS_BAIL(KS_ERR_TSP, "the TSA refused the request: %s%s%s%s%s%.300s",
			ks_tsp_status_name(r.status), fails[0] != '\0' ? " (" : "", fails,
			fails[0] != '\0' ? ")" : "", r.text[0] != '\0' ? ": " : "", r.text);
	}
	KS_GUARD(ks_tsp_token_match(r.token, req));
	KS_GUARD(ks_tsp_token_verify(r.token, tsa_cert, extra, &v));
	if (v.indication != KS_IND_TOTAL_PASSED)
		KS_BAIL(KS_ERR_TSP, "the timestamp token does not verify: %s (%s)", v.detail,
			ks_subindication_name(v.sub));
	/* RFC 3161 2.4.1: with certReq the TSA certificate MUST be in the
	 * token's certificates. */
	certs = ks_tsp_token_certs(r.token);
	for (i = 0; i < sk_X509_num(certs) && !carried; i++)
		carried = X509_cmp(sk_X509_value(certs, i), ks_tsp_token_signer(r.token)) == 0;
	if (!carried)
		KS_BAIL(KS_ERR_TSP, "the token does not carry the TSA certificate although it "
				    "was asked for (certReq, RFC 3161 2.4.1)");
	*out = r.token;
	r.token = NULL;
	rc = 0;
out:
	ks_tsp_resp_cleanup(&r);
	return rc;
}
