/* The document's validation data for the engine (ks_verify_docdata.h). */
#include "signer/ks_verify_docdata.h"

#include <openssl/err.h>
#include <string.h>

#include "signer/validate/ks_trust.h"

int ks_verify_docdata_init(struct ks_verify_docdata *d)
{
	memset(d, 0, sizeof(*d));
	d->certs = sk_X509_new_null();
	if (d->certs == NULL || ks_rev_data_new(&d->rev) < 0) {
		ks_verify_docdata_cleanup(d);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	d->doc.certs = d->certs;
	d->doc.rev = d->rev;
	return 0;
}

void ks_verify_docdata_cleanup(struct ks_verify_docdata *d)
{
	sk_X509_pop_free(d->certs, X509_free);
	ks_rev_data_free(d->rev);
	memset(d, 0, sizeof(*d));
}

/* A refusal of one item is the item's problem, not the caller's. */
static int item_done(int rc)
{
	if (rc == 0)
		return 0;
	if (ks_err_is_fatal())
		return -1;
	ks_err_clear();
	return 0;
}

int ks_verify_docdata_cert(struct ks_verify_docdata *d, const struct ks_buf *der)
{
	const unsigned char *p = der->data;
	X509 *x;

	if (sk_X509_num(d->certs) >= KS_TRUST_POOL_MAX || der->len > KS_TRUST_CERT_DER_MAX ||
	    der->len == 0)
		return 0;
	x = d2i_X509(NULL, &p, (long)der->len);
	if (x == NULL || p != der->data + der->len) {
		X509_free(x);
		ERR_clear_error();
		return 0;
	}
	if (sk_X509_push(d->certs, x) <= 0) {
		X509_free(x);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	return 0;
}

int ks_verify_docdata_ocsp(struct ks_verify_docdata *d, const struct ks_buf *der, bool basic)
{
	if (ks_rev_data_count(d->rev, KS_REV_OCSP) >= KS_REV_DATA_ITEMS_MAX)
		return 0;
	return item_done(basic ? ks_rev_data_add_basic_ocsp(d->rev, der->data, der->len)
			       : ks_rev_data_add_ocsp(d->rev, der->data, der->len));
}

int ks_verify_docdata_crl(struct ks_verify_docdata *d, const struct ks_buf *der)
{
	if (ks_rev_data_count(d->rev, KS_REV_CRL) >= KS_REV_DATA_ITEMS_MAX)
		return 0;
	return item_done(ks_rev_data_add_crl(d->rev, der->data, der->len));
}
