/* ks_render: school records printed to PDF (libharu) and written as XML.
 *
 * A transcript (học bạ) is one student's PDF: school and student identity,
 * per school year the subjects with semester 1, semester 2 and year marks,
 * conduct, learning results, absences and the homeroom teacher's comment;
 * a gradebook (sổ điểm) is a class's marks for one subject and term.  Both
 * are A4 and end with three empty signature fields, in signing order (the
 * teacher, the principal, the school seal: `kyso sign` fills the first
 * empty one, or the one named by --field), and carry a QR code with the
 * verification URL of the document's identifier (ks_record_doc_id).
 *
 * The XML form (docs/records.md) holds the same data, so one record has a
 * PDF and an XML form of equal content.  Output is built in memory; the
 * caller writes it (atomically). */
#ifndef KS_RENDER_H
#define KS_RENDER_H

#include <stddef.h>

#include "formats/render/ks_record.h"
#include "ks_buf.h"
#include "ks_err.h"

/* Verification URL base when none is configured: the daemon's address. */
#define KS_RENDER_DEFAULT_VERIFY_BASE "http://127.0.0.1:8443/v"
/* Bytes of a verification URL (base, '/', identifier). */
#define KS_RENDER_MAX_URL 200
/* Pages of one document (a transcript of five years takes three). */
#define KS_RENDER_MAX_PAGES 32
/* The record fonts (scripts/mkfont.py builds them into build/fonts). */
#define KS_RENDER_FONT_REGULAR "DejaVuSans-flat.ttf"
#define KS_RENDER_FONT_BOLD "DejaVuSans-Bold-flat.ttf"
/* Bytes of a font directory path. */
#define KS_RENDER_MAX_PATH 4000
/* Bytes of one rendered PDF or XML document. */
#define KS_RENDER_MAX_OUTPUT ((size_t)16 << 20)

/* Signature field names, in signing order. */
#define KS_RENDER_FIELD_HOMEROOM "GVCN" /* transcript: homeroom teacher */
#define KS_RENDER_FIELD_SUBJECT "GVBM"  /* gradebook: subject teacher */
#define KS_RENDER_FIELD_PRINCIPAL "HieuTruong"
#define KS_RENDER_FIELD_SEAL "DauTruong" /* the school's seal (organisation) */

/* The PDF document information key that holds the record's identifier
 * (its value: the identifier as a byte string).  In the XML form the
 * identifier is the text of the root's first child, DocumentId. */
#define KS_RENDER_INFO_RECORD_ID "KysoRecordId"

/* The XML namespace of kyso records. */
#define KS_RENDER_XML_NS "urn:kyso:records:1"

struct ks_render_opts {
	const char *font_dir;    /* holds the two record fonts (required) */
	const char *verify_base; /* NULL: KS_RENDER_DEFAULT_VERIFY_BASE */
};

/* The verification URL of a document: base, one '/', identifier.  The base
 * must be an http:// or https:// URL of printable ASCII without spaces,
 * quotes, '<', '>', '?' or '#'. */
KS_WUR int ks_render_verify_url(const struct ks_render_opts *o, const char *id, char *url,
				size_t n);

/* The transcript of r->students[student] (r is a transcript record),
 * appended to pdf. */
KS_WUR int ks_render_transcript(const struct ks_record *r, size_t student,
				const struct ks_render_opts *o, struct ks_buf *pdf);
/* The gradebook r (a gradebook record), appended to pdf. */
KS_WUR int ks_render_gradebook(const struct ks_record *r, const struct ks_render_opts *o,
			       struct ks_buf *pdf);
/* The XML form: a transcript of r->students[student], or the gradebook
 * (student ignored); UTF-8, namespace KS_RENDER_XML_NS, appended to xml. */
KS_WUR int ks_render_xml(const struct ks_record *r, size_t student, const struct ks_render_opts *o,
			 struct ks_buf *xml);

#endif
