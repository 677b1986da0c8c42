/* Reading the validation data and the signatures of a PDF: see
 * ks_pades_ltv.h. */
#include "formats/pdf/ks_pades_ltv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc.h"

static const char *const dss_keys[KS_PADES_DSS__KINDS] = { "Certs", "OCSPs", "CRLs" };

void ks_pades_dss_read_init(struct ks_pades_dss_read *d)
{
	memset(d, 0, sizeof(*d));
}

void ks_pades_dss_read_cleanup(struct ks_pades_dss_read *d)
{
	size_t k, i;

	for (k = 0; k < KS_PADES_DSS__KINDS; k++) {
		for (i = 0; i < d->n[k]; i++)
			ks_buf_cleanup(&d->items[k][i]);
		free(d->items[k]);
	}
	memset(d, 0, sizeof(*d));
}

static int open_doc(const uint8_t *pdf, size_t len, struct ks_pdfdoc **doc)
{
	struct ks_pdfdoc_limits lim;

	ks_pdfdoc_limits_default(&lim);
	/* Validation data is read from a file as it stands: a broken xref
	 * chain is an error, not something to rebuild. */
	lim.allow_repair = false;
	return ks_pdfdoc_open(pdf, len, &lim, doc);
}

/* The items of one DSS array: each a reference to a stream. */
static int read_array(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dss,
		      enum ks_pades_dss_kind k, struct ks_pades_dss_read *d)
{
	const struct ks_pdfobj *arr, *o;
	struct ks_buf *items;
	size_t i;

	if (ks_pdfdoc_dict_get_type(doc, rev, dss, dss_keys[k], KS_PDFOBJ_ARRAY, &arr) < 0)
		return KS_SET(KS_ERR_PDF, "/DSS /%s is not an array", dss_keys[k]);
	if (arr == NULL || arr->u.arr.n == 0)
		return 0;
	if (arr->u.arr.n > KS_PADES_DSS_READ_ITEMS_MAX)
		return KS_SET(KS_ERR_LIMIT, "/DSS /%s has %zu items (at most %d)", dss_keys[k],
			      arr->u.arr.n, KS_PADES_DSS_READ_ITEMS_MAX);
	items = calloc(arr->u.arr.n, sizeof(*items));
	if (items == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	d->items[k] = items;
	for (i = 0; i < arr->u.arr.n; i++) {
		if (arr->u.arr.items[i]->type != KS_PDFOBJ_REF)
			return KS_SET(KS_ERR_PDF,
				      "/DSS /%s item %zu is not a reference to a stream",
				      dss_keys[k], i);
		if (ks_pdfdoc_resolve(doc, rev, arr->u.arr.items[i], &o) < 0)
			return -1;
		if (o == NULL || o->type != KS_PDFOBJ_STREAM)
			return KS_SET(KS_ERR_PDF, "/DSS /%s item %zu is not a stream", dss_keys[k],
				      i);
		ks_buf_init(&items[i], KS_PADES_DSS_READ_ITEM_MAX);
		d->n[k] = i + 1;
		if (ks_pdfdoc_stream_decode(doc, o, &items[i]) < 0)
			return -1;
		if (items[i].len == 0)
			return KS_SET(KS_ERR_PDF, "/DSS /%s item %zu is empty", dss_keys[k], i);
		if (items[i].len > KS_PADES_DSS_READ_TOTAL_MAX - d->total)
			return KS_SET(KS_ERR_LIMIT, "the DSS holds more than %zu bytes",
				      KS_PADES_DSS_READ_TOTAL_MAX);
		d->total += items[i].len;
	}
	return 0;
}

int ks_pades_dss_read(const uint8_t *pdf, size_t len, struct ks_pades_dss_read *d)
{
	struct ks_pdfdoc *doc = NULL;
	const struct ks_pdfobj *cat, *dss;
	size_t rev, k;
	int rc = -1;

	ks_pades_dss_read_cleanup(d);
	KS_GUARD(open_doc(pdf, len, &doc));
	rev = ks_pdfdoc_rev_count(doc) - 1;
	KS_GUARD(ks_pdfdoc_catalog(doc, rev, &cat));
	if (ks_pdfdoc_dict_get_type(doc, rev, cat, "DSS", KS_PDFOBJ_DICT, &dss) < 0)
		KS_BAIL(KS_ERR_PDF, "/DSS is not a dictionary");
	if (dss != NULL) {
		d->present = true;
		for (k = 0; k < KS_PADES_DSS__KINDS; k++)
			KS_GUARD(read_array(doc, rev, dss, (enum ks_pades_dss_kind)k, d));
	}
	rc = 0;
out:
	if (rc < 0)
		ks_pades_dss_read_cleanup(d);
	ks_pdfdoc_free(doc);
	return rc;
}

/* ---- signatures --------------------------------------------------------- */

void ks_pades_sig_list_init(struct ks_pades_sig_list *l)
{
	memset(l, 0, sizeof(*l));
}

void ks_pades_sig_list_cleanup(struct ks_pades_sig_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ks_buf_cleanup(&l->items[i].der);
	memset(l, 0, sizeof(*l));
}

/* b + c of /ByteRange [0 a b c], when it holds four sane integers. */
static uint64_t range_end(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *sig)
{
	const struct ks_pdfobj *br;
	int64_t v[4];
	size_t i;

	if (ks_pdfdoc_dict_get_type(doc, rev, sig, "ByteRange", KS_PDFOBJ_ARRAY, &br) < 0) {
		ks_err_clear();
		return 0;
	}
	if (br == NULL || br->u.arr.n != 4)
		return 0;
	for (i = 0; i < 4; i++)
		if (!ks_pdfobj_int(br->u.arr.items[i], &v[i]) || v[i] < 0 || v[i] > INT64_MAX / 2)
			return 0;
	return (uint64_t)v[2] + (uint64_t)v[3];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static int add_sig(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfdoc_field *f,
		   struct ks_pades_sig_list *l)
{
	struct ks_pades_sig_item *it;
	const struct ks_pdfobj *contents;
	size_t n;

	if (l->n == KS_PADES_SIGS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d signatures", KS_PADES_SIGS_MAX);
	if (ks_pdfdoc_dict_get_type(doc, rev, f->sig, "Contents", KS_PDFOBJ_STRING, &contents) < 0)
		return KS_SET(KS_ERR_PDF, "signature field '%.100s': /Contents is not a string",
			      f->name);
	if (contents == NULL)
		return KS_SET(KS_ERR_PDF, "signature field '%.100s' has no /Contents", f->name);
	n = contents->u.str.len;
	if (n > KS_PADES_CONTENTS_MAX)
		return KS_SET(KS_ERR_LIMIT, "signature field '%.100s': /Contents of %zu bytes",
			      f->name, n);
	/* The placeholder's zero padding after the DER (ISO 32000-1 12.8.1)
	 * is kept: a DER value may end in zero bytes itself, so only its
	 * reader knows where it ends.  All zero means nothing was signed. */
	if (all_zero(contents->u.str.s, n))
		return KS_SET(KS_ERR_PDF, "signature field '%.100s': /Contents is empty", f->name);
	it = &l->items[l->n];
	memset(it, 0, sizeof(*it));
	ks_buf_init(&it->der, KS_PADES_CONTENTS_MAX);
	l->n++;
	it->doc_timestamp = ks_pdfobj_is_name(ks_pdfobj_get(f->sig, "Type"), "DocTimeStamp");
	snprintf(it->field, sizeof(it->field), "%s", f->name);
	it->range_end = range_end(doc, rev, f->sig);
	return ks_buf_set(&it->der, contents->u.str.s, n);
}

int ks_pades_sig_list_read(const uint8_t *pdf, size_t len, struct ks_pades_sig_list *l)
{
	const struct ks_pdfdoc_field *fields;
	struct ks_pdfdoc *doc = NULL;
	size_t rev, i, n;
	int rc = -1;

	ks_pades_sig_list_cleanup(l);
	KS_GUARD(open_doc(pdf, len, &doc));
	rev = ks_pdfdoc_rev_count(doc) - 1;
	KS_GUARD(ks_pdfdoc_fields(doc, rev, &fields, &n));
	for (i = 0; i < n; i++)
		if (fields[i].sig != NULL)
			KS_GUARD(add_sig(doc, rev, &fields[i], l));
	rc = 0;
out:
	if (rc < 0)
		ks_pades_sig_list_cleanup(l);
	ks_pdfdoc_free(doc);
	return rc;
}
