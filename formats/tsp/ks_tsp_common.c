/* Pieces shared by the TSP modules: names, hash identifiers, INTEGER
 * octets, genTime and DER output. */
#include <openssl/err.h>
#include <string.h>

#include "formats/tsp/ks_tsp_int.h"
#include "ks_size.h"

/* GeneralizedTime without fraction: YYYYMMDDhhmmss. */
#define GENTIME_DIGITS 14

const char *ks_tsp_status_name(int status)
{
	switch (status) {
	case KS_TSP_GRANTED:
		return "granted";
	case KS_TSP_GRANTED_WITH_MODS:
		return "grantedWithMods";
	case KS_TSP_REJECTION:
		return "rejection";
	case KS_TSP_WAITING:
		return "waiting";
	case KS_TSP_REVOCATION_WARNING:
		return "revocationWarning";
	case KS_TSP_REVOCATION_NOTIFICATION:
		return "revocationNotification";
	}
	return "unknown";
}

const char *ks_tsp_failure_name(enum ks_tsp_failure f)
{
	switch (f) {
	case KS_TSP_FAIL_BAD_ALG:
		return "badAlg";
	case KS_TSP_FAIL_BAD_REQUEST:
		return "badRequest";
	case KS_TSP_FAIL_BAD_DATA_FORMAT:
		return "badDataFormat";
	case KS_TSP_FAIL_TIME_NOT_AVAILABLE:
		return "timeNotAvailable";
	case KS_TSP_FAIL_UNACCEPTED_POLICY:
		return "unacceptedPolicy";
	case KS_TSP_FAIL_UNACCEPTED_EXTENSION:
		return "unacceptedExtension";
	case KS_TSP_FAIL_ADD_INFO_NOT_AVAILABLE:
		return "addInfoNotAvailable";
	case KS_TSP_FAIL_SYSTEM_FAILURE:
		return "systemFailure";
	}
	return "unknown";
}

int ks_tsp_hash_alg_nid(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj = NULL;
	int ptype = V_ASN1_UNDEF;

	if (alg == NULL)
		return NID_undef;
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return NID_undef;
	return OBJ_obj2nid(obj);
}

int ks_tsp_md_nid(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA256:
		return NID_sha256;
	case KS_MD_SHA384:
		return NID_sha384;
	case KS_MD_SHA512:
		return NID_sha512;
	}
	return NID_undef;
}

int ks_tsp_md_from_nid(int nid, enum ks_md *md)
{
	switch (nid) {
	case NID_sha256:
		*md = KS_MD_SHA256;
		return 0;
	case NID_sha384:
		*md = KS_MD_SHA384;
		return 0;
	case NID_sha512:
		*md = KS_MD_SHA512;
		return 0;
	}
	return KS_SET(KS_ERR_UNSUPPORTED, "hash algorithm %s is not accepted (SHA-256, -384, -512)",
		      nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown)");
}

int ks_tsp_int_bytes(const ASN1_INTEGER *v, uint8_t *buf, size_t cap, size_t *len, bool *negative)
{
	struct ks_cur c;
	const uint8_t *p;
	uint8_t b;
	int n;

	*len = 0;
	*negative = false;
	if (v == NULL)
		return KS_SET(KS_ERR_PARSE, "missing INTEGER");
	n = ASN1_STRING_length(v);
	if (n < 0)
		return KS_SET(KS_ERR_PARSE, "bad INTEGER");
	*negative = ASN1_STRING_type(v) == V_ASN1_NEG_INTEGER;
	/* OpenSSL keeps the magnitude; skip any leading zero octet so that
	 * equal values compare equal. */
	ks_cur_init(&c, ASN1_STRING_get0_data(v), (size_t)n);
	while (ks_cur_peek(&c, &b) == 0 && b == 0)
		if (ks_cur_skip(&c, 1) < 0)
			return -1;
	if (c.left > cap)
		return KS_SET(KS_ERR_LIMIT, "INTEGER of %zu octets (limit %zu)", c.left, cap);
	*len = c.left;
	if (c.left > 0) {
		if (ks_cur_bytes(&c, c.left, &p) < 0)
			return -1;
		memcpy(buf, p, *len);
	}
	return 0;
}

static bool is_digit(uint8_t b)
{
	return b >= '0' && b <= '9';
}

/* Exactly `width` decimal digits. */
static int fixed(struct ks_cur *c, size_t width, int *v)
{
	struct ks_cur t = *c, s;
	uint64_t x = 0;

	if (ks_cur_sub(&t, width, &s) < 0 || ks_cur_decimal(&s, width, 9999, &x) < 0 ||
	    !ks_cur_eof(&s))
		return -1;
	*v = (int)x;
	*c = t;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int ks_tsp_gentime_parse(const ASN1_GENERALIZEDTIME *t, time_t *secs, uint32_t *us)
{
	struct ks_cur c, digits;
	struct tm tm;
	uint32_t frac = 0, scale = 100000;
	size_t nfrac = 0;
	uint8_t b = 0, last = 0;
	int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, len;

	if (t == NULL || ASN1_STRING_type(t) != V_ASN1_GENERALIZEDTIME)
		return KS_SET(KS_ERR_PARSE, "genTime is not a GeneralizedTime");
	len = ASN1_STRING_length(t);
	if (len < 0)
		return KS_SET(KS_ERR_PARSE, "bad genTime");
	ks_cur_init(&c, ASN1_STRING_get0_data(t), (size_t)len);
	/* Fixed-width digits: exactly GENTIME_DIGITS of them before '.' or 'Z'. */
	digits = c;
	if (ks_cur_skip_while(&digits, is_digit) != GENTIME_DIGITS)
		return KS_SET(KS_ERR_PARSE, "genTime must be YYYYMMDDhhmmss[.f]Z (RFC 3161 2.4.2)");
	if (fixed(&c, 4, &year) < 0 || fixed(&c, 2, &mon) < 0 || fixed(&c, 2, &day) < 0 ||
	    fixed(&c, 2, &hour) < 0 || fixed(&c, 2, &min) < 0 || fixed(&c, 2, &sec) < 0)
		return KS_SET(KS_ERR_PARSE, "genTime must be YYYYMMDDhhmmss[.f]Z (RFC 3161 2.4.2)");
	if (year < 1950 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 59)
		return KS_SET(KS_ERR_PARSE, "genTime %.*s is not a valid time", len,
			      (const char *)ASN1_STRING_get0_data(t));
	if (ks_cur_accept(&c, ".", 1)) {
		while (ks_cur_peek(&c, &b) == 0 && is_digit(b)) {
			if (++nfrac > KS_TSP_FRACTION_MAX)
				return KS_SET(KS_ERR_LIMIT,
					      "genTime fraction of more than %d digits",
					      KS_TSP_FRACTION_MAX);
			if (ks_cur_skip(&c, 1) < 0)
				return -1;
			frac += (uint32_t)(b - '0') * scale;
			scale /= 10;
			last = b;
		}
		/* RFC 3161 2.4.2: no trailing zeros, no empty fraction. */
		if (nfrac == 0 || last == '0')
			return KS_SET(KS_ERR_PARSE, "genTime fraction is empty or ends with zero");
	}
	if (!ks_cur_accept(&c, "Z", 1) || !ks_cur_eof(&c))
		return KS_SET(KS_ERR_PARSE, "genTime must be in UTC, ending with Z");
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	*secs = timegm(&tm);
	*us = frac;
	return 0;
}

int ks_tsp_der_tlv(struct ks_buf *out, uint8_t tag, const uint8_t *v, size_t n)
{
	uint8_t hdr[6];
	size_t h = 0, total;
	int k;

	hdr[h++] = tag;
	if (n < 0x80) {
		hdr[h++] = (uint8_t)n;
	} else {
		k = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
		if (n > 0xffffffffu)
			return KS_SET(KS_ERR_LIMIT, "DER value of %zu bytes", n);
		hdr[h++] = (uint8_t)(0x80 | k);
		for (; k > 0; k--)
			hdr[h++] = (uint8_t)(n >> (8 * (k - 1)));
	}
	if (ks_add_size(h, n, &total) < 0 || ks_buf_reserve(out, total) < 0 ||
	    ks_buf_append(out, hdr, h) < 0)
		return -1;
	if (n > 0 && ks_buf_append(out, v, n) < 0)
		return -1;
	return 0;
}
