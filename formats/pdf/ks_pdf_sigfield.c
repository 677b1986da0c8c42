/* The signature field an update adds or fills (ISO 32000-1 12.7.4.5),
 * its widget on the page (12.5.6.19), the field lock (Table 233), and the
 * rewritten form dictionary and catalog (12.7.2, 12.8.4). */
#include <math.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_sign_int.h"

/* Serialize `v` and put it as object num/gen of the update. */
static int put_val(struct ks_pdf_signer *s, uint32_t num, uint16_t gen, const struct ks_pdf_val *v)
{
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, (size_t)16 << 20);
	KS_GUARD(ks_pdf_val_put(&b, v));
	KS_GUARD(ks_pdf_update_put(s->u, num, gen, b.data, b.len));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* "[x1 y1 x2 y2]" */
static struct ks_pdf_val *rect_val(double x, double y, double w, double h)
{
	struct ks_pdf_val *a = ks_pdf_val_new(KS_PV_ARRAY);

	if (a == NULL)
		return NULL;
	if (ks_pdf_val_push(a, ks_pdf_val_real(x)) < 0 ||
	    ks_pdf_val_push(a, ks_pdf_val_real(y)) < 0 ||
	    ks_pdf_val_push(a, ks_pdf_val_real(x + w)) < 0 ||
	    ks_pdf_val_push(a, ks_pdf_val_real(y + h)) < 0) {
		ks_pdf_val_free(a);
		return NULL;
	}
	return a;
}

/* Append `item` to the array at dict[key], which may be absent, inline or
 * an indirect array object (then that object is rewritten). */
static int append_to_array(struct ks_pdf_signer *s, struct ks_pdf_val *dict, const char *key,
			   struct ks_pdf_val *item, bool *dict_dirty)
{
	struct ks_pdf_val *cur = ks_pdf_val_get(dict, key), *arr = NULL;
	int rc = -1;

	if (cur != NULL && cur->type == KS_PV_REF) {
		KS_GUARD(ks_pdf_rd_get(s->rd, cur->num, cur->gen, &arr));
		if (arr != NULL && arr->type == KS_PV_ARRAY) {
			KS_GUARD(ks_pdf_val_push(arr, item));
			item = NULL;
			KS_GUARD(put_val(s, cur->num, cur->gen, arr));
			rc = 0;
			goto out;
		}
		cur = NULL; /* dangling or not an array: replace it */
	}
	if (cur != NULL && cur->type == KS_PV_ARRAY) {
		KS_GUARD(ks_pdf_val_push(cur, item));
		item = NULL;
	} else {
		struct ks_pdf_val *na = ks_pdf_val_new(KS_PV_ARRAY);

		KS_GUARD(ks_pdf_val_set(dict, key, na));
		if (na == NULL)
			goto out;
		KS_GUARD(ks_pdf_val_push(na, item));
		item = NULL;
	}
	*dict_dirty = true;
	rc = 0;
out:
	ks_pdf_val_free(item);
	ks_pdf_val_free(arr);
	return rc;
}

/* The field lock dictionary, an indirect object (12.7.4.5, Table 233). */
int ks_pdf_sign_put_lock(struct ks_pdf_signer *s)
{
	struct ks_buf b;
	int rc = -1;

	if (s->o->lock == KS_PADES_LOCK_NONE)
		return 0;
	ks_buf_init(&b, (size_t)1 << 16);
	KS_GUARD(ks_buf_append_str(&b, "<< /Type /SigFieldLock"));
	KS_GUARD(ks_pdf_sign_lock_entries(s->o, &b));
	KS_GUARD(ks_buf_append_str(&b, " >>"));
	KS_GUARD(ks_pdf_update_alloc(s->u, &s->lock_num));
	KS_GUARD(ks_pdf_update_put(s->u, s->lock_num, 0, b.data, b.len));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* "SignatureN": the smallest N not taken. */
static void new_field_name(const struct ks_pdf_signer *s, char *name, size_t n)
{
	unsigned k;

	if (s->o->field != NULL) {
		snprintf(name, n, "%s", s->o->field);
		return;
	}
	for (k = 1;; k++) {
		snprintf(name, n, "%s%u", s->o->doc_timestamp ? "TimeStamp" : "Signature", k);
		if (ks_pdf_form_field(&s->form, name) == NULL)
			return;
	}
}

/* /T as a text string: literal when plain ASCII, else UTF-16BE + BOM. */
static struct ks_pdf_val *field_title(const char *name)
{
	struct ks_buf b;
	struct ks_pdf_val *v = NULL;

	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _-") ==
	    strlen(name))
		return ks_pdf_val_string(name, strlen(name));
	ks_buf_init(&b, KS_PDF_MAX_STRING);
	if (ks_buf_append(&b, "\xfe\xff", 2) == 0 &&
	    ks_pdf_utf8_to_utf16be(name, strlen(name), &b) == 0)
		v = ks_pdf_val_string(b.data, b.len);
	ks_buf_cleanup(&b);
	return v;
}

/* A new field merged with its widget (12.7.4.5, 12.5.6.19), listed in the
 * page's /Annots and the AcroForm's /Fields. */
int ks_pdf_sign_add_field(struct ks_pdf_signer *s, struct ks_pdf_val *ap, bool visible,
			  struct ks_pades_result *res)
{
	struct ks_pdf_val *widget = NULL, *page = NULL;
	char name[KS_PDF_FORM_MAX_NAME + 1];
	uint32_t wnum, page_num = 0;
	uint16_t page_gen = 0;
	bool page_dirty = false;
	int rc = -1;

	page_num = s->page_num;
	page_gen = s->page_gen;
	new_field_name(s, name, sizeof(name));
	KS_GUARD(ks_pdf_update_alloc(s->u, &wnum));
	widget = ks_pdf_val_new(KS_PV_DICT);
	if (widget == NULL)
		goto out;
	KS_GUARD(ks_pdf_val_set(widget, "Type", ks_pdf_val_name("Annot")));
	KS_GUARD(ks_pdf_val_set(widget, "Subtype", ks_pdf_val_name("Widget")));
	KS_GUARD(ks_pdf_val_set(widget, "FT", ks_pdf_val_name("Sig")));
	KS_GUARD(ks_pdf_val_set(widget, "T", field_title(name)));
	KS_GUARD(ks_pdf_val_set(widget, "V", ks_pdf_val_ref(s->sig_num, 0)));
	KS_GUARD(ks_pdf_val_set(widget, "F", ks_pdf_val_int(KS_PADES_WIDGET_FLAGS)));
	/* An invisible signature has a zero rectangle (12.7.4.5 note). */
	KS_GUARD(ks_pdf_val_set(widget, "Rect",
				visible ? rect_val(s->rect[0], s->rect[1], s->rect[2], s->rect[3])
					: rect_val(0, 0, 0, 0)));
	KS_GUARD(ks_pdf_val_set(widget, "P", ks_pdf_val_ref(page_num, page_gen)));
	if (ap != NULL)
		KS_GUARD(ks_pdf_val_set(widget, "AP", ks_pdf_val_dup(ap)));
	if (s->lock_num != 0)
		KS_GUARD(ks_pdf_val_set(widget, "Lock", ks_pdf_val_ref(s->lock_num, 0)));
	KS_GUARD(put_val(s, wnum, 0, widget));

	/* The page lists the widget in /Annots (12.5.2). */
	KS_GUARD(ks_pdf_rd_get(s->rd, page_num, page_gen, &page));
	if (page == NULL || page->type != KS_PV_DICT)
		KS_BAIL(KS_ERR_PDF, "page object %u is not a dictionary", (unsigned)page_num);
	KS_GUARD(append_to_array(s, page, "Annots", ks_pdf_val_ref(wnum, 0), &page_dirty));
	if (page_dirty)
		KS_GUARD(put_val(s, page_num, page_gen, page));

	/* The AcroForm lists the field (12.7.2); a new one if there is none. */
	if (s->form.af == NULL) {
		s->form.af = ks_pdf_val_new(KS_PV_DICT);
		if (s->form.af == NULL)
			goto out;
		KS_GUARD(ks_pdf_update_alloc(s->u, &s->form.af_num));
		s->form.af_gen = 0;
		KS_GUARD(ks_pdf_val_set(s->catalog, "AcroForm", ks_pdf_val_ref(s->form.af_num, 0)));
		s->catalog_dirty = true;
	}
	KS_GUARD(append_to_array(s, s->form.af, "Fields", ks_pdf_val_ref(wnum, 0), &s->af_dirty));
	snprintf(res->field, sizeof(res->field), "%s", name);
	res->new_field = true;
	rc = 0;
out:
	ks_pdf_val_free(widget);
	ks_pdf_val_free(page);
	return rc;
}

/* Fill an existing empty signature field: /V, an optional lock, and the
 * appearance on its widget. */
int ks_pdf_sign_fill_field(struct ks_pdf_signer *s, struct ks_pdf_val *ap,
			   struct ks_pades_result *res)
{
	const struct ks_pdf_field *t = s->target;
	struct ks_pdf_val *field = NULL, *widget = NULL;
	int rc = -1;

	KS_GUARD(ks_pdf_rd_get(s->rd, t->num, t->gen, &field));
	if (field == NULL || field->type != KS_PV_DICT)
		KS_BAIL(KS_ERR_PDF, "field object %u vanished", (unsigned)t->num);
	/* A lock the form author put on the field applies (12.7.4.5). */
	if (s->lock_num == 0 && ks_pdf_val_get(field, "Lock") != NULL)
		KS_GUARD(ks_pdf_sign_field_lock_entries(s, t, &s->field_lock));
	KS_GUARD(ks_pdf_val_set(field, "V", ks_pdf_val_ref(s->sig_num, 0)));
	if (s->lock_num != 0)
		KS_GUARD(ks_pdf_val_set(field, "Lock", ks_pdf_val_ref(s->lock_num, 0)));
	if (ap != NULL && t->widget_num == t->num)
		KS_GUARD(ks_pdf_val_set(field, "AP", ks_pdf_val_dup(ap)));
	KS_GUARD(put_val(s, t->num, t->gen, field));
	if (ap != NULL && t->widget_num != t->num) {
		KS_GUARD(ks_pdf_rd_get(s->rd, t->widget_num, t->widget_gen, &widget));
		if (widget == NULL || widget->type != KS_PV_DICT)
			KS_BAIL(KS_ERR_PDF, "widget object %u vanished", (unsigned)t->widget_num);
		KS_GUARD(ks_pdf_val_set(widget, "AP", ks_pdf_val_dup(ap)));
		KS_GUARD(put_val(s, t->widget_num, t->widget_gen, widget));
	}
	snprintf(res->field, sizeof(res->field), "%s", t->name);
	res->new_field = false;
	rc = 0;
out:
	ks_pdf_val_free(field);
	ks_pdf_val_free(widget);
	return rc;
}

/* AcroForm /SigFlags, catalog /Perms for a certification, and the
 * rewritten AcroForm and catalog objects. */
int ks_pdf_sign_finish_catalog(struct ks_pdf_signer *s)
{
	const struct ks_pdf_val *sf = ks_pdf_val_get(s->form.af, "SigFlags"), *pv;
	struct ks_pdf_val *perms = NULL;
	int rc = -1;

	/* SignaturesExist | AppendOnly (12.7.2, Table 219). */
	if (sf == NULL || sf->type != KS_PV_INT || (sf->i & 3) != 3) {
		long long v = sf != NULL && sf->type == KS_PV_INT ? (sf->i | 3) : 3;

		KS_GUARD(ks_pdf_val_set(s->form.af, "SigFlags", ks_pdf_val_int(v)));
		s->af_dirty = true;
	}
	if (s->af_dirty) {
		if (s->form.af_num != 0) {
			KS_GUARD(put_val(s, s->form.af_num, s->form.af_gen, s->form.af));
		} else {
			KS_GUARD(
			    ks_pdf_val_set(s->catalog, "AcroForm", ks_pdf_val_dup(s->form.af)));
			s->catalog_dirty = true;
		}
	}
	if (s->o->certify > 0) {
		/* Catalog /Perms /DocMDP -> this signature (12.8.4). */
		pv = ks_pdf_val_get(s->catalog, "Perms");
		KS_GUARD(ks_pdf_form_resolve(s->rd, pv, &perms));
		if (perms == NULL || perms->type != KS_PV_DICT) {
			ks_pdf_val_free(perms);
			perms = ks_pdf_val_new(KS_PV_DICT);
			if (perms == NULL)
				goto out;
			pv = NULL;
		}
		KS_GUARD(ks_pdf_val_set(perms, "DocMDP", ks_pdf_val_ref(s->sig_num, 0)));
		if (pv != NULL && pv->type == KS_PV_REF) {
			KS_GUARD(put_val(s, pv->num, pv->gen, perms));
		} else {
			KS_GUARD(ks_pdf_val_set(s->catalog, "Perms", perms));
			perms = NULL;
			s->catalog_dirty = true;
		}
	}
	if (s->catalog_dirty)
		KS_GUARD(put_val(s, s->info.root_num, s->info.root_gen, s->catalog));
	rc = 0;
out:
	ks_pdf_val_free(perms);
	return rc;
}
