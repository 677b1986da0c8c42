/* Where a visible signature goes: the page as displayed (its crop box
 * and /Rotate, inherited from the page tree), the signer's box checked
 * against it, an existing field's widget, and the appearance drawn in
 * it. */
#include <math.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_appear.h"
#include "formats/pdf/ks_pdf_sign_int.h"

/* The page's /Rotate and visible box, inherited from the page tree, as
 * the reader gives them: into s->rotate, s->box. */
int ks_pdf_sign_page_geometry(struct ks_pdf_signer *s)
{
	return ks_pdf_form_page_geometry(s->rd, s->page_num, &s->rotate, s->box);
}

/* --visible X,Y,W,H is measured on the page as displayed, from its
 * lower-left corner, so a landscape gradebook stored as a portrait page
 * turned by /Rotate 90 is signed where the user looks.  Into page space
 * (the widget's /Rect). */
void ks_pdf_sign_to_page(const struct ks_pdf_signer *s, double x, double y, double w, double h,
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
static void displayed_size(const struct ks_pdf_signer *s, double *w, double *h)
{
	double bw = s->box[2] - s->box[0], bh = s->box[3] - s->box[1];
	bool turned = s->rotate == 90 || s->rotate == 270;

	*w = turned ? bh : bw;
	*h = turned ? bw : bh;
}

void ks_pdf_sign_page_size_text(const struct ks_pdf_signer *s, char *out, size_t n)
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
int ks_pdf_sign_check_box(const struct ks_pdf_signer *s, unsigned page)
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
	ks_pdf_sign_page_size_text(s, size, sizeof(size));
	return KS_SET(KS_ERR_ARG,
		      "the signature box at x %g, y %g, %g x %g pt does not fit on page %u, which "
		      "is %s as displayed; x and y count from its lower-left corner, the box "
		      "must end within %g x %g",
		      o->x, o->y, o->w, o->h, page, size, w, h);
}

/* The rectangle of the target's widget (existing field). */
int ks_pdf_sign_target_rect(struct ks_pdf_signer *s, double *w, double *h)
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

		if (ks_pdf_sign_page_geometry(s) < 0)
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
int ks_pdf_sign_appearance(struct ks_pdf_signer *s, double w, double h, bool chosen,
			   struct ks_pdf_val **ap)
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
