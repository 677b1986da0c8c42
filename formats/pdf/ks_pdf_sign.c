/* ks_pdf_sign: PAdES signing — field selection, the objects an update
 * adds or rewrites, the signature dictionary, placeholder sizing, and the
 * streamed ByteRange digest.  See ks_pades.h. */
#include "ks_pades.h"

#include <errno.h>
#include <math.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "formats/pdf/ks_pdf_appear.h"
#include "formats/pdf/ks_pdf_form.h"
#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "formats/pdf/ks_pdf_write.h"
#include "ks_io.h"
#include "ks_size.h"

/* Largest CMS the producer may return. */
#define KS_PADES_MAX_CMS ((size_t)1 << 20)
/* Annotation flags Print (bit 3) + Locked (bit 8): ISO 32000-1 12.5.3. */
#define KS_PADES_WIDGET_FLAGS 132

void ks_pades_opts_init(struct ks_pades_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->md = KS_MD_SHA256;
	o->tz_min = KS_PADES_TZ_VIETNAM;
}

/* ---------------------------------------------------------------- */
/* the CMS producer over a key                                       */

/* CAdES B-B detached SignedData over the ByteRange digest, without
 * signingTime (ETSI EN 319 142-1 5.4.3: the time is /M).  When sizing, the
 * key is not asked: ks_cms puts a zero signature value of the largest
 * length the key can produce (RSA: modulus; ECDSA: DER maximum), so the
 * DER is at least as long as the real one. */
static int key_produce(void *ctx, enum ks_md md, const uint8_t *digest, size_t dlen, bool sizing,
		       struct ks_buf *der)
{
	struct ks_pades_key_ctx *kc = ctx;
	struct ks_cms_sign_opts co;

	ks_cms_sign_opts_init(&co);
	co.signing_time = false;
	co.include_chain = true;
	co.sizing = sizing;
	return ks_cms_sign_digest(kc->key, kc->scheme, md, digest, dlen, &co, der);
}

void ks_pades_cms_from_key(struct ks_pades_key_ctx *ctx, struct ks_key *key, bool rsa_pss,
			   struct ks_pades_cms *out)
{
	ctx->key = key;
	ctx->scheme = ks_key_default_scheme(key);
	if (rsa_pss && key->type == KS_KEY_RSA)
		ctx->scheme = KS_SIG_RSA_PSS;
	out->produce = key_produce;
	out->ctx = ctx;
	out->cert = key->cert;
}

/* ---------------------------------------------------------------- */
/* helpers                                                           */

/* A subject attribute of the certificate (commonName, title) as UTF-8,
 * owned by the caller; *out NULL when absent and not required. */
static int cert_attr(X509 *cert, int nid, bool required, char **out)
{
	X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : NULL;
	int idx = name != NULL ? X509_NAME_get_index_by_NID(name, nid, -1) : -1;
	unsigned char *utf8 = NULL;
	int n;

	*out = NULL;
	if (idx < 0) {
		if (!required)
			return 0;
		return KS_SET(KS_ERR_CERT, "the signer certificate has no %s", OBJ_nid2ln(nid));
	}
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (n <= 0)
		return ks_err_set_ossl(KS_ERR_CERT, __FILE__, __LINE__,
				       "cannot read the certificate's %s", OBJ_nid2ln(nid));
	*out = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	if (*out == NULL || strlen(*out) != (size_t)n) {
		free(*out);
		*out = NULL;
		return KS_SET(KS_ERR_CERT, "bad %s in the signer certificate", OBJ_nid2ln(nid));
	}
	return 0;
}

/* Append " /Key <text string>" when value is set. */
static int put_text_entry(struct ks_buf *b, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	if (strlen(value) > KS_PDF_MAX_STRING / 4)
		return KS_SET(KS_ERR_LIMIT, "/%s text too long", key);
	if (ks_buf_printf(b, " /%s ", key) < 0 || ks_pdf_put_text(b, value) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- */
/* the signing context                                               */

struct signer {
	const struct ks_pades_opts *o;
	const struct ks_pades_cms *cms;
	struct ks_pdf_rd *rd;
	struct ks_pdf_rd_info info;
	struct ks_pdf_form form;
	struct ks_pdf_update *u;
	struct ks_pdf_val *catalog; /* copy, rewritten when dirty */
	bool catalog_dirty;
	bool af_dirty;
	const struct ks_pdf_field *target; /* existing field to fill, or NULL */
	char *cn;                          /* signer certificate CN */
	char *title;                       /* its title (role), may be NULL */
	time_t when;
	uint32_t sig_num;         /* the signature dictionary */
	uint32_t lock_num;        /* the field lock dictionary, 0 if none */
	struct ks_buf field_lock; /* TransformParams entries of an existing /Lock */
	size_t font_bytes;
	/* The page the widget is on, as displayed. */
	uint32_t page_num;
	uint16_t page_gen;
	int rotate;     /* /Rotate, 0 90 180 270 */
	double box[4];  /* /CropBox (else /MediaBox): llx lly urx ury */
	double rect[4]; /* a new widget's /Rect in page space: x y w h */
};

static void signer_cleanup(struct signer *s)
{
	ks_pdf_val_free(s->catalog);
	ks_pdf_form_cleanup(&s->form);
	ks_pdf_update_free(s->u);
	ks_pdf_rd_close(s->rd);
	ks_buf_cleanup(&s->field_lock);
	free(s->cn);
	free(s->title);
}

/* Serialize `v` and put it as object num/gen of the update. */
static int put_val(struct signer *s, uint32_t num, uint16_t gen, const struct ks_pdf_val *v)
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
static int append_to_array(struct signer *s, struct ks_pdf_val *dict, const char *key,
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

/* The lock dictionary (Table 233) or TransformParams entries for it. */
static int lock_entries(const struct ks_pades_opts *o, struct ks_buf *b)
{
	size_t i;

	switch (o->lock) {
	case KS_PADES_LOCK_ALL:
		return ks_buf_append_str(b, " /Action /All");
	case KS_PADES_LOCK_INCLUDE:
	case KS_PADES_LOCK_EXCLUDE:
		if (ks_buf_printf(b, " /Action /%s /Fields [",
				  o->lock == KS_PADES_LOCK_INCLUDE ? "Include" : "Exclude") < 0)
			return -1;
		for (i = 0; i < o->n_lock_fields; i++)
			if ((i > 0 && ks_buf_append_byte(b, ' ') < 0) ||
			    ks_pdf_put_text(b, o->lock_fields[i]) < 0)
				return -1;
		return ks_buf_append_byte(b, ']');
	case KS_PADES_LOCK_NONE:
		break;
	}
	return 0;
}

/* TransformParams entries from an existing field's /Lock dictionary. */
static int field_lock_entries(struct signer *s, const struct ks_pdf_field *f, struct ks_buf *b)
{
	struct ks_pdf_val *node = NULL, *lock = NULL;
	const struct ks_pdf_val *a, *fl;
	int rc = -1;

	KS_GUARD(ks_pdf_rd_get(s->rd, f->num, f->gen, &node));
	KS_GUARD(ks_pdf_form_resolve(s->rd, ks_pdf_val_get(node, "Lock"), &lock));
	a = ks_pdf_val_get(lock, "Action");
	if (a != NULL && a->type == KS_PV_NAME) {
		KS_GUARD(ks_buf_append_str(b, " /Action "));
		KS_GUARD(ks_pdf_val_put(b, a));
		fl = ks_pdf_val_get(lock, "Fields");
		if (fl != NULL && fl->type == KS_PV_ARRAY) {
			KS_GUARD(ks_buf_append_str(b, " /Fields "));
			KS_GUARD(ks_pdf_val_put(b, fl));
		}
	}
	rc = 0;
out:
	ks_pdf_val_free(node);
	ks_pdf_val_free(lock);
	return rc;
}

static int check_opts(const struct ks_pades_opts *o, const struct ks_pades_cms *cms)
{
	size_t i;

	if (cms == NULL || cms->produce == NULL || cms->cert == NULL)
		return KS_SET(KS_ERR_ARG, "no signature producer or certificate");
	if (o->certify < 0 || o->certify > 3)
		return KS_SET(KS_ERR_ARG, "certification level must be 1, 2 or 3 (got %d)",
			      o->certify);
	if (o->page > 0 && (!isfinite(o->x) || !isfinite(o->y) || !isfinite(o->w) ||
			    !isfinite(o->h) || o->w <= 0 || o->h <= 0))
		return KS_SET(KS_ERR_ARG,
			      "the signature rectangle must have a positive size (got %gx%g)", o->w,
			      o->h);
	if (o->lock != KS_PADES_LOCK_NONE && o->lock != KS_PADES_LOCK_ALL) {
		if (o->n_lock_fields == 0 || o->n_lock_fields > KS_PADES_MAX_LOCK_FIELDS ||
		    o->lock_fields == NULL)
			return KS_SET(KS_ERR_ARG, "a field lock needs 1 to %d field names",
				      KS_PADES_MAX_LOCK_FIELDS);
		for (i = 0; i < o->n_lock_fields; i++)
			if (o->lock_fields[i] == NULL || o->lock_fields[i][0] == '\0')
				return KS_SET(KS_ERR_ARG, "empty field name in the lock list");
	}
	if (o->field != NULL && (o->field[0] == '\0' || strlen(o->field) > KS_PDF_FORM_MAX_NAME))
		return KS_SET(KS_ERR_ARG, "field name must be 1 to %d bytes", KS_PDF_FORM_MAX_NAME);
	if (o->reserve_extra > KS_PADES_MAX_CMS)
		return KS_SET(KS_ERR_LIMIT, "reservation of %zu bytes too large", o->reserve_extra);
	return 0;
}

/* ---------------------------------------------------------------- */
/* signing, step by step                                             */

/* KS_ERR_ARG: no field `name`; the message lists the fields there are. */
static int no_such_field(const struct signer *s, const char *name)
{
	struct ks_buf list;
	const char *text = "";
	size_t i, shown = 0;

	ks_buf_init(&list, KS_ERR_MSG_MAX / 2);
	for (i = 0; i < s->form.n_fields && shown < KS_PADES_FIELDS_LISTED; i++, shown++) {
		const struct ks_pdf_field *f = &s->form.fields[i];

		if (ks_buf_printf(&list, "%s'%s' (%s)", i > 0 ? ", " : "", f->name,
				  !f->is_sig     ? "not a signature field"
				  : f->is_signed ? "signed"
						 : "empty signature field") < 0)
			break; /* the list is only for the message */
	}
	if (s->form.n_fields > shown &&
	    ks_buf_printf(&list, " and %zu more", s->form.n_fields - shown) < 0)
		ks_err_clear();
	if (ks_buf_cstr(&list, &text) < 0)
		text = "";
	KS_SET(KS_ERR_ARG,
	       s->form.n_fields == 0
		   ? "no field '%s': the document has no form fields%s; leave the field out to "
		     "add a new signature field"
		   : "no field '%s'; the fields are: %s; leave the field out to sign the first "
		     "empty signature field or add a new one",
	       name, text);
	ks_buf_cleanup(&list);
	return -1;
}

/* Open the original and refuse what cannot be signed. */
static int open_doc(struct signer *s, const struct ks_pdf_source *src)
{
	const struct ks_pades_opts *o = s->o;
	size_t i;

	if (src->mem == NULL)
		return KS_SET(KS_ERR_INTERNAL, "the signer needs a view of the original");
	if (ks_pdf_rd_open(src->mem, (size_t)src->len, &s->rd) < 0 ||
	    ks_pdf_rd_info(s->rd, &s->info) < 0)
		return -1;
	if (s->info.encrypted)
		return KS_SET(KS_ERR_UNSUPPORTED, "encrypted PDF files cannot be signed yet");
	if (s->info.repaired)
		return KS_SET(KS_ERR_PDF, "the PDF is damaged (its cross-reference data had to be "
					  "reconstructed); repair it before signing");
	if (ks_pdf_rd_get(s->rd, s->info.root_num, s->info.root_gen, &s->catalog) < 0)
		return -1;
	if (s->catalog == NULL || s->catalog->type != KS_PV_DICT)
		return KS_SET(KS_ERR_PDF, "the document catalog is missing or not a dictionary");
	if (ks_pdf_form_load(s->rd, s->catalog, &s->form) < 0)
		return -1;
	/* ISO 32000-1 12.8.2.2, Table 254: P=1 permits no change at all. */
	if (s->form.certified && s->form.docmdp_p == 1)
		return KS_SET(KS_ERR_POLICY, "the document is certified with no changes allowed "
					     "(DocMDP P=1): a new signature would break it");
	if (o->certify > 0 && (s->form.n_signed > 0 || s->form.certified))
		return KS_SET(KS_ERR_ARG, "certification is only possible on the first signature "
					  "of a document; this one is already signed");
	/* Which field: named, the first empty signature field, or new. */
	if (o->field != NULL) {
		s->target = ks_pdf_form_field(&s->form, o->field);
		if (s->target == NULL && o->field_must_exist)
			return no_such_field(s, o->field);
		if (s->target != NULL && !s->target->is_sig)
			return KS_SET(KS_ERR_ARG, "field '%s' is not a signature field", o->field);
		if (s->target != NULL && s->target->is_signed)
			return KS_SET(KS_ERR_ARG, "field '%s' is already signed", o->field);
		if (s->target == NULL && strchr(o->field, '.') != NULL)
			return KS_SET(KS_ERR_ARG, "a new field name cannot contain '.'");
	} else {
		for (i = 0; i < s->form.n_fields && s->target == NULL; i++)
			if (s->form.fields[i].is_sig && !s->form.fields[i].is_signed)
				s->target = &s->form.fields[i];
	}
	if (s->target != NULL && o->page > 0)
		return KS_SET(KS_ERR_ARG,
			      "field '%s' already has its place in the document; sign "
			      "it without a page and rectangle",
			      s->target->name);
	return 0;
}

static int start_update(struct signer *s, const struct ks_pdf_source *src)
{
	struct ks_pdf_update_base base;

	memset(&base, 0, sizeof(base));
	base.orig_len = src->len;
	base.prev_xref = s->info.startxref;
	base.size = s->info.size;
	base.xref_stream = s->info.xref_stream;
	base.root_num = s->info.root_num;
	base.root_gen = s->info.root_gen;
	base.info_num = s->info.info_num;
	base.info_gen = s->info.info_gen;
	memcpy(base.id0, s->info.id0, s->info.id0_len);
	base.id0_len = s->info.id0_len;
	base.ends_with_eol =
	    src->len > 0 && (src->mem[src->len - 1] == '\n' || src->mem[src->len - 1] == '\r');
	if (ks_pdf_update_new(&base, &s->u) < 0 || ks_pdf_update_alloc(s->u, &s->sig_num) < 0)
		return -1;
	if (cert_attr(s->cms->cert, NID_commonName, true, &s->cn) < 0)
		return -1;
	/* The role shown defaults to the certificate's title (X.520). */
	if (s->o->role == NULL && cert_attr(s->cms->cert, NID_title, false, &s->title) < 0)
		return -1;
	return 0;
}

/* A rectangle array [a b c d] as llx lly urx ury; false when it is not
 * four finite numbers. */
static bool box_of(const struct ks_pdf_val *a, double box[4])
{
	double v[4];
	size_t i;

	if (a == NULL || a->type != KS_PV_ARRAY || a->n != 4)
		return false;
	for (i = 0; i < 4; i++) {
		const struct ks_pdf_val *it = a->items[i];

		if (it->type == KS_PV_INT)
			v[i] = (double)it->i;
		else if (it->type == KS_PV_REAL)
			v[i] = it->r;
		else
			return false;
		if (!isfinite(v[i]))
			return false;
	}
	box[0] = fmin(v[0], v[2]);
	box[1] = fmin(v[1], v[3]);
	box[2] = fmax(v[0], v[2]);
	box[3] = fmax(v[1], v[3]);
	return true;
}

/* The page's /Rotate and visible box (/CropBox, else /MediaBox), both
 * inheritable from the page tree (ISO 32000-1 7.7.3.4): into s->rotate,
 * s->box.  A missing /MediaBox is taken as US Letter, as viewers do. */
static int page_geometry(struct signer *s)
{
	struct ks_pdf_val *node = NULL, *next = NULL, *tmp = NULL;
	const struct ks_pdf_val *v;
	double media[4] = { 0, 0, 612, 792 }, crop[4] = { 0, 0, 0, 0 };
	bool have_rot = false, have_crop = false, have_media = false;
	long long rot = 0;
	int depth, rc = -1;

	KS_GUARD(ks_pdf_rd_get(s->rd, s->page_num, s->page_gen, &node));
	for (depth = 0; node != NULL && node->type == KS_PV_DICT && depth < KS_PDF_VAL_MAX_DEPTH;
	     depth++) {
		v = ks_pdf_val_get(node, "Rotate");
		if (!have_rot && v != NULL && v->type == KS_PV_INT) {
			rot = v->i;
			have_rot = true;
		}
		if (!have_crop) {
			KS_GUARD(ks_pdf_form_resolve(s->rd, ks_pdf_val_get(node, "CropBox"), &tmp));
			have_crop = box_of(tmp, crop);
			ks_pdf_val_free(tmp);
			tmp = NULL;
		}
		if (!have_media) {
			KS_GUARD(
			    ks_pdf_form_resolve(s->rd, ks_pdf_val_get(node, "MediaBox"), &tmp));
			have_media = box_of(tmp, media);
			ks_pdf_val_free(tmp);
			tmp = NULL;
		}
		v = ks_pdf_val_get(node, "Parent");
		if (v == NULL || v->type != KS_PV_REF)
			break;
		KS_GUARD(ks_pdf_rd_get(s->rd, v->num, v->gen, &next));
		ks_pdf_val_free(node);
		node = next;
		next = NULL;
	}
	KS_ENSURE(rot % 90 == 0, KS_ERR_PDF, "page /Rotate %lld is not a multiple of 90", rot);
	rot %= 360;
	s->rotate = (int)(rot < 0 ? rot + 360 : rot);
	memcpy(s->box, have_crop ? crop : media, sizeof(s->box));
	rc = 0;
out:
	ks_pdf_val_free(node);
	ks_pdf_val_free(next);
	ks_pdf_val_free(tmp);
	return rc;
}

/* --visible X,Y,W,H is measured on the page as displayed, from its
 * lower-left corner, so a landscape gradebook stored as a portrait page
 * turned by /Rotate 90 is signed where the user looks.  Into page space
 * (the widget's /Rect). */
static void displayed_to_page(const struct signer *s, double x, double y, double w, double h,
			      double r[4])
{
	const double *b = s->box;

	switch (s->rotate) {
	case 90: /* shown turned clockwise: page (u, v) is seen at (v, W - u) */
		r[0] = b[2] - y - h;
		r[1] = b[1] + x;
		r[2] = h;
		r[3] = w;
		break;
	case 180:
		r[0] = b[2] - x - w;
		r[1] = b[3] - y - h;
		r[2] = w;
		r[3] = h;
		break;
	case 270:
		r[0] = b[0] + y;
		r[1] = b[3] - x - w;
		r[2] = h;
		r[3] = w;
		break;
	default:
		r[0] = b[0] + x;
		r[1] = b[1] + y;
		r[2] = w;
		r[3] = h;
	}
}

/* The page as displayed: width and height of the crop box after /Rotate,
 * and "595.28 x 841.89 pt (A4 portrait)" for messages. */
static void displayed_size(const struct signer *s, double *w, double *h)
{
	double bw = s->box[2] - s->box[0], bh = s->box[3] - s->box[1];
	bool turned = s->rotate == 90 || s->rotate == 270;

	*w = turned ? bh : bw;
	*h = turned ? bw : bh;
}

static void page_size_text(const struct signer *s, char *out, size_t n)
{
	static const struct {
		const char *name;
		double w, h;
	} paper[] = {
		{ "A3", 841.89, 1190.55 }, { "A4", 595.28, 841.89 }, { "A5", 419.53, 595.28 },
		{ "Letter", 612, 792 },    { "Legal", 612, 1008 },
	};
	double w, h;
	size_t i;

	displayed_size(s, &w, &h);
	for (i = 0; i < sizeof(paper) / sizeof(paper[0]); i++) {
		bool portrait = fabs(w - paper[i].w) < 1.5 && fabs(h - paper[i].h) < 1.5;
		bool landscape = fabs(w - paper[i].h) < 1.5 && fabs(h - paper[i].w) < 1.5;

		if (portrait || landscape) {
			snprintf(out, n, "%g x %g pt (%s %s)", w, h, paper[i].name,
				 portrait ? "portrait" : "landscape");
			return;
		}
	}
	snprintf(out, n, "%g x %g pt", w, h);
}

/* A box chosen by the signer lies within the page as displayed (ISO
 * 32000-1 14.11.2: what lies outside the crop box is not shown). */
static int check_box(const struct signer *s, unsigned page)
{
	const struct ks_pades_opts *o = s->o;
	/* Rounding in a page size written with two decimals. */
	const double slack = 0.01;
	char size[96];
	double w, h;

	displayed_size(s, &w, &h);
	if (o->x >= -slack && o->y >= -slack && o->x + o->w <= w + slack &&
	    o->y + o->h <= h + slack)
		return 0;
	page_size_text(s, size, sizeof(size));
	return KS_SET(KS_ERR_ARG,
		      "the signature box at x %g, y %g, %g x %g pt does not fit on page %u, which "
		      "is %s as displayed; x and y count from its lower-left corner, the box "
		      "must end within %g x %g",
		      o->x, o->y, o->w, o->h, page, size, w, h);
}

/* The rectangle of the target's widget (existing field). */
static int target_rect(struct signer *s, double *w, double *h)
{
	struct ks_pdf_val *wd = NULL;
	const struct ks_pdf_val *r;
	double v[4];
	size_t i;

	*w = *h = 0;
	if (ks_pdf_rd_get(s->rd, s->target->widget_num, s->target->widget_gen, &wd) < 0)
		return -1;
	r = ks_pdf_val_get(wd, "Rect");
	if (r != NULL && r->type == KS_PV_ARRAY && r->n == 4) {
		for (i = 0; i < 4; i++)
			v[i] = r->items[i]->type == KS_PV_INT    ? (double)r->items[i]->i
			       : r->items[i]->type == KS_PV_REAL ? r->items[i]->r
								 : 0;
		*w = fabs(v[2] - v[0]);
		*h = fabs(v[3] - v[1]);
	}
	/* The page it is on (/P, optional): its rotation turns the text. */
	r = ks_pdf_val_get(wd, "P");
	if (r != NULL && r->type == KS_PV_REF) {
		s->page_num = r->num;
		s->page_gen = r->gen;
	}
	ks_pdf_val_free(wd);
	if (s->page_num != 0) {
		double t;

		if (page_geometry(s) < 0)
			return -1;
		if (s->rotate == 90 || s->rotate == 270) {
			t = *w;
			*w = *h;
			*h = t;
		}
	}
	return 0;
}

/* The appearance (form XObject) of a visible signature: /AP << /N x >>.
 * `chosen`: the box is the signer's (--visible), not a form field's. */
static int appearance(struct signer *s, double w, double h, bool chosen, struct ks_pdf_val **ap)
{
	struct ks_pdf_appear_text t;
	uint32_t xnum;

	*ap = NULL;
	memset(&t, 0, sizeof(t));
	t.signer = s->cn;
	t.role = s->o->role != NULL ? s->o->role : s->title;
	t.reason = s->o->reason;
	t.location = s->o->location;
	t.when = s->when;
	t.tz_min = s->o->tz_min;
	t.rotate = s->rotate;
	/* A box the signer chose must leave the text legible; a form's own
	 * field is drawn as its author made it. */
	t.min_size = chosen ? KS_PDF_APPEAR_MIN_SIZE : 0;
	if (ks_pdf_appear_build(s->u, s->o->font_path, &t, w, h, &xnum, &s->font_bytes) < 0)
		return -1;
	*ap = ks_pdf_val_new(KS_PV_DICT);
	if (*ap == NULL || ks_pdf_val_set(*ap, "N", ks_pdf_val_ref(xnum, 0)) < 0) {
		ks_pdf_val_free(*ap);
		*ap = NULL;
		return -1;
	}
	return 0;
}

/* The field lock dictionary, an indirect object (12.7.4.5, Table 233). */
static int put_lock(struct signer *s)
{
	struct ks_buf b;
	int rc = -1;

	if (s->o->lock == KS_PADES_LOCK_NONE)
		return 0;
	ks_buf_init(&b, (size_t)1 << 16);
	KS_GUARD(ks_buf_append_str(&b, "<< /Type /SigFieldLock"));
	KS_GUARD(lock_entries(s->o, &b));
	KS_GUARD(ks_buf_append_str(&b, " >>"));
	KS_GUARD(ks_pdf_update_alloc(s->u, &s->lock_num));
	KS_GUARD(ks_pdf_update_put(s->u, s->lock_num, 0, b.data, b.len));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* "SignatureN": the smallest N not taken. */
static void new_field_name(const struct signer *s, char *name, size_t n)
{
	unsigned k;

	if (s->o->field != NULL) {
		snprintf(name, n, "%s", s->o->field);
		return;
	}
	for (k = 1;; k++) {
		snprintf(name, n, "Signature%u", k);
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
static int add_new_field(struct signer *s, struct ks_pdf_val *ap, bool visible,
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
static int fill_field(struct signer *s, struct ks_pdf_val *ap, struct ks_pades_result *res)
{
	const struct ks_pdf_field *t = s->target;
	struct ks_pdf_val *field = NULL, *widget = NULL;
	int rc = -1;

	KS_GUARD(ks_pdf_rd_get(s->rd, t->num, t->gen, &field));
	if (field == NULL || field->type != KS_PV_DICT)
		KS_BAIL(KS_ERR_PDF, "field object %u vanished", (unsigned)t->num);
	/* A lock the form author put on the field applies (12.7.4.5). */
	if (s->lock_num == 0 && ks_pdf_val_get(field, "Lock") != NULL)
		KS_GUARD(field_lock_entries(s, t, &s->field_lock));
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
static int finish_catalog(struct signer *s)
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

/* Entries of the signature dictionary (12.8.1, Table 252; ETSI EN 319
 * 142-1 5.3) other than /ByteRange and /Contents. */
static int sig_entries(struct signer *s, struct ks_buf *sd)
{
	const struct ks_pades_opts *o = s->o;
	bool fieldmdp = s->lock_num != 0 || s->field_lock.len > 0;

	if (ks_buf_append_str(sd, "/Type /Sig /Filter /Adobe.PPKLite "
				  "/SubFilter /ETSI.CAdES.detached /M ") < 0 ||
	    ks_pdf_put_date(sd, s->when, o->tz_min) < 0 ||
	    put_text_entry(sd, "Name", o->name != NULL ? o->name : s->cn) < 0 ||
	    put_text_entry(sd, "Reason", o->reason) < 0 ||
	    put_text_entry(sd, "Location", o->location) < 0 ||
	    put_text_entry(sd, "ContactInfo", o->contact_info) < 0)
		return -1;
	if (o->certify == 0 && !fieldmdp)
		return ks_buf_append_byte(sd, '\0');
	/* Signature references (12.8.1, Table 253; 12.8.2.2, 12.8.2.4). */
	if (ks_buf_append_str(sd, " /Reference [") < 0)
		return -1;
	if (o->certify > 0 &&
	    ks_buf_printf(sd,
			  "<< /Type /SigRef /TransformMethod /DocMDP "
			  "/TransformParams << /Type /TransformParams /P %d /V /1.2 "
			  ">> >>",
			  o->certify) < 0)
		return -1;
	if (fieldmdp) {
		if (ks_buf_append_str(sd, "<< /Type /SigRef /TransformMethod /FieldMDP "
					  "/TransformParams << /Type /TransformParams") < 0)
			return -1;
		if (s->lock_num != 0 ? lock_entries(o, sd) < 0
				     : ks_buf_append(sd, s->field_lock.data, s->field_lock.len) < 0)
			return -1;
		/* /Data: the object the analysis starts from, the catalog. */
		if (ks_buf_printf(sd, " /V /1.2 >> /Data %u %u R >>", (unsigned)s->info.root_num,
				  (unsigned)s->info.root_gen) < 0)
			return -1;
	}
	if (ks_buf_append_str(sd, "]") < 0)
		return -1;
	return ks_buf_append_byte(sd, '\0');
}

/* Reserve /Contents from the sized CMS, stream the original through the
 * digest, sign, fill /Contents, write the update. */
static int sign_and_write(struct signer *s, const struct ks_pdf_source *src,
			  const struct ks_pdf_sink *sink, struct ks_pades_result *res)
{
	const struct ks_pades_opts *o = s->o;
	struct ks_buf sd, der;
	EVP_MD_CTX *md = NULL;
	uint8_t digest[EVP_MAX_MD_SIZE], zero[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t contents_max;
	struct ks_pdf_byterange br;
	int rc = -1;

	ks_buf_init(&sd, (size_t)1 << 20);
	ks_buf_init(&der, KS_PADES_MAX_CMS);
	KS_GUARD(sig_entries(s, &sd));
	/* Size /Contents from a CMS built the same way with a zero digest. */
	memset(zero, 0, sizeof(zero));
	KS_GUARD(s->cms->produce(s->cms->ctx, o->md, zero, ks_md_size(o->md), true, &der));
	KS_GUARD(ks_add_size(der.len, KS_PADES_SLACK, &contents_max));
	KS_GUARD(ks_add_size(contents_max, o->reserve_extra, &contents_max));
	KS_GUARD(ks_pdf_update_put_sig(s->u, s->sig_num, (const char *)sd.data, contents_max));

	/* Stream the original while hashing; then the update's own bytes. */
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, ks_md_evp(o->md), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
	KS_GUARD(ks_pdf_update_copy_original(s->u, src, sink, md, &br));
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest final");
	ks_buf_reset(&der);
	KS_GUARD(s->cms->produce(s->cms->ctx, o->md, digest, dlen, false, &der));
	KS_GUARD(ks_pdf_update_finish(s->u, der.data, der.len, sink));
	res->contents_reserved = contents_max;
	res->cms_len = der.len;
	memcpy(res->byte_range, br.r, sizeof(res->byte_range));
	res->out_len = src->len + ks_pdf_update_len(s->u);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	ks_buf_cleanup(&sd);
	ks_buf_cleanup(&der);
	return rc;
}

static int sign_core(const struct ks_pdf_source *src, const struct ks_pdf_sink *sink,
		     const struct ks_pades_cms *cms, const struct ks_pades_opts *o,
		     struct ks_pades_result *res)
{
	struct signer s;
	struct ks_pdf_val *ap = NULL;
	double w = 0, h = 0;
	bool visible;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(res, 0, sizeof(*res));
	s.o = o;
	s.cms = cms;
	s.when = o->signing_time != 0 ? o->signing_time : time(NULL);
	ks_buf_init(&s.field_lock, (size_t)1 << 16);
	KS_GUARD(check_opts(o, cms));
	KS_GUARD(open_doc(&s, src));
	KS_GUARD(start_update(&s, src));
	if (s.target != NULL) {
		/* An existing field is visible when its widget has an area. */
		KS_GUARD(target_rect(&s, &w, &h));
		visible = w >= 1 && h >= 1;
	} else {
		size_t npages;

		visible = o->page > 0;
		w = o->w;
		h = o->h;
		KS_GUARD(ks_pdf_form_find_page(s.rd, s.catalog, o->page > 0 ? o->page - 1 : 0,
					       &s.page_num, &s.page_gen, &npages));
		if (visible) {
			KS_GUARD(page_geometry(&s));
			KS_GUARD(check_box(&s, o->page));
			displayed_to_page(&s, o->x, o->y, o->w, o->h, s.rect);
		}
	}
	if (visible && appearance(&s, w, h, s.target == NULL, &ap) < 0) {
		/* A box too small for its text: say how large the page is. */
		if (s.target == NULL && ks_err_code() == KS_ERR_ARG) {
			char size[96];

			page_size_text(&s, size, sizeof(size));
			KS_SET(KS_ERR_ARG, "%s; page %u is %s as displayed", ks_err_msg(), o->page,
			       size);
		}
		goto out;
	}
	KS_GUARD(put_lock(&s));
	if (s.target == NULL)
		KS_GUARD(add_new_field(&s, ap, visible, res));
	else
		KS_GUARD(fill_field(&s, ap, res));
	KS_GUARD(finish_catalog(&s));
	KS_GUARD(sign_and_write(&s, src, sink, res));
	res->font_bytes = s.font_bytes;
	rc = 0;
out:
	ks_pdf_val_free(ap);
	signer_cleanup(&s);
	return rc;
}

/* A parse error is about the file: say which ("'x.pdf': ..."). */
static void name_file(const char *path)
{
	enum ks_err_code code = ks_err_code();

	if (code == KS_ERR_PDF || code == KS_ERR_PDF_XREF || code == KS_ERR_PARSE ||
	    code == KS_ERR_TRUNCATED || code == KS_ERR_LIMIT)
		ks_err_set(code, ks_err_file(), ks_err_line(), "'%s': %s", path, ks_err_msg());
}

int ks_pades_sign_mem(const uint8_t *pdf, size_t len, const struct ks_pades_cms *cms,
		      const struct ks_pades_opts *opts, struct ks_buf *out,
		      struct ks_pades_result *res)
{
	struct ks_pdf_source src = { pdf, -1, len };
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, out };
	struct ks_pades_result tmp;
	size_t start = out->len;

	if (sign_core(&src, &sink, cms, opts, res != NULL ? res : &tmp) < 0) {
		ks_buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int ks_pades_sign_file(const char *in_path, const char *out_path, const struct ks_pades_cms *cms,
		       const struct ks_pades_opts *opts, struct ks_pades_result *res)
{
	struct ks_atomic_file af;
	struct ks_pdf_source src = { NULL, -1, 0 };
	struct ks_pdf_sink sink = { ks_pdf_sink_atomic, &af };
	struct ks_pades_result tmp;
	struct ks_file_map in;
	bool opened = false;
	int rc = -1;

	memset(&af, 0, sizeof(af));
	/* Opened once, a regular file only (a FIFO or device is refused at
	 * once); mapped, not read: the reader touches the parts it needs, and
	 * the copy to the output streams through a fixed chunk (pread). */
	KS_GUARD(ks_file_map(in_path, &in));
	if (in.len == 0)
		KS_BAIL(KS_ERR_PDF, "'%s' is empty", in_path);
	src.mem = in.data;
	src.fd = in.fd;
	src.len = (uint64_t)in.len;
	KS_GUARD(ks_atomic_open(&af, out_path, 0666));
	opened = true;
	if (sign_core(&src, &sink, cms, opts, res != NULL ? res : &tmp) < 0) {
		name_file(in_path);
		goto out;
	}
	KS_GUARD(ks_atomic_commit(&af));
	opened = false;
	rc = 0;
out:
	if (opened)
		ks_atomic_abort(&af);
	ks_file_unmap(&in);
	return rc;
}
