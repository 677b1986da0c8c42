/* ks_pdf_write: the append-only writer (object serialization is in
 * ks_pdf_obj.c). */
#include "ks_pdf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ks_codec.h"
#include "ks_io.h"
#include "ks_size.h"

/* Bytes an update may hold in memory (objects, font, xref): an update is
 * small; only the original may be large, and it is streamed. */
#define KS_PDF_UPDATE_MAX ((size_t)64 << 20)
/* Objects one update may put. */
#define KS_PDF_UPDATE_MAX_OBJS 4096
/* Chunk size when streaming the original. */
#define KS_PDF_COPY_CHUNK ((size_t)1 << 20)
/* Piece the background copy hands to the kernel at a time (then starts
 * its writeback). */
#define KS_PDF_COPY_PIECE ((size_t)32 << 20)
/* Largest /Contents reservation (DER bytes). */
#define KS_PDF_MAX_CONTENTS ((size_t)4 << 20)
/* The smallest zlib window for a stream (512 bytes; 8 is taken as 9). */
#define KS_PDF_ZLIB_WBITS_MIN 9

/* ---------------------------------------------------------------- */
/* the update                                                        */

struct upd_obj {
	uint32_t num;
	uint16_t gen;
	struct ks_buf body;
	uint64_t off; /* in the output file, after layout */
};

struct ks_pdf_update {
	struct ks_pdf_update_base base;
	uint32_t next;
	struct upd_obj *objs;
	size_t n_objs;
	size_t total_body;
	/* signature placeholder */
	uint32_t sig_num; /* 0: none */
	size_t contents_max;
	size_t br_digits;
	size_t br_in_body; /* offsets inside the sig object's body */
	size_t gap_in_body;
	/* after layout */
	struct ks_buf out; /* the bytes appended after the original */
	size_t gap_start;  /* index in out of '<' of /Contents */
	size_t gap_end;    /* index in out just past '>' */
	size_t br_pos;     /* index in out of the ByteRange numbers field */
	bool laid_out;
	bool copied;
};

int ks_pdf_update_new(const struct ks_pdf_update_base *base, struct ks_pdf_update **out)
{
	struct ks_pdf_update *u;

	*out = NULL;
	if (base->root_num == 0 || base->size == 0 || base->size > KS_PDF_MAX_OBJ_NUM ||
	    base->id0_len > sizeof(base->id0) || base->prev_xref >= base->orig_len)
		return KS_SET(KS_ERR_ARG, "invalid incremental update base");
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	u->base = *base;
	u->next = base->size;
	ks_buf_init(&u->out, KS_PDF_UPDATE_MAX);
	*out = u;
	return 0;
}

void ks_pdf_update_free(struct ks_pdf_update *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n_objs; i++)
		ks_buf_cleanup(&u->objs[i].body);
	free(u->objs);
	ks_buf_cleanup(&u->out);
	free(u);
}

int ks_pdf_update_alloc(struct ks_pdf_update *u, uint32_t *num)
{
	if (u->laid_out)
		return KS_SET(KS_ERR_INTERNAL, "object allocated after layout");
	if (u->next >= KS_PDF_MAX_OBJ_NUM)
		return KS_SET(KS_ERR_LIMIT, "object number beyond %u", KS_PDF_MAX_OBJ_NUM);
	*num = u->next++;
	return 0;
}

static struct upd_obj *find_obj(struct ks_pdf_update *u, uint32_t num)
{
	size_t i;

	for (i = 0; i < u->n_objs; i++)
		if (u->objs[i].num == num)
			return &u->objs[i];
	return NULL;
}

/* The slot for object `num` (existing or new), its body emptied. */
static int obj_slot(struct ks_pdf_update *u, uint32_t num, uint16_t gen, struct upd_obj **slot)
{
	struct upd_obj *o;

	if (u->laid_out)
		return KS_SET(KS_ERR_INTERNAL, "object put after layout");
	if (num == 0 || num >= u->next)
		return KS_SET(KS_ERR_ARG, "object number %u was not allocated", (unsigned)num);
	o = find_obj(u, num);
	if (o == NULL) {
		if (u->n_objs >= KS_PDF_UPDATE_MAX_OBJS)
			return KS_SET(KS_ERR_LIMIT, "more than %d objects in one update",
				      KS_PDF_UPDATE_MAX_OBJS);
		if ((u->n_objs & 15) == 0) {
			o = realloc(u->objs, (u->n_objs + 16) * sizeof(*o));
			if (o == NULL)
				return KS_SET(KS_ERR_NOMEM, "out of memory");
			u->objs = o;
		}
		o = &u->objs[u->n_objs++];
		memset(o, 0, sizeof(*o));
		ks_buf_init(&o->body, KS_PDF_UPDATE_MAX);
	} else {
		u->total_body -= o->body.len;
		ks_buf_reset(&o->body);
	}
	o->num = num;
	o->gen = gen;
	*slot = o;
	return 0;
}

static int account(struct ks_pdf_update *u, const struct upd_obj *o)
{
	if (ks_add_size(u->total_body, o->body.len, &u->total_body) < 0)
		return -1;
	if (u->total_body > KS_PDF_UPDATE_MAX)
		return KS_SET(KS_ERR_LIMIT, "incremental update larger than %zu bytes",
			      KS_PDF_UPDATE_MAX);
	return 0;
}

int ks_pdf_update_put(struct ks_pdf_update *u, uint32_t num, uint16_t gen, const void *body,
		      size_t n)
{
	struct upd_obj *o;

	if (num == u->sig_num)
		return KS_SET(KS_ERR_ARG, "object %u is the signature placeholder", (unsigned)num);
	if (obj_slot(u, num, gen, &o) < 0 || ks_buf_append(&o->body, body, n) < 0)
		return -1;
	return account(u, o);
}

/* Deflate n bytes (zlib level 6, as every stream) with a window and hash
 * sized to the data: the appearance streams and CMaps are a few hundred
 * bytes, for which zlib's default state (over 256 KiB to allocate and
 * clear) costs more than the compression itself. */
static int deflate_sized(const void *data, size_t n, uint8_t **out, uLongf *outlen)
{
	z_stream zs;
	int wbits = KS_PDF_ZLIB_WBITS_MIN, mem, zr;
	uLong bound;

	*out = NULL;
	if (n > (size_t)UINT32_MAX)
		return KS_SET(KS_ERR_LIMIT, "stream too large to compress in memory");
	while (wbits < MAX_WBITS && ((size_t)1 << wbits) < n)
		wbits++;
	mem = wbits - 7 < 1 ? 1 : wbits - 7 > MAX_MEM_LEVEL ? MAX_MEM_LEVEL : wbits - 7;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, wbits, mem, Z_DEFAULT_STRATEGY) != Z_OK)
		return KS_SET(KS_ERR_NOMEM, "zlib could not start");
	bound = deflateBound(&zs, (uLong)n);
	*out = malloc(bound);
	if (*out == NULL) {
		deflateEnd(&zs);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)n;
	zs.next_out = *out;
	zs.avail_out = (uInt)bound;
	zr = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (zr != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return KS_SET(KS_ERR_INTERNAL, "zlib compression failed");
	}
	return 0;
}

/* "<< entries /Length n [/Filter /FlateDecode] >>\nstream\n" data "\nendstream" */
static int stream_body(struct ks_buf *b, const char *entries, const void *data, size_t n,
		       bool flate)
{
	uint8_t *z = NULL;
	uLongf zlen = 0;
	int rc = -1;

	if (flate) {
		KS_GUARD(deflate_sized(data, n, &z, &zlen));
		data = z;
		n = zlen;
	}
	KS_GUARD(ks_buf_printf(b, "<<%s%s /Length %zu%s >>\nstream\n", entries[0] ? " " : "",
			       entries, n, flate ? " /Filter /FlateDecode" : ""));
	KS_GUARD(ks_buf_append(b, data, n));
	/* 7.3.8.1: an end-of-line before endstream, not counted in /Length. */
	KS_GUARD(ks_buf_append_str(b, "\nendstream"));
	rc = 0;
out:
	free(z);
	return rc;
}

int ks_pdf_update_put_stream(struct ks_pdf_update *u, uint32_t num, uint16_t gen,
			     const char *dict_entries, const void *data, size_t n, bool flate)
{
	struct upd_obj *o;

	if (num == u->sig_num)
		return KS_SET(KS_ERR_ARG, "object %u is the signature placeholder", (unsigned)num);
	if (obj_slot(u, num, gen, &o) < 0 ||
	    stream_body(&o->body, dict_entries, data, n, flate) < 0)
		return -1;
	return account(u, o);
}

static size_t digits(uint64_t v)
{
	size_t d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

int ks_pdf_update_put_sig(struct ks_pdf_update *u, uint32_t num, const char *entries,
			  size_t contents_max)
{
	struct upd_obj *o;
	size_t i;

	if (u->sig_num != 0)
		return KS_SET(KS_ERR_ARG, "one signature placeholder per update");
	if (contents_max == 0 || contents_max > KS_PDF_MAX_CONTENTS)
		return KS_SET(KS_ERR_LIMIT, "signature reservation of %zu bytes out of range",
			      contents_max);
	if (obj_slot(u, num, 0, &o) < 0)
		return -1;
	/* Fixed-width /ByteRange numbers, filled in place once the layout is
	 * known: ten digits, more when the original alone needs them. */
	u->br_digits = digits(u->base.orig_len) + 2;
	if (u->br_digits < 10)
		u->br_digits = 10;
	if (ks_buf_printf(&o->body, "<< %s /ByteRange [0", entries) < 0)
		return -1;
	u->br_in_body = o->body.len + 1;
	for (i = 0; i < 3; i++)
		if (ks_buf_append_byte(&o->body, ' ') < 0 ||
		    ks_buf_append_fill(&o->body, '0', u->br_digits) < 0)
			return -1;
	if (ks_buf_append_str(&o->body, "] /Contents ") < 0)
		return -1;
	u->gap_in_body = o->body.len;
	if (ks_buf_append_byte(&o->body, '<') < 0 ||
	    ks_buf_append_fill(&o->body, '0', 2 * contents_max) < 0)
		return -1;
	if (ks_buf_append_str(&o->body, "> >>") < 0)
		return -1;
	u->sig_num = num;
	u->contents_max = contents_max;
	return account(u, o);
}

static int cmp_obj(const void *a, const void *b)
{
	const struct upd_obj *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

static int put_trailer_entries(struct ks_pdf_update *u, struct ks_buf *b, uint32_t size)
{
	uint8_t id1[16];

	if (ks_buf_printf(b, "/Size %u /Root %u %u R", (unsigned)size, (unsigned)u->base.root_num,
			  (unsigned)u->base.root_gen) < 0)
		return -1;
	if (u->base.info_num != 0 && ks_buf_printf(b, " /Info %u %u R", (unsigned)u->base.info_num,
						   (unsigned)u->base.info_gen) < 0)
		return -1;
	/* 14.4: the first identifier stays, the second changes with the update. */
	if (RAND_bytes(id1, sizeof(id1)) != 1)
		return KS_SET(KS_ERR_CRYPTO, "random bytes for the file identifier");
	if (ks_buf_append_str(b, " /ID [") < 0)
		return -1;
	if (u->base.id0_len > 0) {
		if (ks_pdf_put_hexstring(b, u->base.id0, u->base.id0_len) < 0)
			return -1;
	} else if (ks_pdf_put_hexstring(b, id1, sizeof(id1)) < 0) {
		return -1;
	}
	if (ks_pdf_put_hexstring(b, id1, sizeof(id1)) < 0 ||
	    ks_buf_printf(b, "] /Prev %llu", (unsigned long long)u->base.prev_xref) < 0)
		return -1;
	return 0;
}

static void put_be(uint8_t *p, uint64_t v, size_t w)
{
	while (w > 0) {
		p[--w] = (uint8_t)v;
		v >>= 8;
	}
}

/* Cross-reference stream (7.5.8) listing the update's objects and itself. */
static int layout_xref_stream(struct ks_pdf_update *u, uint64_t base_off, uint32_t size)
{
	struct ks_buf dict, rows, obj;
	uint32_t xnum = u->next;
	uint64_t xoff = base_off + u->out.len;
	size_t w2 = 1, i, run;
	uint8_t row[1 + 8 + 2];
	const char *entries;
	int rc = -1;

	ks_buf_init(&dict, 1 << 16);
	ks_buf_init(&rows, KS_PDF_UPDATE_MAX);
	ks_buf_init(&obj, KS_PDF_UPDATE_MAX);
	KS_ENSURE(xnum < KS_PDF_MAX_OBJ_NUM, KS_ERR_LIMIT, "object number overflow");
	if (size < xnum + 1)
		size = xnum + 1;
	while (w2 < 8 && (xoff >> (8 * w2)) != 0)
		w2++;
	KS_GUARD(ks_buf_append_str(&dict, "/Type /XRef "));
	KS_GUARD(put_trailer_entries(u, &dict, size));
	KS_GUARD(ks_buf_append_str(&dict, " /Index ["));
	/* Subsections of consecutive numbers; objs are sorted and the xref
	 * stream's own number is above them all. */
	for (i = 0; i <= u->n_objs; i += run) {
		uint32_t first = i < u->n_objs ? u->objs[i].num : xnum;

		run = 1;
		while (i + run <= u->n_objs &&
		       (i + run < u->n_objs ? u->objs[i + run].num : xnum) == first + run)
			run++;
		KS_GUARD(ks_buf_printf(&dict, "%s%u %zu", i ? " " : "", (unsigned)first, run));
	}
	KS_GUARD(ks_buf_printf(&dict, "] /W [1 %zu 2]", w2));
	for (i = 0; i <= u->n_objs; i++) {
		uint64_t off = i < u->n_objs ? u->objs[i].off : xoff;
		uint16_t gen = i < u->n_objs ? u->objs[i].gen : 0;

		row[0] = 1;
		put_be(row + 1, off, w2);
		put_be(row + 1 + w2, gen, 2);
		KS_GUARD(ks_buf_append(&rows, row, 1 + w2 + 2));
	}
	KS_GUARD(ks_buf_cstr(&dict, &entries));
	KS_GUARD(stream_body(&obj, entries, rows.data, rows.len, true));
	u->next++;
	KS_GUARD(ks_buf_printf(&u->out, "%u 0 obj\n", (unsigned)xnum));
	KS_GUARD(ks_buf_append(&u->out, obj.data, obj.len));
	KS_GUARD(ks_buf_printf(&u->out, "\nendobj\nstartxref\n%llu\n%%%%EOF\n",
			       (unsigned long long)xoff));
	rc = 0;
out:
	ks_buf_cleanup(&dict);
	ks_buf_cleanup(&rows);
	ks_buf_cleanup(&obj);
	return rc;
}

/* Classic cross-reference table and trailer (7.5.4, 7.5.5). */
static int layout_xref_table(struct ks_pdf_update *u, uint64_t base_off, uint32_t size)
{
	uint64_t xoff = base_off + u->out.len;
	size_t i, k, run;

	if (ks_buf_append_str(&u->out, "xref\n") < 0)
		return -1;
	for (i = 0; i < u->n_objs; i += run) {
		run = 1;
		while (i + run < u->n_objs && u->objs[i + run].num == u->objs[i].num + run)
			run++;
		if (ks_buf_printf(&u->out, "%u %zu\n", (unsigned)u->objs[i].num, run) < 0)
			return -1;
		for (k = i; k < i + run; k++) {
			/* Exactly 20 bytes per entry, ending in CR LF. */
			if (u->objs[k].off > 9999999999ull)
				return KS_SET(KS_ERR_LIMIT, "offset too large for an xref table");
			if (ks_buf_append_u64(&u->out, u->objs[k].off, 10) < 0 ||
			    ks_buf_append_byte(&u->out, ' ') < 0 ||
			    ks_buf_append_u64(&u->out, u->objs[k].gen, 5) < 0 ||
			    ks_buf_append(&u->out, " n\r\n", 4) < 0)
				return -1;
		}
	}
	if (ks_buf_append_str(&u->out, "trailer\n<< ") < 0 ||
	    put_trailer_entries(u, &u->out, size) < 0 ||
	    ks_buf_printf(&u->out, " >>\nstartxref\n%llu\n%%%%EOF\n", (unsigned long long)xoff) < 0)
		return -1;
	return 0;
}

static int layout(struct ks_pdf_update *u)
{
	uint64_t base_off = u->base.orig_len;
	uint32_t size = u->base.size;
	size_t i, start;

	if (u->laid_out)
		return 0;
	if (u->n_objs == 0)
		return KS_SET(KS_ERR_ARG, "empty incremental update");
	qsort(u->objs, u->n_objs, sizeof(*u->objs), cmp_obj);
	/* The update starts on a new line (7.5.6: "%%EOF" then the update). */
	if (!u->base.ends_with_eol && ks_buf_append_byte(&u->out, '\n') < 0)
		return -1;
	for (i = 0; i < u->n_objs; i++) {
		struct upd_obj *o = &u->objs[i];

		o->off = base_off + u->out.len;
		if (ks_buf_append_u64(&u->out, o->num, 0) < 0 ||
		    ks_buf_append_byte(&u->out, ' ') < 0 ||
		    ks_buf_append_u64(&u->out, o->gen, 0) < 0 ||
		    ks_buf_append(&u->out, " obj\n", 5) < 0)
			return -1;
		start = u->out.len;
		if (ks_buf_append(&u->out, o->body.data, o->body.len) < 0)
			return -1;
		if (o->num == u->sig_num) {
			u->br_pos = start + u->br_in_body;
			u->gap_start = start + u->gap_in_body;
			u->gap_end = u->gap_start + 2 * u->contents_max + 2;
		}
		if (ks_buf_append_str(&u->out, "\nendobj\n") < 0)
			return -1;
		if (o->num >= size)
			size = o->num + 1;
	}
	if (u->next > size)
		size = u->next;
	if (u->base.xref_stream) {
		if (layout_xref_stream(u, base_off, size) < 0)
			return -1;
	} else if (layout_xref_table(u, base_off, size) < 0) {
		return -1;
	}
	u->laid_out = true;
	return 0;
}

/* Fill the /ByteRange numbers in place: [0 a b c] where [a, b) is the
 * /Contents hex string including '<' and '>' (ISO 32000-1 12.8.1). */
static int fill_byterange(struct ks_pdf_update *u, struct ks_pdf_byterange *br)
{
	uint64_t total = u->base.orig_len + u->out.len;
	char field[32];
	size_t i;
	int n;

	br->r[0] = 0;
	br->r[1] = u->base.orig_len + u->gap_start;
	br->r[2] = u->base.orig_len + u->gap_end;
	br->r[3] = total - br->r[2];
	for (i = 1; i < 4; i++) {
		n = snprintf(field, sizeof(field), "%llu", (unsigned long long)br->r[i]);
		if (n <= 0 || (size_t)n > u->br_digits)
			return KS_SET(KS_ERR_INTERNAL, "ByteRange value does not fit its field");
		/* Left-aligned, padded with spaces: same length, same syntax. */
		memset(u->out.data + u->br_pos + (i - 1) * (u->br_digits + 1), ' ', u->br_digits);
		memcpy(u->out.data + u->br_pos + (i - 1) * (u->br_digits + 1), field, (size_t)n);
	}
	return 0;
}

static int sink_write(const struct ks_pdf_sink *sink, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	return sink->write(sink->ctx, p, n);
}

static int md_update(EVP_MD_CTX *md, const void *p, size_t n)
{
	if (md != NULL && n > 0 && EVP_DigestUpdate(md, p, n) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "digest update");
	return 0;
}

/* Copy n bytes at `off` of src_fd to the end of dst_fd in the kernel.
 * 0 done, 1 not possible here (the caller writes instead; nothing was
 * copied), -1 error. */
static int kernel_copy(int src_fd, uint64_t off, size_t n, int dst_fd)
{
	loff_t in = (loff_t)off;
	size_t done = 0;

	while (done < n) {
		ssize_t k = copy_file_range(src_fd, &in, dst_fd, NULL, n - done, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && done == 0 &&
		    (errno == ENOSYS || errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP))
			return 1;
		if (k <= 0)
			return KS_SET(KS_ERR_IO, "copying the original: %s",
				      k < 0 ? strerror(errno) : "file shrank");
		done += (size_t)k;
	}
	return 0;
}

/* The original's bytes [from, from + len) copied by the kernel into the
 * output while the caller hashes them: reading, hashing and writing
 * overlap, and writeback starts piece by piece so the final fsync has
 * little left to do. */
struct copy_job {
	int src, dst;
	uint64_t from, len;
	int rc;
	enum ks_err_code code;
	char msg[KS_ERR_MSG_MAX];
};

static void *copy_thread(void *arg)
{
	struct copy_job *j = arg;
	uint64_t off = j->from, end = j->from + j->len;
	size_t n;
	int k;

	while (off < end) {
		n = end - off > KS_PDF_COPY_PIECE ? KS_PDF_COPY_PIECE : (size_t)(end - off);
		k = kernel_copy(j->src, off, n, j->dst);
		if (k != 0) {
			if (k > 0)
				KS_SET(KS_ERR_IO,
				       "copying the original: the kernel refused to copy");
			j->rc = -1;
			j->code = ks_err_code();
			snprintf(j->msg, sizeof(j->msg), "%s", ks_err_msg());
			return NULL;
		}
		/* Start writing this piece back now (the fsync at commit waits
		 * for it); a failure here only means no head start. */
		(void)sync_file_range(j->dst, (off_t)off, (off_t)n, SYNC_FILE_RANGE_WRITE);
		off += n;
	}
	j->rc = 0;
	return NULL;
}

/* Hash [off, len) of the original through a fixed chunk of heap (pread). */
static int hash_rest(const struct ks_pdf_source *src, uint64_t off, uint8_t *chunk,
		     EVP_MD_CTX *md_ctx, const struct ks_pdf_sink *sink)
{
	while (off < src->len) {
		size_t want = src->len - off > KS_PDF_COPY_CHUNK ? KS_PDF_COPY_CHUNK
								 : (size_t)(src->len - off);
		ssize_t got = pread(src->fd, chunk, want, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return KS_SET(KS_ERR_IO, "reading the original at offset %llu: %s",
				      (unsigned long long)off,
				      got < 0 ? strerror(errno) : "file shrank");
		if (md_update(md_ctx, chunk, (size_t)got) < 0 ||
		    (sink != NULL && sink_write(sink, chunk, (size_t)got) < 0))
			return -1;
		off += (uint64_t)got;
	}
	return 0;
}

int ks_pdf_update_copy_original(struct ks_pdf_update *u, const struct ks_pdf_source *src,
				const struct ks_pdf_sink *sink, EVP_MD_CTX *md_ctx,
				bool orig_hashed, struct ks_pdf_byterange *br)
{
	EVP_MD_CTX *upd_ctx;
	uint8_t *chunk = NULL;
	struct ks_atomic_file *af = NULL;
	struct copy_job job;
	pthread_t th;
	bool started = false;
	size_t probe;
	int rc = -1, k;

	memset(&job, 0, sizeof(job));
	KS_ENSURE(!u->copied, KS_ERR_INTERNAL, "original copied twice");
	KS_ENSURE(src->len == u->base.orig_len, KS_ERR_ARG, "source length changed");
	KS_GUARD(layout(u));
	if (u->sig_num != 0) {
		struct ks_pdf_byterange tmp;

		KS_GUARD(fill_byterange(u, br != NULL ? br : &tmp));
	} else {
		md_ctx = NULL;
	}
	/* the update's bytes go to md_ctx; the original's too unless hashed */
	upd_ctx = md_ctx;
	if (orig_hashed)
		md_ctx = NULL;
	if (src->fd < 0) {
		uint64_t off = 0;

		while (off < src->len) {
			size_t n = src->len - off > KS_PDF_COPY_CHUNK ? KS_PDF_COPY_CHUNK
								      : (size_t)(src->len - off);

			KS_GUARD(md_update(md_ctx, src->mem + off, n));
			KS_GUARD(sink_write(sink, src->mem + off, n));
			off += n;
		}
	} else {
		/* Streamed: one chunk of heap whatever the file size. */
		chunk = malloc(KS_PDF_COPY_CHUNK);
		if (chunk == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		k = 1;
		if (sink->write == ks_pdf_sink_atomic) {
			af = sink->ctx;
			if (af->f != NULL && fflush(af->f) == 0 && af->fd >= 0) {
				/* Can the kernel copy between these files? */
				probe = src->len > KS_PDF_COPY_CHUNK ? KS_PDF_COPY_CHUNK
								     : (size_t)src->len;
				k = kernel_copy(src->fd, 0, probe, af->fd);
				if (k < 0)
					goto out;
			}
		}
		if (k == 0 && probe == src->len) {
			/* The kernel copied it all (a small file): no thread. */
			KS_GUARD(hash_rest(src, 0, chunk, md_ctx, NULL));
		} else if (k == 0) {
			/* It can: the rest in the background while we hash. */
			job.src = src->fd;
			job.dst = af->fd;
			job.from = probe;
			job.len = src->len - probe;
			if (pthread_create(&th, NULL, copy_thread, &job) != 0)
				KS_BAIL(KS_ERR_INTERNAL, "cannot start the copy thread");
			started = true;
			KS_GUARD(hash_rest(src, 0, chunk, md_ctx, NULL));
		} else {
			KS_GUARD(hash_rest(src, 0, chunk, md_ctx, sink));
		}
	}
	if (started) {
		pthread_join(th, NULL);
		started = false;
		if (job.rc < 0)
			KS_BAIL(job.code, "%s", job.msg);
		/* The stdio stream writes the update after the copied bytes. */
		if (fseeko(af->f, (off_t)src->len, SEEK_SET) != 0)
			KS_BAIL(KS_ERR_IO, "positioning the output: %s", strerror(errno));
	}
	if (u->sig_num != 0) {
		KS_GUARD(md_update(upd_ctx, u->out.data, u->gap_start));
		KS_GUARD(md_update(upd_ctx, u->out.data + u->gap_end, u->out.len - u->gap_end));
	} else {
		/* No placeholder: write the update now. */
		KS_GUARD(sink_write(sink, u->out.data, u->out.len));
	}
	u->copied = true;
	rc = 0;
out:
	if (started)
		pthread_join(th, NULL);
	free(chunk);
	return rc;
}

int ks_pdf_update_finish(struct ks_pdf_update *u, const uint8_t *der, size_t der_len,
			 const struct ks_pdf_sink *sink)
{
	uint8_t *hex;
	size_t i;

	if (!u->copied)
		return KS_SET(KS_ERR_INTERNAL, "update finished before the original was copied");
	if (u->sig_num == 0)
		return 0; /* already written */
	if (der_len > u->contents_max)
		return KS_SET(KS_ERR_LIMIT,
			      "signature of %zu bytes does not fit the %zu bytes reserved", der_len,
			      u->contents_max);
	/* Through a local pointer: stores through u->out.data would make the
	 * compiler reload it for every byte. */
	hex = u->out.data + u->gap_start + 1;
	for (i = 0; i < der_len; i++) {
		hex[2 * i] = (uint8_t)ks_hex_digit(der[i] >> 4, true);
		hex[2 * i + 1] = (uint8_t)ks_hex_digit(der[i], true);
	}
	return sink_write(sink, u->out.data, u->out.len);
}

uint64_t ks_pdf_update_len(const struct ks_pdf_update *u)
{
	return u->out.len;
}

int ks_pdf_sink_buf(void *ctx, const void *p, size_t n)
{
	return ks_buf_append(ctx, p, n);
}

int ks_pdf_sink_atomic(void *ctx, const void *p, size_t n)
{
	return ks_atomic_write(ctx, p, n);
}
