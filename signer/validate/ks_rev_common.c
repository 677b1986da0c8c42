/* Revocation: names, results, document data, times, algorithm strength,
 * parsing with limits, and the URLs a certificate names. */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/cms/ks_cms.h"
#include "ks_crypto.h"
#include "ks_cur.h"
#include "signer/validate/ks_rev_int.h"

/* ---- names ----------------------------------------------------------- */

const char *ks_rev_status_name(enum ks_rev_status s)
{
	switch (s) {
	case KS_REV_GOOD:
		return "good";
	case KS_REV_REVOKED:
		return "revoked";
	case KS_REV_UNKNOWN:
		return "unknown";
	case KS_REV_UNAVAILABLE:
		return "unavailable";
	}
	return "?";
}

const char *ks_rev_source_name(enum ks_rev_source s)
{
	switch (s) {
	case KS_REV_SRC_DOCUMENT:
		return "document";
	case KS_REV_SRC_CACHE:
		return "cache";
	case KS_REV_SRC_OCSP_URL:
		return "ocsp-url";
	case KS_REV_SRC_CRL_URL:
		return "crl-url";
	}
	return "?";
}

const char *ks_rev_kind_name(enum ks_rev_kind k)
{
	return k == KS_REV_OCSP ? "ocsp" : k == KS_REV_CRL ? "crl" : "?";
}

static const char *const failure_names[KS_REV_FAIL__COUNT] = {
	[KS_REV_FAIL_NONE] = "none",
	[KS_REV_FAIL_NO_SOURCE] = "no-source",
	[KS_REV_FAIL_OFFLINE] = "offline",
	[KS_REV_FAIL_NET_DOWN] = "net-down",
	[KS_REV_FAIL_NET_TIMEOUT] = "net-timeout",
	[KS_REV_FAIL_NET] = "net-error",
	[KS_REV_FAIL_RESPONDER] = "responder-error",
	[KS_REV_FAIL_MALFORMED] = "malformed",
	[KS_REV_FAIL_SIGNATURE] = "signature",
	[KS_REV_FAIL_UNAUTHORISED] = "unauthorised",
	[KS_REV_FAIL_NONCE] = "nonce",
	[KS_REV_FAIL_NOT_FOR_CERT] = "not-for-certificate",
	[KS_REV_FAIL_FUTURE] = "future",
	[KS_REV_FAIL_STALE] = "stale",
	[KS_REV_FAIL_AFTER_EXPIRY] = "after-expiry",
	[KS_REV_FAIL_UNSUPPORTED] = "unsupported",
	[KS_REV_FAIL_RESPONDER_CERT] = "responder-certificate",
};

const char *ks_rev_failure_name(enum ks_rev_failure f)
{
	return (unsigned)f < KS_REV_FAIL__COUNT ? failure_names[f] : "?";
}

/* RFC 5280 5.3.1 */
const char *ks_rev_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
		"superseded",    "cessationOfOperation", "certificateHold", "(7)",
		"removeFromCRL", "privilegeWithdrawn",   "aACompromise",
	};

	if (reason == KS_REV_REASON_NONE)
		return "";
	if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]) || reason == 7)
		return "unrecognised";
	return names[reason];
}

/* ---- results and options ------------------------------------------- */

void ks_rev_result_init(struct ks_rev_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = KS_REV_UNAVAILABLE;
	r->reason = KS_REV_REASON_NONE;
	ks_buf_init(&r->evidence.der, KS_BUF_DEFAULT_MAX);
}

void ks_rev_result_cleanup(struct ks_rev_result *r)
{
	ks_buf_cleanup(&r->evidence.der);
	X509_free(r->evidence.signer);
	ks_rev_result_init(r);
}

static bool wants_later(enum ks_rev_failure f)
{
	switch (f) {
	case KS_REV_FAIL_NO_SOURCE:
	case KS_REV_FAIL_OFFLINE:
	case KS_REV_FAIL_NET_DOWN:
	case KS_REV_FAIL_NET_TIMEOUT:
	case KS_REV_FAIL_NET:
	case KS_REV_FAIL_RESPONDER:
		return true;
	default:
		return false;
	}
}

bool ks_rev_result_try_later(const struct ks_rev_result *r)
{
	size_t i;

	for (i = 0; i < r->n_attempts; i++)
		if (!wants_later(r->attempts[i].failure))
			return false;
	return true;
}

bool ks_rev_result_out_of_bounds(const struct ks_rev_result *r)
{
	size_t i;

	for (i = 0; i < r->n_attempts; i++)
		if (r->attempts[i].failure == KS_REV_FAIL_STALE ||
		    r->attempts[i].failure == KS_REV_FAIL_AFTER_EXPIRY)
			return true;
	return false;
}

static void append(char *buf, size_t n, size_t *off, const char *fmt, ...) KS_PRINTF(4, 5);

static void append(char *buf, size_t n, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*off >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *off, n - *off, fmt, ap);
	va_end(ap);
	if (w > 0)
		*off = (size_t)w < n - *off ? *off + (size_t)w : n;
}

void ks_rev_result_describe(const struct ks_rev_result *r, char *buf, size_t n)
{
	const struct ks_rev_evidence *ev = &r->evidence;
	char a[48], b[48];
	size_t off = 0, i;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (r->status != KS_REV_UNAVAILABLE) {
		ks_rev_time_text(ev->this_update, a, sizeof(a));
		append(buf, n, &off, "%s", ks_rev_status_name(r->status));
		if (r->status == KS_REV_REVOKED) {
			ks_rev_time_text(r->revocation_time, b, sizeof(b));
			append(buf, n, &off, " since %s%s%s", b,
			       r->reason != KS_REV_REASON_NONE ? ", reason " : "",
			       ks_rev_reason_name(r->reason));
		}
		append(buf, n, &off, " per %s from %s (%s), thisUpdate %s",
		       ks_rev_kind_name(ev->kind), ks_rev_source_name(ev->source), ev->where, a);
		if (ev->next_update != 0) {
			ks_rev_time_text(ev->next_update, b, sizeof(b));
			append(buf, n, &off, ", nextUpdate %s", b);
		}
		if (r->notes & KS_REV_NOTE_NO_NONCE)
			append(buf, n, &off, "; the responder sent no nonce (allowed)");
		if (r->n_attempts > 0)
			append(buf, n, &off, "; before it:");
	} else {
		append(buf, n, &off, "unavailable:");
	}
	for (i = 0; i < r->n_attempts; i++)
		append(buf, n, &off, "%s %s %s%s%s: %s", i > 0 ? ";" : "",
		       ks_rev_kind_name(r->attempts[i].kind),
		       ks_rev_source_name(r->attempts[i].source),
		       r->attempts[i].where[0] ? " " : "", r->attempts[i].where,
		       r->attempts[i].reason);
	if (r->status == KS_REV_UNAVAILABLE && r->n_attempts == 0)
		append(buf, n, &off, " no source was asked");
}

void ks_rev_opts_init(struct ks_rev_opts *o)
{
	memset(o, 0, sizeof(*o));
	ks_http_opts_init(&o->ocsp_http);
	ks_http_opts_init(&o->crl_http);
}

int ks_rev_env_init(struct ks_rev_env *e, const struct ks_rev_opts *o, time_t at)
{
	static struct ks_rev_opts defaults; /* all zero: every default */

	memset(e, 0, sizeof(*e));
	if (o == NULL)
		o = &defaults;
	e->o = o;
	e->now = o->now != 0 ? o->now : time(NULL);
	e->at = at != 0 ? at : e->now;
	e->skew = o->skew == 0 ? KS_REV_CLOCK_SKEW : o->skew < 0 ? 0 : o->skew;
	e->cache_dir = o->cache_dir == NULL      ? KS_REV_CACHE_DEFAULT_DIR
		       : o->cache_dir[0] != '\0' ? o->cache_dir
						 : NULL;
	if (o->cache_ops != NULL) {
		e->cache_ops = o->cache_ops;
		e->cache_dir = KS_REV_CACHE_OPS_DIR;
	}
	e->cache_max = o->cache_max_bytes != 0 ? o->cache_max_bytes : KS_REV_CACHE_BYTES_MAX;
	e->crl_max = o->crl_max != 0 ? o->crl_max : KS_REV_CRL_MAX;
	e->ocsp_http = o->ocsp_http;
	if (e->ocsp_http.connect_timeout_ms <= 0)
		e->ocsp_http.connect_timeout_ms = KS_REV_CONNECT_TIMEOUT_MS;
	if (e->ocsp_http.timeout_ms <= 0)
		e->ocsp_http.timeout_ms = KS_REV_OCSP_TIMEOUT_MS;
	e->ocsp_http.max_body = KS_REV_OCSP_RESP_MAX;
	e->ocsp_http.accept = "application/ocsp-response"; /* RFC 6960 A.2 */
	e->crl_http = o->crl_http;
	if (e->crl_http.connect_timeout_ms <= 0)
		e->crl_http.connect_timeout_ms = KS_REV_CONNECT_TIMEOUT_MS;
	if (e->crl_http.timeout_ms <= 0)
		e->crl_http.timeout_ms = KS_REV_CRL_TIMEOUT_MS;
	e->crl_http.max_body = e->crl_max;
	/* Distribution points serve application/pkix-crl, octet-stream or
	 * whatever the web server guesses: the bytes are checked instead. */
	e->crl_http.accept = NULL;
	return 0;
}

void ks_rev_failf(struct ks_rev_fail *f, enum ks_rev_failure code, const char *fmt, ...)
{
	va_list ap;

	f->code = code;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

/* ---- times and names ---------------------------------------------- */

bool ks_rev_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return false;
	}
	*out = timegm(&tm);
	return true;
}

void ks_rev_time_text(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "(time %lld)", (long long)t);
}

void ks_rev_subject(X509 *cert, char *buf, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long len;

	buf[0] = '\0';
	if (b != NULL && cert != NULL &&
	    X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
			       XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len > 0 && p != NULL)
			snprintf(buf, n, "%.*s", (int)(len > 1000 ? 1000 : len), p);
	}
	if (buf[0] == '\0')
		snprintf(buf, n, "(no subject)");
	BIO_free(b);
	ERR_clear_error();
}

bool ks_rev_covers(const struct ks_rev_env *e, time_t this_update, time_t next_update,
		   struct ks_rev_fail *f)
{
	char a[48], b[48];
	time_t end;

	if (this_update > e->now + e->skew) {
		ks_rev_time_text(this_update, a, sizeof(a));
		ks_rev_time_text(e->now, b, sizeof(b));
		ks_rev_failf(f, KS_REV_FAIL_FUTURE,
			     "thisUpdate %s is in the future (now %s, allowance %ld s)", a, b,
			     e->skew);
		return false;
	}
	if (next_update != 0 && next_update < this_update) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "nextUpdate is before thisUpdate");
		return false;
	}
	end = next_update != 0 ? next_update : this_update + KS_REV_NO_NEXT_UPDATE_AGE;
	if (e->at > end + e->skew) {
		ks_rev_time_text(end, a, sizeof(a));
		ks_rev_time_text(e->at, b, sizeof(b));
		ks_rev_failf(
		    f, KS_REV_FAIL_STALE, "%s %s, before the validation time %s",
		    next_update != 0 ? "nextUpdate was" : "without nextUpdate, fresh until", a, b);
		return false;
	}
	return true;
}

bool ks_rev_before_expiry(X509 *cert, time_t this_update, time_t cutoff, struct ks_rev_fail *f)
{
	char a[48], b[48];
	time_t not_after;

	if (!ks_rev_time(X509_get0_notAfter(cert), &not_after)) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "the certificate's notAfter is unreadable");
		return false;
	}
	if (this_update <= not_after || (cutoff != 0 && cutoff <= not_after))
		return true;
	ks_rev_time_text(this_update, a, sizeof(a));
	ks_rev_time_text(not_after, b, sizeof(b));
	ks_rev_failf(f, KS_REV_FAIL_AFTER_EXPIRY,
		     "issued %s, after the certificate expired on %s: a CA need not keep "
		     "expired certificates in its revocation data",
		     a, b);
	return false;
}

/* The project's one rule set (core/ks_crypto): SHA-256 or stronger (for
 * RSASSA-PSS, its hash and its MGF1 hash), RSA >= 2048 bits, ECDSA on
 * P-256, P-384 or P-521. */
bool ks_rev_sig_strong(const X509_ALGOR *alg, EVP_PKEY *key, struct ks_rev_fail *f)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	struct ks_crypto_pss pss;
	int nid, ptype, mdnid = NID_undef, pknid = NID_undef;
	char oid[80], why[KS_CRYPTO_WHY_MAX];

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_rsassaPss) {
		if (ks_crypto_pss_params(ptype, pval, &pss) < 0) {
			ks_rev_failf(f, KS_REV_FAIL_SIGNATURE, "RSASSA-PSS: %s", ks_err_msg());
			ks_err_clear();
			return false;
		}
		mdnid = ks_crypto_md_ok(pss.md_nid) ? pss.mgf1_nid : pss.md_nid;
	} else if (nid == NID_undef || OBJ_find_sigid_algs(nid, &mdnid, &pknid) != 1) {
		if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			snprintf(oid, sizeof(oid), "unknown");
		ks_rev_failf(f, KS_REV_FAIL_SIGNATURE, "signature algorithm %s is not supported",
			     oid);
		return false;
	}
	if (!ks_crypto_md_ok(mdnid)) {
		ks_rev_failf(f, KS_REV_FAIL_SIGNATURE,
			     "signed with %s: SHA-256 or stronger is required",
			     ks_crypto_md_label(mdnid, oid, sizeof(oid)));
		return false;
	}
	if (!ks_crypto_key_ok(key, why, sizeof(why))) {
		ks_rev_failf(f, KS_REV_FAIL_SIGNATURE, "signing %s", why);
		return false;
	}
	return true;
}

enum ks_rev_failure ks_rev_net_failure(void)
{
	switch (ks_err_code()) {
	case KS_ERR_NET_DOWN:
		return KS_REV_FAIL_NET_DOWN;
	case KS_ERR_NET_TIMEOUT:
		return KS_REV_FAIL_NET_TIMEOUT;
	default:
		return KS_REV_FAIL_NET;
	}
}

/* ---- parsing -------------------------------------------------------- */

int ks_rev_der_one(const uint8_t *der, size_t n, size_t max, const char *what)
{
	struct ks_cur c, val;
	char why[200];

	if (der == NULL || n == 0)
		return KS_SET(KS_ERR_PARSE, "%s: empty", what);
	if (n > max)
		return KS_SET(KS_ERR_LIMIT, "%s of %zu bytes (at most %zu)", what, n, max);
	ks_cur_init(&c, der, n);
	if (ks_der_expect(&c, 0x30, &val) < 0) {
		snprintf(why, sizeof(why), "%s", ks_err_msg());
		return KS_SET(KS_ERR_PARSE, "%s: not one DER SEQUENCE (%s)", what, why);
	}
	if (!ks_cur_eof(&c))
		return KS_SET(KS_ERR_PARSE, "%s: %zu bytes after its end", what, c.left);
	return 0;
}

int ks_rev_parse_ocsp(const uint8_t *der, size_t n, OCSP_RESPONSE **out)
{
	const unsigned char *p = der;

	*out = NULL;
	if (ks_rev_der_one(der, n, KS_REV_OCSP_RESP_MAX, "OCSP response") < 0)
		return -1;
	*out = d2i_OCSP_RESPONSE(NULL, &p, (long)n);
	if (*out == NULL || p != der + n) {
		OCSP_RESPONSE_free(*out);
		*out = NULL;
		return ks_err_set_ossl(KS_ERR_PARSE, __FILE__, __LINE__,
				       "not an OCSPResponse (RFC 6960 4.2.1)");
	}
	return 0;
}

int ks_rev_parse_basic(const uint8_t *der, size_t n, OCSP_BASICRESP **out)
{
	const unsigned char *p = der;

	*out = NULL;
	if (ks_rev_der_one(der, n, KS_REV_OCSP_RESP_MAX, "BasicOCSPResponse") < 0)
		return -1;
	*out = d2i_OCSP_BASICRESP(NULL, &p, (long)n);
	if (*out == NULL || p != der + n) {
		OCSP_BASICRESP_free(*out);
		*out = NULL;
		return ks_err_set_ossl(KS_ERR_PARSE, __FILE__, __LINE__,
				       "not a BasicOCSPResponse (RFC 6960 4.2.1)");
	}
	return 0;
}

int ks_rev_parse_crl(const uint8_t *der, size_t n, size_t max, X509_CRL **out)
{
	const unsigned char *p = der;

	*out = NULL;
	if (ks_rev_der_one(der, n, max, "CRL") < 0)
		return -1;
	*out = d2i_X509_CRL(NULL, &p, (long)n);
	if (*out == NULL || p != der + n) {
		X509_CRL_free(*out);
		*out = NULL;
		return ks_err_set_ossl(KS_ERR_PARSE, __FILE__, __LINE__,
				       "not a CertificateList (RFC 5280 5.1)");
	}
	return 0;
}

/* ---- document data ---------------------------------------------------- */

int ks_rev_data_new(struct ks_rev_data **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : KS_SET(KS_ERR_NOMEM, "out of memory");
}

void ks_rev_data_free(struct ks_rev_data *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		OCSP_BASICRESP_free(d->items[i].bs);
		X509_CRL_free(d->items[i].crl);
		ks_buf_cleanup(&d->items[i].der);
	}
	free(d);
}

static int add_item(struct ks_rev_data *d, enum ks_rev_kind kind, OCSP_BASICRESP *bs, X509_CRL *crl,
		    bool basic_only, const uint8_t *der, size_t n)
{
	struct ks_rev_item *it;

	if (d->n >= KS_REV_DATA_ITEMS_MAX) {
		OCSP_BASICRESP_free(bs);
		X509_CRL_free(crl);
		return KS_SET(KS_ERR_LIMIT, "more than %d revocation items in one document",
			      KS_REV_DATA_ITEMS_MAX);
	}
	it = &d->items[d->n];
	memset(it, 0, sizeof(*it));
	ks_buf_init(&it->der, n);
	if (ks_buf_set(&it->der, der, n) < 0) {
		ks_buf_cleanup(&it->der);
		OCSP_BASICRESP_free(bs);
		X509_CRL_free(crl);
		return -1;
	}
	it->kind = kind;
	it->bs = bs;
	it->crl = crl;
	it->basic_only = basic_only;
	d->n++;
	return 0;
}

int ks_rev_data_add_ocsp(struct ks_rev_data *d, const uint8_t *der, size_t n)
{
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs;
	int st;

	if (ks_rev_parse_ocsp(der, n, &resp) < 0)
		return -1;
	st = OCSP_response_status(resp);
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		OCSP_RESPONSE_free(resp);
		return KS_SET(KS_ERR_PARSE, "OCSP response with status %s carries no answer",
			      OCSP_response_status_str(st));
	}
	bs = OCSP_response_get1_basic(resp);
	OCSP_RESPONSE_free(resp);
	if (bs == NULL)
		return ks_err_set_ossl(KS_ERR_PARSE, __FILE__, __LINE__,
				       "OCSP response without a BasicOCSPResponse");
	return add_item(d, KS_REV_OCSP, bs, NULL, false, der, n);
}

int ks_rev_data_add_basic_ocsp(struct ks_rev_data *d, const uint8_t *der, size_t n)
{
	OCSP_BASICRESP *bs = NULL;

	if (ks_rev_parse_basic(der, n, &bs) < 0)
		return -1;
	return add_item(d, KS_REV_OCSP, bs, NULL, true, der, n);
}

int ks_rev_data_add_crl(struct ks_rev_data *d, const uint8_t *der, size_t n)
{
	X509_CRL *crl = NULL;

	if (ks_rev_parse_crl(der, n, KS_REV_CRL_MAX, &crl) < 0)
		return -1;
	return add_item(d, KS_REV_CRL, NULL, crl, false, der, n);
}

size_t ks_rev_data_count(const struct ks_rev_data *d, enum ks_rev_kind kind)
{
	size_t i, n = 0;

	for (i = 0; d != NULL && i < d->n; i++)
		if (d->items[i].kind == kind)
			n++;
	return n;
}

/* ---- recording -------------------------------------------------------- */

void ks_rev_attempt(struct ks_rev_result *r, enum ks_rev_kind kind, enum ks_rev_source source,
		    const char *where, const struct ks_rev_fail *f)
{
	struct ks_rev_attempt *a;

	if (r->n_attempts >= KS_REV_ATTEMPTS_MAX) {
		r->notes |= KS_REV_NOTE_ATTEMPTS_DROPPED;
		return;
	}
	a = &r->attempts[r->n_attempts++];
	a->kind = kind;
	a->source = source;
	snprintf(a->where, sizeof(a->where), "%s", where);
	a->failure = f->code;
	snprintf(a->reason, sizeof(a->reason), "%s", f->why);
}

bool ks_rev_final(const struct ks_rev_result *r)
{
	return r->status == KS_REV_GOOD || r->status == KS_REV_REVOKED;
}

int ks_rev_accept(struct ks_rev_result *r, const struct ks_rev_answer *a, enum ks_rev_kind kind,
		  enum ks_rev_source source, const char *where, const uint8_t *der, size_t n,
		  bool basic_only)
{
	struct ks_rev_evidence *ev = &r->evidence;

	if (a->status == KS_REV_UNKNOWN && r->status != KS_REV_UNAVAILABLE)
		return 0;
	ks_buf_reset(&ev->der);
	if (ks_buf_set(&ev->der, der, n) < 0)
		return -1;
	X509_free(ev->signer);
	ev->signer = a->signer;
	if (ev->signer != NULL)
		X509_up_ref(ev->signer);
	ev->kind = kind;
	ev->source = source;
	snprintf(ev->where, sizeof(ev->where), "%s", where);
	ev->basic_only = basic_only;
	ev->this_update = a->this_update;
	ev->next_update = a->next_update;
	ev->produced_at = a->produced_at;
	ev->nonce_matched = a->nonce_matched;
	ev->delegated = a->delegated;
	r->status = a->status;
	r->revocation_time = a->status == KS_REV_REVOKED ? a->revocation_time : 0;
	r->reason = a->status == KS_REV_REVOKED ? a->reason : KS_REV_REASON_NONE;
	r->notes |= a->notes;
	if (a->no_nonce)
		r->notes |= KS_REV_NOTE_NO_NONCE;
	return 0;
}

/* ---- URLs ------------------------------------------------------------- */

static bool http_url(const char *s, size_t len)
{
	return len > 0 && len < KS_HTTP_URL_MAX && strlen(s) == len &&
	       (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

size_t ks_rev_ocsp_urls(X509 *cert, char **urls, size_t max)
{
	STACK_OF(OPENSSL_STRING) *sk = X509_get1_ocsp(cert);
	size_t n = 0;
	int i;

	for (i = 0; i < sk_OPENSSL_STRING_num(sk) && n < max; i++) {
		const char *u = sk_OPENSSL_STRING_value(sk, i);

		if (u != NULL && http_url(u, strlen(u)) && (urls[n] = strdup(u)) != NULL)
			n++;
	}
	X509_email_free(sk);
	ERR_clear_error();
	return n;
}

size_t ks_rev_crl_urls(X509 *cert, char **urls, size_t max, size_t *skipped)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	size_t n = 0;
	int i, j;

	*skipped = 0;
	for (i = 0; i < sk_DIST_POINT_num(dps) && n < max; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

		/* RFC 5280 4.2.1.13: a point with cRLIssuer serves an
		 * indirect CRL, one with reasons a partial one. */
		if (dp->CRLissuer != NULL || dp->reasons != NULL || dp->distpoint == NULL ||
		    dp->distpoint->type != 0) {
			(*skipped)++;
			continue;
		}
		for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname) && n < max; j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
			const char *u;
			int len;

			if (gn->type != GEN_URI)
				continue;
			u = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
			len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
			if (u != NULL && len > 0 && http_url(u, (size_t)len) &&
			    (urls[n] = strdup(u)) != NULL)
				n++;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return n;
}

void ks_rev_urls_free(char **urls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(urls[i]);
}
