/* The Document Security Store (ETSI EN 319 142-1 5.4.2.2, ISO 32000-2
 * 12.8.4.3): validation data — certificates, OCSP responses, CRLs — added
 * to a signed PDF in an incremental update of its own, so that signatures
 * can be validated when the CAs' services are gone (the B-LT level).  An
 * existing DSS is kept and extended: data it already holds (same bytes)
 * is not added twice. */
#include "ks_pades.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/pdf/ks_pdf_form.h"
#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "formats/pdf/ks_pdf_write.h"
#include "formats/pdf/ks_pdfdoc.h"
#include "ks_io.h"

#define KS_PADES_DSS_COPY_CHUNK ((size_t)1 << 20)

struct dss_ctx {
	struct ks_pdf_rd *rd;
	struct ks_pdf_rd_info info;
	struct ks_pdf_update *u;
	struct ks_pdf_val *catalog, *dss;
	uint8_t (*seen)[32]; /* SHA-256 of every stream the DSS holds */
	size_t nseen, capseen;
	size_t added;
};

static int sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "SHA-256");
	return 0;
}

static bool seen(const struct dss_ctx *c, const uint8_t h[32])
{
	size_t i;

	for (i = 0; i < c->nseen; i++)
		if (memcmp(c->seen[i], h, 32) == 0)
			return true;
	return false;
}

static int remember(struct dss_ctx *c, const uint8_t h[32])
{
	uint8_t(*grown)[32];
	size_t cap;

	if (c->nseen == c->capseen) {
		cap = c->capseen == 0 ? 32 : c->capseen * 2;
		if (cap > KS_PADES_DSS_MAX_ITEMS * 3)
			return KS_SET(KS_ERR_LIMIT, "more than %d items in the DSS",
				      KS_PADES_DSS_MAX_ITEMS * 3);
		grown = realloc(c->seen, cap * sizeof(*grown));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		c->seen = grown;
		c->capseen = cap;
	}
	memcpy(c->seen[c->nseen++], h, 32);
	return 0;
}

/* The hashes of what an existing array of the DSS refers to. */
static int note_existing(struct dss_ctx *c, const struct ks_pdf_val *arr)
{
	struct ks_pdfdoc *doc;
	const struct ks_pdfobj *o;
	struct ks_buf data;
	uint8_t h[32];
	size_t i, rev;
	int rc = -1;

	doc = ks_pdf_rd_doc(c->rd, &rev);
	ks_buf_init(&data, KS_PDFDOC_MAX_STREAM);
	for (i = 0; arr != NULL && arr->type == KS_PV_ARRAY && i < arr->n; i++) {
		if (arr->items[i]->type != KS_PV_REF)
			continue;
		if (ks_pdfdoc_get(doc, rev, arr->items[i]->num, arr->items[i]->gen, &o) < 0 ||
		    o->type != KS_PDFOBJ_STREAM || ks_pdfdoc_stream_decode(doc, o, &data) < 0) {
			if (ks_err_code() == KS_ERR_NOMEM)
				goto out;
			ks_err_clear();
			continue; /* unreadable: kept as it is, never matched */
		}
		KS_GUARD(sha256(data.data, data.len, h));
		KS_GUARD(remember(c, h));
	}
	rc = 0;
out:
	ks_buf_cleanup(&data);
	return rc;
}

/* The array /key of the DSS as a direct copy (an indirect one resolved). */
static int dss_array(struct dss_ctx *c, const char *key, struct ks_pdf_val **out)
{
	struct ks_pdf_val *arr = NULL;

	*out = NULL;
	if (ks_pdf_form_resolve(c->rd, ks_pdf_val_get(c->dss, key), &arr) < 0)
		return -1;
	if (arr == NULL || arr->type != KS_PV_ARRAY) {
		ks_pdf_val_free(arr);
		arr = ks_pdf_val_new(KS_PV_ARRAY);
		if (arr == NULL)
			return -1;
	}
	if (note_existing(c, arr) < 0) {
		ks_pdf_val_free(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

/* New streams for the items not yet in the store; appended to /key. */
static int add_items(struct dss_ctx *c, const char *key, const struct ks_buf *items, size_t n)
{
	struct ks_pdf_val *arr = NULL;
	uint8_t h[32];
	uint32_t num;
	size_t i;
	int rc = -1;

	if (n > KS_PADES_DSS_MAX_ITEMS)
		return KS_SET(KS_ERR_LIMIT, "more than %d %s for the DSS", KS_PADES_DSS_MAX_ITEMS,
			      key);
	KS_GUARD(dss_array(c, key, &arr));
	for (i = 0; i < n; i++) {
		if (items[i].len == 0)
			continue;
		KS_GUARD(sha256(items[i].data, items[i].len, h));
		if (seen(c, h))
			continue;
		KS_GUARD(remember(c, h));
		KS_GUARD(ks_pdf_update_alloc(c->u, &num));
		KS_GUARD(
		    ks_pdf_update_put_stream(c->u, num, 0, "", items[i].data, items[i].len, true));
		KS_GUARD(ks_pdf_val_push(arr, ks_pdf_val_ref(num, 0)));
		c->added++;
	}
	if (arr->n > 0) {
		KS_GUARD(ks_pdf_val_set(c->dss, key, arr));
		arr = NULL;
	}
	rc = 0;
out:
	ks_pdf_val_free(arr);
	return rc;
}

static int put_val(struct dss_ctx *c, uint32_t num, uint16_t gen, const struct ks_pdf_val *v)
{
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, (size_t)64 << 20);
	KS_GUARD(ks_pdf_val_put(&b, v));
	KS_GUARD(ks_pdf_update_put(c->u, num, gen, b.data, b.len));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* The original to the sink unchanged, through a fixed chunk when it is a
 * file (its mapping's pages would count in the resident size). */
static int copy_as_is(const struct ks_pdf_source *src, const struct ks_pdf_sink *sink)
{
	uint8_t *chunk;
	uint64_t off = 0;
	ssize_t got;
	int rc = -1;

	if (src->fd < 0)
		return sink->write(sink->ctx, src->mem, (size_t)src->len);
	chunk = malloc(KS_PADES_DSS_COPY_CHUNK);
	if (chunk == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	while (off < src->len) {
		got = pread(src->fd, chunk,
			    src->len - off > KS_PADES_DSS_COPY_CHUNK ? KS_PADES_DSS_COPY_CHUNK
								     : (size_t)(src->len - off),
			    (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			KS_BAIL(KS_ERR_IO, "reading the original at offset %llu: %s",
				(unsigned long long)off, got < 0 ? strerror(errno) : "file shrank");
		KS_GUARD(sink->write(sink->ctx, chunk, (size_t)got));
		off += (uint64_t)got;
	}
	rc = 0;
out:
	free(chunk);
	return rc;
}

static int dss_core(const struct ks_pdf_source *src, const struct ks_pdf_sink *sink,
		    const struct ks_pades_dss *add, size_t *added)
{
	struct ks_pdf_update_base base;
	struct dss_ctx c;
	const struct ks_pdf_val *ref;
	uint32_t dss_num = 0;
	uint16_t dss_gen = 0;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	KS_GUARD(ks_pdf_rd_open(src->mem, (size_t)src->len, &c.rd));
	KS_GUARD(ks_pdf_rd_info(c.rd, &c.info));
	if (c.info.encrypted)
		KS_BAIL(KS_ERR_UNSUPPORTED, "encrypted PDF files cannot be extended");
	KS_GUARD(ks_pdf_rd_get(c.rd, c.info.root_num, c.info.root_gen, &c.catalog));
	if (c.catalog == NULL || c.catalog->type != KS_PV_DICT)
		KS_BAIL(KS_ERR_PDF, "the document catalog is missing or not a dictionary");
	memset(&base, 0, sizeof(base));
	base.orig_len = src->len;
	base.prev_xref = c.info.startxref;
	base.size = c.info.size;
	base.xref_stream = c.info.xref_stream;
	base.root_num = c.info.root_num;
	base.root_gen = c.info.root_gen;
	base.info_num = c.info.info_num;
	base.info_gen = c.info.info_gen;
	memcpy(base.id0, c.info.id0, c.info.id0_len);
	base.id0_len = c.info.id0_len;
	base.ends_with_eol =
	    src->len > 0 && (src->mem[src->len - 1] == '\n' || src->mem[src->len - 1] == '\r');
	KS_GUARD(ks_pdf_update_new(&base, &c.u));
	/* The existing store: rewritten in place when it is an object. */
	ref = ks_pdf_val_get(c.catalog, "DSS");
	if (ref != NULL && ref->type == KS_PV_REF) {
		dss_num = ref->num;
		dss_gen = ref->gen;
	}
	KS_GUARD(ks_pdf_form_resolve(c.rd, ref, &c.dss));
	if (c.dss == NULL || c.dss->type != KS_PV_DICT) {
		ks_pdf_val_free(c.dss);
		c.dss = ks_pdf_val_new(KS_PV_DICT);
		if (c.dss == NULL)
			goto out;
		dss_num = 0;
	}
	KS_GUARD(add_items(&c, "Certs", add->certs, add->n_certs));
	KS_GUARD(add_items(&c, "OCSPs", add->ocsps, add->n_ocsps));
	KS_GUARD(add_items(&c, "CRLs", add->crls, add->n_crls));
	if (c.added > 0) {
		if (dss_num == 0) {
			KS_GUARD(ks_pdf_update_alloc(c.u, &dss_num));
			KS_GUARD(ks_pdf_val_set(c.catalog, "DSS", ks_pdf_val_ref(dss_num, 0)));
			KS_GUARD(put_val(&c, c.info.root_num, c.info.root_gen, c.catalog));
		}
		KS_GUARD(put_val(&c, dss_num, dss_gen, c.dss));
	}
	if (c.added == 0) {
		/* Nothing new: the output is the input, unchanged. */
		KS_GUARD(copy_as_is(src, sink));
	} else {
		KS_GUARD(ks_pdf_update_copy_original(c.u, src, sink, NULL, false, NULL));
		KS_GUARD(ks_pdf_update_finish(c.u, NULL, 0, sink));
	}
	if (added != NULL)
		*added = c.added;
	rc = 0;
out:
	ks_pdf_val_free(c.catalog);
	ks_pdf_val_free(c.dss);
	ks_pdf_update_free(c.u);
	ks_pdf_rd_close(c.rd);
	free(c.seen);
	return rc;
}

int ks_pades_add_dss_mem(const uint8_t *pdf, size_t len, const struct ks_pades_dss *add,
			 struct ks_buf *out, size_t *added)
{
	struct ks_pdf_source src = { pdf, -1, len };
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, out };
	size_t start = out->len;

	if (dss_core(&src, &sink, add, added) < 0) {
		ks_buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int ks_pades_add_dss_file(const char *in_path, const char *out_path, const struct ks_pades_dss *add,
			  size_t *added)
{
	struct ks_atomic_file af;
	struct ks_pdf_source src = { NULL, -1, 0 };
	struct ks_pdf_sink sink = { ks_pdf_sink_atomic, &af };
	struct ks_file_map in;
	bool opened = false;
	int rc = -1;

	memset(&af, 0, sizeof(af));
	KS_GUARD(ks_file_map(in_path, &in));
	if (in.len == 0)
		KS_BAIL(KS_ERR_PDF, "'%s' is empty", in_path);
	src.mem = in.data;
	src.fd = in.fd;
	src.len = (uint64_t)in.len;
	KS_GUARD(ks_atomic_open(&af, out_path, 0666));
	opened = true;
	KS_GUARD(dss_core(&src, &sink, add, added));
	KS_GUARD(ks_atomic_commit(&af));
	opened = false;
	rc = 0;
out:
	if (opened)
		ks_atomic_abort(&af);
	ks_file_unmap(&in);
	return rc;
}
