/* ks_pdf_sign: PAdES signing, the driver — options, the document read
 * and the field chosen, the update started, placeholder sizing, the
 * streamed ByteRange digest and the output.  See ks_pades.h; the parts
 * are in ks_pdf_place.c, ks_pdf_sigfield.c and ks_pdf_sigdict.c. */
#include "ks_pades.h"

#include <errno.h>
#include <math.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "formats/cms/ks_cms.h"
#include "formats/pdf/ks_pdf_sign_int.h"
#include "ks_io.h"
#include "ks_size.h"

/* Inputs up to this size are read into memory rather than mapped. */
#define KS_PADES_READ_MAX ((uint64_t)4 << 20)

/* Largest CMS the producer may return. */
#define KS_PADES_MAX_CMS ((size_t)1 << 20)

/* A small input is signed into memory: the result is at most this large
 * (the input, the appearance and font, the reserved /Contents), and room
 * for the input plus this much is taken at once. */
#define KS_PADES_SMALL_OUT_MAX ((size_t)64 << 20)
#define KS_PADES_SMALL_OUT_SLACK ((size_t)64 << 10)

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

static void signer_cleanup(struct ks_pdf_signer *s)
{
	ks_pdf_val_free(s->catalog);
	ks_pdf_form_cleanup(&s->form);
	ks_pdf_update_free(s->u);
	ks_pdf_rd_close(s->rd);
	ks_buf_cleanup(&s->field_lock);
	free(s->cn);
	free(s->title);
}

static int check_opts(const struct ks_pades_opts *o, const struct ks_pades_cms *cms)
{
	size_t i;

	if (cms == NULL || cms->produce == NULL || (cms->cert == NULL && !o->doc_timestamp))
		return KS_SET(KS_ERR_ARG, "no signature producer or certificate");
	if (o->doc_timestamp &&
	    (o->certify != 0 || o->lock != KS_PADES_LOCK_NONE || o->page != 0 || o->field != NULL))
		return KS_SET(KS_ERR_ARG, "a document timestamp is invisible, in a new field, and "
					  "neither certifies nor locks");
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
static int no_such_field(const struct ks_pdf_signer *s, const char *name)
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
static int open_doc(struct ks_pdf_signer *s, const struct ks_pdf_source *src)
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
	/* A signature covering bytes the file does not have (truncated): an
	 * update would put its own bytes in that range. */
	if (s->form.covered_end > src->len)
		return KS_SET(KS_ERR_PDF,
			      "a signature of the document covers bytes up to offset %llu, beyond "
			      "its end (%llu bytes): the file is truncated; a new signature would "
			      "write into the range an earlier one signed",
			      (unsigned long long)s->form.covered_end,
			      (unsigned long long)src->len);
	if (o->doc_timestamp)
		return 0; /* validation data: any P allows it; always a new field */
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

static int start_update(struct ks_pdf_signer *s, const struct ks_pdf_source *src)
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
	if (s->o->doc_timestamp)
		return 0; /* the TSA signs: no signer name, no role */
	if (ks_pdf_sign_cert_attr(s->cms->cert, NID_commonName, true, &s->cn) < 0)
		return -1;
	/* The role shown defaults to the certificate's title (X.520). */
	if (s->o->role == NULL &&
	    ks_pdf_sign_cert_attr(s->cms->cert, NID_title, false, &s->title) < 0)
		return -1;
	return 0;
}

/* Reserve /Contents from the sized CMS, stream the original through the
 * digest, sign, fill /Contents, write the update. */
static int sign_and_write(struct ks_pdf_signer *s, const struct ks_pdf_source *src,
			  const struct ks_pdf_sink *sink, struct ks_pades_result *res)
{
	const struct ks_pades_opts *o = s->o;
	struct ks_buf sd, der;
	EVP_MD_CTX *md = NULL;
	uint8_t digest[EVP_MAX_MD_SIZE], zero[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t contents_max;
	struct ks_pdf_byterange br;
	bool primed;
	int rc = -1;

	ks_buf_init(&sd, (size_t)1 << 20);
	ks_buf_init(&der, KS_PADES_MAX_CMS);
	KS_GUARD(ks_pdf_sign_sig_entries(s, &sd));
	/* Size /Contents from a CMS built the same way with a zero digest. */
	memset(zero, 0, sizeof(zero));
	KS_GUARD(s->cms->produce(s->cms->ctx, o->md, zero, ks_md_size(o->md), true, &der));
	KS_GUARD(ks_add_size(der.len, KS_PADES_SLACK, &contents_max));
	KS_GUARD(ks_add_size(contents_max, o->reserve_extra, &contents_max));
	KS_GUARD(ks_pdf_update_put_sig(s->u, s->sig_num, (const char *)sd.data, contents_max));

	/* Stream the original while hashing; then the update's own bytes. */
	md = EVP_MD_CTX_new();
	if (md == NULL)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
	primed = o->input_digest != NULL && EVP_MD_CTX_get0_md(o->input_digest) != NULL &&
		 EVP_MD_get_type(EVP_MD_CTX_get0_md(o->input_digest)) ==
		     EVP_MD_get_type(ks_md_evp(o->md));
	if (primed ? EVP_MD_CTX_copy_ex(md, o->input_digest) != 1
		   : EVP_DigestInit_ex(md, ks_md_evp(o->md), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
	KS_GUARD(ks_pdf_update_copy_original(s->u, src, sink, md, primed, &br));
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

/* opts.info_key's byte string into res.  Nothing here stops a signature:
 * an /Info that cannot be read only means no value. */
static void read_info_value(struct ks_pdf_signer *s, struct ks_pades_result *res)
{
	struct ks_pdf_val *dict = NULL;
	const struct ks_pdf_val *v;

	if (s->o->info_key == NULL || s->info.info_num == 0)
		return;
	if (ks_pdf_rd_get(s->rd, s->info.info_num, s->info.info_gen, &dict) < 0) {
		ks_err_clear();
		return;
	}
	v = dict != NULL && dict->type == KS_PV_DICT ? ks_pdf_val_get(dict, s->o->info_key) : NULL;
	if (v != NULL && v->type == KS_PV_STRING && v->len > 0 &&
	    v->len <= sizeof(res->info_value)) {
		memcpy(res->info_value, v->s, v->len);
		res->info_len = v->len;
	}
	ks_pdf_val_free(dict);
}

static int sign_core(const struct ks_pdf_source *src, const struct ks_pdf_sink *sink,
		     const struct ks_pades_cms *cms, const struct ks_pades_opts *o,
		     struct ks_pades_result *res)
{
	struct ks_pdf_signer s;
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
	read_info_value(&s, res);
	KS_GUARD(start_update(&s, src));
	if (s.target != NULL) {
		/* An existing field is visible when its widget has an area. */
		KS_GUARD(ks_pdf_sign_target_rect(&s, &w, &h));
		visible = w >= 1 && h >= 1;
	} else {
		size_t npages;

		visible = o->page > 0;
		w = o->w;
		h = o->h;
		KS_GUARD(ks_pdf_form_find_page(s.rd, s.catalog, o->page > 0 ? o->page - 1 : 0,
					       &s.page_num, &s.page_gen, &npages));
		if (visible) {
			KS_GUARD(ks_pdf_sign_page_geometry(&s));
			KS_GUARD(ks_pdf_sign_check_box(&s, o->page));
			ks_pdf_sign_to_page(&s, o->x, o->y, o->w, o->h, s.rect);
		}
	}
	if (visible && ks_pdf_sign_appearance(&s, w, h, s.target == NULL, &ap) < 0) {
		/* A box too small for its text: say how large the page is. */
		if (s.target == NULL && ks_err_code() == KS_ERR_ARG) {
			char size[96];

			ks_pdf_sign_page_size_text(&s, size, sizeof(size));
			KS_SET(KS_ERR_ARG, "%s; page %u is %s as displayed", ks_err_msg(), o->page,
			       size);
		}
		goto out;
	}
	KS_GUARD(ks_pdf_sign_put_lock(&s));
	if (s.target == NULL)
		KS_GUARD(ks_pdf_sign_add_field(&s, ap, visible, res));
	else
		KS_GUARD(ks_pdf_sign_fill_field(&s, ap, res));
	KS_GUARD(ks_pdf_sign_finish_catalog(&s));
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

/* Read all of a small input (fd at its start) into *buf. */
static int read_small(int fd, const char *path, size_t n, uint8_t **buf)
{
	size_t off = 0;
	ssize_t got;

	*buf = malloc(n);
	if (*buf == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	while (off < n) {
		got = pread(fd, *buf + off, n - off, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return KS_SET(KS_ERR_IO, "reading '%s': %s", path,
				      got < 0 ? strerror(errno) : "the file shrank");
		off += (size_t)got;
	}
	return 0;
}

/* The result of signing a document held in memory: the original's bytes
 * come first and are not copied (only how far they reach is kept); what
 * follows them goes to `rest`.  The result is orig[0, taken) and rest,
 * whatever order the writer used. */
struct mem_result {
	const uint8_t *orig;
	size_t orig_len, taken;
	struct ks_buf *rest;
};

static int sink_mem_result(void *ctx, const void *p, size_t n)
{
	struct mem_result *m = ctx;

	if (m->rest->len == 0 && (const uint8_t *)p == m->orig + m->taken &&
	    n <= m->orig_len - m->taken) {
		m->taken += n;
		return 0;
	}
	return ks_buf_append(m->rest, p, n);
}

int ks_pades_sign_file(const char *in_path, const char *out_path, const struct ks_pades_cms *cms,
		       const struct ks_pades_opts *opts, struct ks_pades_result *res)
{
	struct ks_atomic_file af;
	struct ks_pdf_source src = { NULL, -1, 0 };
	struct ks_pdf_sink sink = { ks_pdf_sink_atomic, &af };
	struct ks_pades_result tmp;
	struct ks_file_map in;
	struct ks_buf whole;
	struct mem_result mr = { NULL, 0, 0, &whole };
	uint8_t *small = NULL;
	uint64_t size;
	bool opened = false;
	int rc = -1;

	memset(&af, 0, sizeof(af));
	memset(&in, 0, sizeof(in));
	in.fd = -1;
	ks_buf_init(&whole, KS_PADES_SMALL_OUT_MAX);
	/* Opened once, a regular file only (a FIFO or device is refused at
	 * once).  A large file is mapped, not read: the reader touches the
	 * parts it needs, and the copy to the output streams through a fixed
	 * chunk (pread).  A small one is read once and signed in memory, and
	 * the result written with one write: unmapping costs more than
	 * reading it (a TLB flush), and each further system call shows when
	 * a batch signs many. */
	KS_GUARD(ks_file_open_input(in_path, &in.fd, &size));
	if (size == 0)
		KS_BAIL(KS_ERR_PDF, "'%s' is empty", in_path);
	if (size <= KS_PADES_READ_MAX) {
		KS_GUARD(read_small(in.fd, in_path, (size_t)size, &small));
		src.mem = small;
		src.len = size;
		mr.orig = small;
		mr.orig_len = (size_t)size;
		sink.write = sink_mem_result;
		sink.ctx = &mr;
		KS_GUARD(ks_buf_reserve(&whole, KS_PADES_SMALL_OUT_SLACK));
	} else {
		if (size > SIZE_MAX)
			KS_BAIL(KS_ERR_LIMIT, "'%s' is too large to map", in_path);
		in.map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, in.fd, 0);
		if (in.map == MAP_FAILED) {
			in.map = NULL;
			KS_BAIL(KS_ERR_IO, "cannot map '%s': %s", in_path, strerror(errno));
		}
		in.len = (size_t)size;
		in.data = in.map;
		src.mem = in.data;
		src.fd = in.fd;
		src.len = size;
	}
	KS_GUARD(ks_atomic_open(&af, out_path, 0666));
	opened = true;
	/* The whole result goes in one write: no stdio buffer to fill (and
	 * no fstat to size one). */
	if (src.fd < 0 && setvbuf(af.f, NULL, _IONBF, 0) != 0)
		KS_BAIL(KS_ERR_IO, "cannot set up the output of '%s'", in_path);
	if (sign_core(&src, &sink, cms, opts, res != NULL ? res : &tmp) < 0) {
		name_file(in_path);
		goto out;
	}
	if (src.fd < 0)
		KS_GUARD(ks_atomic_write2(&af, mr.orig, mr.taken, whole.data, whole.len));
	KS_GUARD(ks_atomic_commit(&af));
	opened = false;
	rc = 0;
out:
	if (opened)
		ks_atomic_abort(&af);
	if (in.map != NULL)
		munmap(in.map, in.len);
	if (in.fd >= 0)
		close(in.fd);
	free(small);
	ks_buf_cleanup(&whole);
	return rc;
}
