/* libFuzzer harness for formats/cms/ks_cades_ltv's readers: the input is
 * read as a CertificateValues and as a RevocationValues attribute value
 * (EN 319 122-1 5.5.1, 5.5.2), as kyso reads them from a .p7s.
 *
 * Oracles beyond "no crash": a failure leaves the lists as they were and
 * records an error; on success every item is one whole DER SEQUENCE
 * within the limits, and encoding what was read and parsing it again
 * gives the same items (the writer and the reader agree).  The input is
 * also read as a stored ATSHashIndexV3 (EN 319 122-1 5.5.2): one that
 * reads covers itself, and a failure records an error.  Seeds in
 * tests/fuzz/corpus/cades_values/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cades_ltv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_items(const struct ks_buf *items, size_t n)
{
	size_t i;

	if (n > KS_CADES_VALUES_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (items[i].len < 2 || items[i].data[0] != 0x30 ||
		    items[i].len > KS_CADES_ITEM_MAX)
			abort();
}

static bool same(const struct ks_buf *a, const struct ks_buf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ks_buf_equal(&a[i], &b[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_cades_values *v = calloc(1, sizeof(*v)), *back = calloc(1, sizeof(*back));
	struct ks_buf cv, rv;
	enum ks_md md;
	int a, b;

	if (v == NULL || back == NULL) {
		free(v);
		free(back);
		return 0;
	}
	ks_buf_init(&cv, (size_t)32 << 20);
	ks_buf_init(&rv, (size_t)32 << 20);
	a = ks_cades_cert_values_parse(data, size, v);
	if (a < 0 && (ks_err_code() == KS_OK || v->n_certs != 0))
		abort();
	ks_err_clear();
	b = ks_cades_rev_values_parse(data, size, v);
	if (b < 0 && (ks_err_code() == KS_OK || v->n_crls + v->n_ocsps != 0))
		abort();
	ks_err_clear();
	check_items(v->certs, v->n_certs);
	check_items(v->crls, v->n_crls);
	check_items(v->ocsps, v->n_ocsps);
	if (v->n_certs > 0 && ks_cades_values_encode(v, &cv, &rv) == 0) {
		if (ks_cades_cert_values_parse(cv.data, cv.len, back) < 0 ||
		    ks_cades_rev_values_parse(rv.data, rv.len, back) < 0 ||
		    back->n_certs != v->n_certs || back->n_crls != v->n_crls ||
		    back->n_ocsps != v->n_ocsps || !same(back->certs, v->certs, v->n_certs) ||
		    !same(back->crls, v->crls, v->n_crls) ||
		    !same(back->ocsps, v->ocsps, v->n_ocsps))
			abort();
	}
	ks_err_clear();
	if (ks_cades_ats_index_md(data, size, &md) == 0) {
		if (md != KS_MD_SHA256 && md != KS_MD_SHA384 && md != KS_MD_SHA512)
			abort();
		if (ks_cades_ats_index_covers(data, size, data, size) < 0)
			abort();
	} else if (ks_err_code() == KS_OK) {
		abort();
	}
	ks_err_clear();
	ks_cades_values_cleanup(v);
	ks_cades_values_cleanup(back);
	ks_buf_cleanup(&cv);
	ks_buf_cleanup(&rv);
	free(v);
	free(back);
	return 0;
}
