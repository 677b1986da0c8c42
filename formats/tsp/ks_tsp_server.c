/* The TSA responder (RFC 3161 2.4.2): TSTInfo from the request, the
 * clock and the configuration; the token signed through ks_key by the
 * CMS builder of formats/cms (an attached SignedData, eContentType
 * id-ct-TSTInfo, ESSCertIDv2); the TimeStampResp around it. */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tsp/ks_tsp_int.h"
#include "formats/tsp/ks_tsp_server.h"
#include "ks_codec.h"

#define RESP_MAX ((size_t)256 << 10)
#define US_PER_S 1000000u

struct ks_tsp_server {
	struct ks_key *key;
	ASN1_OBJECT *policy;
	char policy_text[KS_TSP_OID_MAX];
	TS_ACCURACY *accuracy; /* NULL: none */
	uint64_t accuracy_us;
	enum ks_md md;
	enum ks_sig_scheme scheme;
};

void ks_tsp_server_free(struct ks_tsp_server *s)
{
	if (s == NULL)
		return;
	ASN1_OBJECT_free(s->policy);
	TS_ACCURACY_free(s->accuracy);
	free(s);
}

/* seconds, millis (1..999), micros (1..999); zero parts left out. */
static int make_accuracy(uint64_t us, TS_ACCURACY **out)
{
	ASN1_INTEGER *v = NULL;
	TS_ACCURACY *a = NULL;
	uint64_t part[3];
	int i, rc = -1;

	*out = NULL;
	if (us == 0)
		return 0;
	if (us / US_PER_S > KS_TSP_ACCURACY_SECONDS_MAX)
		KS_BAIL(KS_ERR_ARG, "accuracy above %d seconds", KS_TSP_ACCURACY_SECONDS_MAX);
	part[0] = us / US_PER_S;
	part[1] = us / 1000 % 1000;
	part[2] = us % 1000;
	a = TS_ACCURACY_new();
	if (a == NULL)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "accuracy");
	for (i = 0; i < 3; i++) {
		int ok;

		if (part[i] == 0)
			continue;
		v = ASN1_INTEGER_new();
		if (v == NULL || ASN1_INTEGER_set_uint64(v, part[i]) != 1)
			KS_BAIL_OSSL(KS_ERR_NOMEM, "accuracy");
		ok = i == 0   ? TS_ACCURACY_set_seconds(a, v)
		     : i == 1 ? TS_ACCURACY_set_millis(a, v)
			      : TS_ACCURACY_set_micros(a, v);
		if (ok != 1)
			KS_BAIL_OSSL(KS_ERR_NOMEM, "accuracy");
		ASN1_INTEGER_free(v);
		v = NULL;
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	ASN1_INTEGER_free(v);
	TS_ACCURACY_free(a);
	return rc;
}

int ks_tsp_server_new(const struct ks_tsp_server_cfg *cfg, struct ks_tsp_server **out)
{
	struct ks_tsp_server *s = NULL;
	const char *policy = cfg->policy != NULL ? cfg->policy : KS_TSP_DEFAULT_POLICY;
	int rc = -1;

	*out = NULL;
	if (cfg->key == NULL || cfg->key->cert == NULL)
		KS_BAIL(KS_ERR_ARG, "a TSA needs a signing key and its certificate");
	if (ks_md_evp(cfg->md) == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)cfg->md);
	if (cfg->rsa_pss && cfg->key->type != KS_KEY_RSA)
		KS_BAIL(KS_ERR_ARG, "RSA-PSS needs an RSA key");
	if (ks_tsp_check_tsa_cert(cfg->key->cert) < 0)
		KS_BAIL(KS_ERR_CERT, "'%s' cannot sign timestamps: %s", cfg->key->label,
			ks_err_msg());
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (strlen(policy) >= sizeof(s->policy_text))
		KS_BAIL(KS_ERR_LIMIT, "policy OID too long");
	s->policy = OBJ_txt2obj(policy, 1);
	if (s->policy == NULL)
		KS_BAIL_OSSL(KS_ERR_ARG, "policy '%.64s' is not a dotted OID", policy);
	memcpy(s->policy_text, policy, strlen(policy) + 1);
	KS_GUARD(make_accuracy(cfg->accuracy_us, &s->accuracy));
	s->accuracy_us = cfg->accuracy_us;
	s->key = cfg->key;
	s->md = cfg->md;
	s->scheme = cfg->rsa_pss ? KS_SIG_RSA_PSS : ks_key_default_scheme(cfg->key);
	*out = s;
	s = NULL;
	rc = 0;
out:
	ERR_clear_error();
	ks_tsp_server_free(s);
	return rc;
}

/* ---- DER of the response ---- */

/* TimeStampResp with status rejection (RFC 3161 2.4.2):
 *   SEQUENCE { SEQUENCE { INTEGER 2, SEQUENCE { UTF8String text },
 *                         BIT STRING failInfo } } */
int ks_tsp_rejection(enum ks_tsp_failure failure, const char *text, struct ks_buf *resp)
{
	static const uint8_t status[] = { KS_TSP_TAG_INTEGER, 1, KS_TSP_REJECTION };
	struct ks_buf si, tmp;
	uint8_t bits[1 + 4] = { 0 };
	size_t nb = (size_t)failure / 8 + 1;
	int rc = -1;

	ks_buf_init(&si, RESP_MAX);
	ks_buf_init(&tmp, RESP_MAX);
	if ((unsigned)failure > 31)
		KS_BAIL(KS_ERR_ARG, "failure bit %d", (int)failure);
	/* A named bit list in DER: trailing zero bits dropped (X.690
	 * 11.2.2), so the last octet holds the bit and the rest is unused. */
	bits[0] = (uint8_t)(7 - (unsigned)failure % 8);
	bits[nb] = (uint8_t)(0x80u >> ((unsigned)failure % 8));
	KS_GUARD(ks_buf_append(&si, status, sizeof(status)));
	if (text != NULL && text[0] != '\0') {
		KS_GUARD(ks_tsp_der_tlv(&tmp, KS_TSP_TAG_UTF8STRING, (const uint8_t *)text,
					strnlen(text, KS_TSP_TEXT_MAX)));
		KS_GUARD(ks_tsp_der_tlv(&si, KS_TSP_TAG_SEQUENCE, tmp.data, tmp.len));
	}
	KS_GUARD(ks_tsp_der_tlv(&si, KS_TSP_TAG_BIT_STRING, bits, nb + 1));
	ks_buf_reset(&tmp);
	KS_GUARD(ks_tsp_der_tlv(&tmp, KS_TSP_TAG_SEQUENCE, si.data, si.len));
	KS_GUARD(ks_tsp_der_tlv(resp, KS_TSP_TAG_SEQUENCE, tmp.data, tmp.len));
	rc = 0;
out:
	ks_buf_cleanup(&si);
	ks_buf_cleanup(&tmp);
	return rc;
}

/* SEQUENCE { SEQUENCE { INTEGER 0 }, token } */
static int granted(const struct ks_buf *token, struct ks_buf *resp)
{
	static const uint8_t status[] = { KS_TSP_TAG_SEQUENCE, 3, KS_TSP_TAG_INTEGER, 1,
					  KS_TSP_GRANTED };
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, RESP_MAX);
	KS_GUARD(ks_buf_append(&b, status, sizeof(status)));
	KS_GUARD(ks_buf_append(&b, token->data, token->len));
	KS_GUARD(ks_tsp_der_tlv(resp, KS_TSP_TAG_SEQUENCE, b.data, b.len));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* ---- TSTInfo ---- */

/* KS_TSP_SERIAL_BYTES random octets, the first in 0x40..0x7f: positive,
 * exactly that long, 126 random bits. */
static int random_serial(ASN1_INTEGER **out, char *hex, size_t cap)
{
	uint8_t raw[KS_TSP_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	if (cap < 2 * sizeof(raw) + 1)
		KS_BAIL(KS_ERR_ARG, "serial buffer too small");
	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "random serial number");
	raw[0] = (uint8_t)((raw[0] & 0x3f) | 0x40);
	bn = BN_bin2bn(raw, (int)sizeof(raw), NULL);
	*out = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (*out == NULL)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "serial number");
	for (i = 0; i < sizeof(raw); i++) {
		hex[2 * i] = ks_hex_digit(raw[i] >> 4, false);
		hex[2 * i + 1] = ks_hex_digit(raw[i], false);
	}
	hex[2 * sizeof(raw)] = '\0';
	rc = 0;
out:
	BN_free(bn);
	return rc;
}

/* genTime now, in UTC, with a fraction as fine as the accuracy promises
 * (milliseconds below a second, microseconds below a millisecond) and no
 * trailing zeros (RFC 3161 2.4.2). */
static int gen_time_now(uint64_t accuracy_us, ASN1_GENERALIZEDTIME **out, char *text, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char frac[8] = "";
	unsigned long f;
	int digits = 0, w, i;

	*out = NULL;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    tm.tm_year + 1900 > 9999)
		return KS_SET(KS_ERR_INTERNAL, "the clock is not available");
	if (accuracy_us > 0 && accuracy_us < 1000)
		digits = 6;
	else if (accuracy_us > 0 && accuracy_us < US_PER_S)
		digits = 3;
	if (digits > 0) {
		f = (unsigned long)ts.tv_nsec / (digits == 6 ? 1000ul : 1000000ul);
		w = snprintf(frac, sizeof(frac), ".%0*lu", digits, f);
		if (w < 0 || (size_t)w >= sizeof(frac))
			return KS_SET(KS_ERR_INTERNAL, "genTime fraction");
		for (i = w - 1; i > 0 && frac[i] == '0'; i--)
			frac[i] = '\0';
		if (i == 0)
			frac[0] = '\0';
	}
	w = snprintf(text, cap, "%04d%02d%02d%02d%02d%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	if (w < 0 || (size_t)w >= cap)
		return KS_SET(KS_ERR_INTERNAL, "genTime text");
	*out = ASN1_GENERALIZEDTIME_new();
	if (*out == NULL || ASN1_GENERALIZEDTIME_set_string(*out, text) != 1) {
		ASN1_GENERALIZEDTIME_free(*out);
		*out = NULL;
		return ks_err_set_ossl(KS_ERR_INTERNAL, __FILE__, __LINE__, "genTime");
	}
	return 0;
}

/* The DER TSTInfo answering q. */
static int build_tstinfo(struct ks_tsp_server *s, const struct ks_tsp_query *q,
			 struct ks_tsp_issued *is, struct ks_buf *out, enum ks_tsp_failure *fail)
{
	TS_TST_INFO *tst = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_GENERALIZEDTIME *gt = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	*fail = KS_TSP_FAIL_SYSTEM_FAILURE;
	KS_GUARD(random_serial(&serial, is->serial_hex, sizeof(is->serial_hex)));
	if (gen_time_now(s->accuracy_us, &gt, is->gen_time, sizeof(is->gen_time)) < 0) {
		*fail = KS_TSP_FAIL_TIME_NOT_AVAILABLE;
		goto out;
	}
	tst = TS_TST_INFO_new();
	if (tst == NULL || TS_TST_INFO_set_version(tst, 1) != 1 ||
	    TS_TST_INFO_set_policy_id(tst, s->policy) != 1 ||
	    TS_TST_INFO_set_msg_imprint(tst, TS_REQ_get_msg_imprint(q->req)) != 1 ||
	    TS_TST_INFO_set_serial(tst, serial) != 1 || TS_TST_INFO_set_time(tst, gt) != 1 ||
	    (s->accuracy != NULL && TS_TST_INFO_set_accuracy(tst, s->accuracy) != 1) ||
	    (q->has_nonce && TS_TST_INFO_set_nonce(tst, TS_REQ_get_nonce(q->req)) != 1))
		KS_BAIL_OSSL(KS_ERR_NOMEM, "TSTInfo");
	len = i2d_TS_TST_INFO(tst, &der);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding TSTInfo");
	KS_GUARD(ks_buf_append(out, der, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(der);
	TS_TST_INFO_free(tst);
	ASN1_INTEGER_free(serial);
	ASN1_GENERALIZEDTIME_free(gt);
	return rc;
}

static void reject_note(struct ks_tsp_issued *is, enum ks_tsp_failure f)
{
	is->status = KS_TSP_REJECTION;
	is->failure = f;
	snprintf(is->reason, sizeof(is->reason), "%s", ks_err_msg());
	is->serial_hex[0] = '\0';
	is->gen_time[0] = '\0';
}

int ks_tsp_server_respond(struct ks_tsp_server *s, const uint8_t *req, size_t n,
			  struct ks_buf *resp, struct ks_tsp_issued *issued)
{
	struct ks_tsp_query q;
	struct ks_tsp_issued local;
	struct ks_cms_sign_opts co;
	struct ks_buf tst, token;
	enum ks_tsp_failure fail = KS_TSP_FAIL_SYSTEM_FAILURE;
	const char *text;
	int rc = -1;

	if (issued == NULL)
		issued = &local;
	memset(issued, 0, sizeof(*issued));
	ks_buf_init(&tst, KS_TSP_TSTINFO_MAX);
	ks_buf_init(&token, RESP_MAX);
	if (ks_tsp_query_parse(req, n, &q, &fail) < 0)
		goto reject;
	/* RFC 3161 2.4.2: a policy asked for that this TSA does not
	 * follow is unacceptedPolicy. */
	if (q.policy[0] != '\0' && strcmp(q.policy, s->policy_text) != 0) {
		fail = KS_TSP_FAIL_UNACCEPTED_POLICY;
		KS_SET(KS_ERR_POLICY, "policy %s is not this TSA's (%s)", q.policy, s->policy_text);
		goto reject;
	}
	if (build_tstinfo(s, &q, issued, &tst, &fail) < 0)
		goto reject;
	/* RFC 3161 2.4.1: the certificates only when certReq asks. */
	ks_cms_sign_opts_init(&co);
	co.no_certs = !q.cert_req;
	if (ks_cms_sign_encap(s->key, s->scheme, s->md, KS_TSP_OID_TSTINFO, tst.data, tst.len, &co,
			      &token) < 0) {
		fail = KS_TSP_FAIL_SYSTEM_FAILURE;
		goto reject;
	}
	KS_GUARD(granted(&token, resp));
	issued->status = KS_TSP_GRANTED;
	rc = 0;
	goto out;
reject:
	reject_note(issued, fail);
	/* What the client is told: the reason for its own mistakes, nothing
	 * about the TSA's internals. */
	text = fail == KS_TSP_FAIL_SYSTEM_FAILURE       ? "the TSA could not sign"
	       : fail == KS_TSP_FAIL_TIME_NOT_AVAILABLE ? "the TSA's clock is not available"
							: issued->reason;
	KS_GUARD(ks_tsp_rejection(fail, text, resp));
	rc = 0;
out:
	ks_tsp_query_cleanup(&q);
	ks_buf_cleanup(&tst);
	ks_buf_cleanup(&token);
	ERR_clear_error();
	return rc;
}
