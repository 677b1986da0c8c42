/* libFuzzer harness for signer/validate revocation: the input is taken
 * as a document's revocation data -- an OCSPResponse, a bare
 * BasicOCSPResponse and a CRL -- and checked, offline and without a
 * cache, against a fixed issuer for two of its subscribers (one good,
 * one revoked), the way verification uses it.
 *
 * Oracles beyond "no crash": an item refused leaves nothing behind and
 * says why; an answer comes with its evidence (DER, signer, times); a
 * revocation time is not after the answer's thisUpdate; UNAVAILABLE
 * comes with at least one reason; and an OCSP answer or CRL kyso
 * believes is one OpenSSL verifies too (OCSP_basic_verify against the
 * CA, X509_CRL_verify): kyso may be stricter than OpenSSL, never laxer.
 *
 * Seeds (tests/fuzz/corpus/revocation/, made by revocation_seeds.sh with
 * OpenSSL's responder and `openssl ca -gencrl` over the PKI in
 * revocation_pki.h): good, revoked, unknown, SHA-256 CertID, signed by
 * the CA itself, without nextUpdate, bare basic response, CRL, and
 * broken ones. */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "revocation_pki.h"
#include "signer/validate/ks_revocation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *ca, *leaf, *gone;
static X509_STORE *store;

static X509 *pem(const char *text)
{
	BIO *b = BIO_new_mem_buf(text, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (x == NULL)
		abort();
	return x;
}

static void init(void)
{
	if (ca != NULL)
		return;
	ca = pem(fuzz_ca_pem);
	leaf = pem(fuzz_leaf_pem);
	gone = pem(fuzz_gone_pem);
	store = X509_STORE_new();
	if (store == NULL || X509_STORE_add_cert(store, ca) != 1)
		abort();
}

/* OpenSSL's own verdict on an OCSP answer kyso believed. */
static void openssl_agrees_ocsp(const struct ks_rev_evidence *ev)
{
	const unsigned char *p = ev->der.data;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs;
	STACK_OF(X509) * signers;

	if (ev->basic_only) {
		bs = d2i_OCSP_BASICRESP(NULL, &p, (long)ev->der.len);
	} else {
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ev->der.len);
		bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	}
	/* The signer kyso named must be the one that signed, authorised per
	 * OpenSSL too (other certificates the response carries, which
	 * OpenSSL would try first, are not what kyso relied on). */
	signers = sk_X509_new_null();
	if (bs == NULL || signers == NULL || sk_X509_push(signers, ev->signer) <= 0 ||
	    OCSP_basic_verify(bs, signers, store, OCSP_NOINTERN) != 1)
		abort();
	sk_X509_free(signers);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

static void openssl_agrees_crl(const struct ks_rev_evidence *ev)
{
	const unsigned char *p = ev->der.data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)ev->der.len);

	if (crl == NULL || X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1)
		abort();
	X509_CRL_free(crl);
}

static void check(X509 *cert, const struct ks_rev_data *d)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;
	char text[2000];
	size_t i;

	ks_rev_opts_init(&o);
	o.offline = true;
	o.cache_dir = "";
	o.now = FUZZ_REV_NOW;
	ks_rev_result_init(&r);
	if (ks_rev_check(cert, ca, FUZZ_REV_NOW, d, &o, &r) < 0)
		abort(); /* only bad arguments or memory fail */
	if (r.status != KS_REV_UNAVAILABLE) {
		if (r.evidence.der.len == 0 || r.evidence.signer == NULL ||
		    r.evidence.source != KS_REV_SRC_DOCUMENT || r.evidence.this_update == 0)
			abort();
		if (r.evidence.kind == KS_REV_OCSP)
			openssl_agrees_ocsp(&r.evidence);
		else
			openssl_agrees_crl(&r.evidence);
	}
	if (r.status == KS_REV_REVOKED &&
	    r.revocation_time > r.evidence.this_update + KS_REV_CLOCK_SKEW)
		abort();
	if (r.status == KS_REV_UNAVAILABLE && r.n_attempts == 0)
		abort();
	for (i = 0; i < r.n_attempts; i++)
		if (r.attempts[i].failure <= KS_REV_FAIL_NONE ||
		    r.attempts[i].failure >= KS_REV_FAIL__COUNT || r.attempts[i].reason[0] == '\0')
			abort();
	ks_rev_result_describe(&r, text, sizeof(text));
	ks_rev_result_cleanup(&r);
}

/* An item refused leaves the data as it was, and an error says why. */
static void add(struct ks_rev_data *d, int (*fn)(struct ks_rev_data *, const uint8_t *, size_t),
		enum ks_rev_kind kind, const uint8_t *data, size_t size)
{
	size_t before = ks_rev_data_count(d, kind);

	ks_err_clear();
	if (fn(d, data, size) == 0) {
		if (ks_rev_data_count(d, kind) != before + 1)
			abort();
	} else if (ks_rev_data_count(d, kind) != before || ks_err_code() == KS_OK) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_rev_data *d = NULL;

	init();
	if (ks_rev_data_new(&d) < 0)
		abort();
	add(d, ks_rev_data_add_ocsp, KS_REV_OCSP, data, size);
	add(d, ks_rev_data_add_basic_ocsp, KS_REV_OCSP, data, size);
	add(d, ks_rev_data_add_crl, KS_REV_CRL, data, size);
	check(leaf, d);
	check(gone, d);
	ks_rev_data_free(d);
	ERR_clear_error();
	ks_err_clear();
	return 0;
}
