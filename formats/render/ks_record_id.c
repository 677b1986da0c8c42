/* ks_record_id: the document identifier of a record and the printed form
 * of its marks and dates. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "formats/render/ks_record.h"
#include "ks_buf.h"

/* Bytes of the digest kept: 80 bits, 16 base32 characters. */
#define ID_BYTES 10

/* RFC 4648 base32, lower case, no padding (n a multiple of 5). */
static void base32(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	size_t i, o = 0;
	int bits = 0;
	unsigned acc = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfffu;
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[o] = '\0';
}

/* The identifier names the document, not its content: a transcript is the
 * school, the student and the span of school years it covers; a gradebook
 * is the school, the class, the year, the subject and the term.  Fields
 * are joined with "\n", which none of them may contain, so different
 * records never hash the same text. */
int ks_record_doc_id(const struct ks_record *r, size_t student, char id[KS_REC_ID_LEN + 1])
{
	struct ks_buf in;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc = -1;

	ks_buf_init(&in, 4096);
	if (r->kind == KS_REC_TRANSCRIPT) {
		const struct ks_rec_student *st;

		if (student >= r->n_students)
			KS_BAIL(KS_ERR_ARG, "no student %zu in the record", student);
		st = &r->students[student];
		KS_GUARD(ks_buf_printf(&in, "kyso/hocba/1\n%s\n%s\n%s\n%s", r->school.code,
				       st->code, st->years[0].school_year,
				       st->years[st->n_years - 1].school_year));
	} else {
		KS_GUARD(ks_buf_printf(&in, "kyso/sodiem/1\n%s\n%s\n%s\n%s\n%d", r->school.code,
				       r->school_year, r->class_name, r->subject, r->term));
	}
	if (EVP_Digest(in.data, in.len, md, &mdlen, EVP_sha256(), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "SHA-256 of the document identifier");
	memcpy(id, r->kind == KS_REC_TRANSCRIPT ? "hb-" : "sd-", 3);
	base32(md, ID_BYTES, id + 3);
	rc = 0;
out:
	ks_buf_cleanup(&in);
	return rc;
}

void ks_mark_format(const struct ks_mark *m, char out[8])
{
	switch (m->type) {
	case KS_MARK_SCORE:
		/* 0..100 tenths: at most "10.0". */
		snprintf(out, 8, "%d.%d", (m->tenths / 10) % 100, m->tenths % 10);
		break;
	case KS_MARK_PASS:
		snprintf(out, 8, "Đ");
		break;
	case KS_MARK_FAIL:
		snprintf(out, 8, "CĐ");
		break;
	default:
		out[0] = '\0';
	}
}

void ks_record_date_vn(const char *iso, char out[11])
{
	if (strlen(iso) != 10) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 11, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}
