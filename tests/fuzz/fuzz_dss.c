/* libFuzzer harness for formats/pdf/ks_pades_ltv: the input is a PDF
 * whose Document Security Store and signature dictionaries are read as
 * kyso extend reads them (every certificate, OCSP response and CRL as
 * DER; every signature's /Contents).
 *
 * Oracles beyond "no crash": a failure leaves nothing behind and records
 * an error; on success every count and size is within its named limit,
 * the bytes add up to the total, and nothing is empty; reading twice
 * gives the same result.  Seeds in tests/fuzz/corpus/dss/: small PDFs
 * with a DSS (direct and indirect, certificates, OCSP, CRL), with a
 * signature and a document timestamp, and broken ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_ltv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_dss(const struct ks_pades_dss_read *d)
{
	size_t k, i, sum = 0;

	for (k = 0; k < KS_PADES_DSS__KINDS; k++) {
		if (d->n[k] > KS_PADES_DSS_READ_ITEMS_MAX || (d->n[k] > 0 && !d->present))
			abort();
		for (i = 0; i < d->n[k]; i++) {
			if (d->items[k][i].len == 0 ||
			    d->items[k][i].len > KS_PADES_DSS_READ_ITEM_MAX)
				abort();
			sum += d->items[k][i].len;
		}
	}
	if (sum != d->total || sum > KS_PADES_DSS_READ_TOTAL_MAX)
		abort();
}

static void check_sigs(const struct ks_pades_sig_list *l)
{
	size_t i, j;
	bool nonzero;

	if (l->n > KS_PADES_SIGS_MAX)
		abort();
	for (i = 0; i < l->n; i++) {
		const struct ks_buf *b = &l->items[i].der;

		if (b->len == 0 || b->len > KS_PADES_CONTENTS_MAX ||
		    memchr(l->items[i].field, 0, sizeof(l->items[i].field)) == NULL)
			abort();
		nonzero = false;
		for (j = 0; j < b->len; j++)
			nonzero = nonzero || b->data[j] != 0;
		if (!nonzero)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_pades_dss_read d, again;
	struct ks_pades_sig_list *l = calloc(1, sizeof(*l));
	size_t k;
	int rc;

	if (l == NULL)
		return 0;
	ks_pades_dss_read_init(&d);
	ks_pades_dss_read_init(&again);
	rc = ks_pades_dss_read(data, size, &d);
	if (rc < 0) {
		if (ks_err_code() == KS_OK || d.present || d.total != 0)
			abort();
	} else {
		check_dss(&d);
		if (ks_pades_dss_read(data, size, &again) < 0 || again.total != d.total)
			abort();
		for (k = 0; k < KS_PADES_DSS__KINDS; k++)
			if (again.n[k] != d.n[k])
				abort();
	}
	ks_err_clear();
	ks_pades_sig_list_init(l);
	if (ks_pades_sig_list_read(data, size, l) < 0) {
		if (ks_err_code() == KS_OK || l->n != 0)
			abort();
	} else {
		check_sigs(l);
	}
	ks_err_clear();
	ks_pades_sig_list_cleanup(l);
	ks_pades_dss_read_cleanup(&d);
	ks_pades_dss_read_cleanup(&again);
	free(l);
	return 0;
}
