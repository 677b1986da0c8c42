/* ks_render_xml: the XML form of a record (docs/records.md, "XML form"),
 * written with libxml2's text writer (which escapes every text and
 * attribute), UTF-8, in the namespace KS_RENDER_XML_NS.  It holds exactly
 * what the PDF prints, plus the document identifier and verification URL,
 * so the two forms of a record have equal content.  No DTD, no entity, no
 * processing instruction: the XML signing profile refuses those. */
#include <libxml/xmlwriter.h>
#include <string.h>

#include "formats/render/ks_render.h"

/* libxml2 writer calls return < 0 on failure. */
#define W(call)                    \
	do {                       \
		if ((call) < 0)    \
			goto fail; \
	} while (0)

static const xmlChar *X(const char *s)
{
	return (const xmlChar *)s;
}

/* A text element, left out when the text is empty. */
static int text_el(xmlTextWriterPtr w, const char *name, const char *text)
{
	if (text[0] == '\0')
		return 0;
	return xmlTextWriterWriteElement(w, X(name), X(text));
}

static int mark_el(xmlTextWriterPtr w, const char *name, const struct ks_mark *m)
{
	char buf[8];

	ks_mark_format(m, buf);
	return text_el(w, name, buf);
}

/* A gradebook prints neither the school's address nor its level. */
static int school(xmlTextWriterPtr w, const struct ks_record *r)
{
	W(xmlTextWriterStartElement(w, X("School")));
	W(xmlTextWriterWriteAttribute(w, X("code"), X(r->school.code)));
	W(text_el(w, "Authority", r->school.authority));
	W(text_el(w, "Name", r->school.name));
	if (r->kind == KS_REC_TRANSCRIPT) {
		W(text_el(w, "Address", r->school.address));
		W(text_el(w, "Level", r->school.level));
	}
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

static int issued(xmlTextWriterPtr w, const struct ks_record *r)
{
	W(xmlTextWriterStartElement(w, X("Issued")));
	W(xmlTextWriterWriteAttribute(w, X("place"), X(r->place)));
	W(xmlTextWriterWriteAttribute(w, X("date"), X(r->date)));
	W(xmlTextWriterEndElement(w));
	W(text_el(w, "Principal", r->principal));
	return 0;
fail:
	return -1;
}

static int periods(xmlTextWriterPtr w, const char *name, const char *a, const char *b,
		   const char *c)
{
	W(xmlTextWriterStartElement(w, X(name)));
	W(text_el(w, "Semester1", a));
	W(text_el(w, "Semester2", b));
	W(text_el(w, "Year", c));
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

static int year_el(xmlTextWriterPtr w, const struct ks_rec_year *y)
{
	char num[16];
	size_t i;

	W(xmlTextWriterStartElement(w, X("SchoolYear")));
	W(xmlTextWriterWriteAttribute(w, X("year"), X(y->school_year)));
	W(xmlTextWriterWriteAttribute(w, X("class"), X(y->class_name)));
	W(text_el(w, "HomeroomTeacher", y->homeroom_teacher));
	for (i = 0; i < y->n_subjects; i++) {
		const struct ks_rec_subject *s = &y->subjects[i];
		char m1[8], m2[8], m3[8];

		ks_mark_format(&s->hk1, m1);
		ks_mark_format(&s->hk2, m2);
		ks_mark_format(&s->year, m3);
		W(xmlTextWriterStartElement(w, X("Subject")));
		W(xmlTextWriterWriteAttribute(w, X("name"), X(s->name)));
		W(xmlTextWriterWriteAttribute(
		    w, X("assessment"), X(s->hk1.type == KS_MARK_SCORE ? "score" : "comment")));
		W(text_el(w, "Semester1", m1));
		W(text_el(w, "Semester2", m2));
		W(text_el(w, "Year", m3));
		W(xmlTextWriterEndElement(w));
	}
	W(periods(w, "Conduct", y->conduct.hk1, y->conduct.hk2, y->conduct.year));
	W(periods(w, "Learning", y->learning.hk1, y->learning.hk2, y->learning.year));
	if (y->absences >= 0) {
		snprintf(num, sizeof(num), "%d", y->absences);
		W(text_el(w, "Absences", num));
	}
	W(text_el(w, "Result", y->result));
	W(text_el(w, "Comment", y->comment));
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

static int student_head(xmlTextWriterPtr w, const struct ks_rec_student *st)
{
	W(xmlTextWriterWriteAttribute(w, X("code"), X(st->code)));
	W(text_el(w, "Name", st->name));
	W(text_el(w, "BirthDate", st->birth_date));
	W(text_el(w, "Gender", st->gender));
	return 0;
fail:
	return -1;
}

static int transcript(xmlTextWriterPtr w, const struct ks_record *r, size_t student)
{
	const struct ks_rec_student *st = &r->students[student];
	size_t i;

	W(school(w, r));
	W(xmlTextWriterStartElement(w, X("Student")));
	W(student_head(w, st));
	W(text_el(w, "BirthPlace", st->birth_place));
	W(text_el(w, "Ethnicity", st->ethnicity));
	W(text_el(w, "PersonalId", st->personal_id));
	W(xmlTextWriterEndElement(w));
	for (i = 0; i < st->n_years; i++)
		W(year_el(w, &st->years[i]));
	W(issued(w, r));
	return 0;
fail:
	return -1;
}

static int gradebook(xmlTextWriterPtr w, const struct ks_record *r)
{
	char num[8];
	size_t i, k;

	W(school(w, r));
	W(text_el(w, "Class", r->class_name));
	W(text_el(w, "SchoolYear", r->school_year));
	snprintf(num, sizeof(num), "%d", r->term);
	W(text_el(w, "Term", num));
	W(text_el(w, "Subject", r->subject));
	W(text_el(w, "Teacher", r->teacher));
	W(text_el(w, "HomeroomTeacher", r->homeroom_teacher));
	for (i = 0; i < r->n_students; i++) {
		const struct ks_rec_student *st = &r->students[i];

		W(xmlTextWriterStartElement(w, X("Student")));
		W(student_head(w, st));
		for (k = 0; k < st->n_regular; k++)
			W(mark_el(w, "Regular", &st->regular[k]));
		W(mark_el(w, "Midterm", &st->midterm));
		W(mark_el(w, "Final", &st->final));
		W(mark_el(w, "Average", &st->average));
		W(xmlTextWriterEndElement(w));
	}
	W(issued(w, r));
	return 0;
fail:
	return -1;
}

int ks_render_xml(const struct ks_record *r, size_t student, const struct ks_render_opts *o,
		  struct ks_buf *xml)
{
	char id[KS_REC_ID_LEN + 1], url[KS_RENDER_MAX_URL + 1];
	xmlBufferPtr buf = NULL;
	xmlTextWriterPtr w = NULL;
	bool tr = r->kind == KS_REC_TRANSCRIPT;
	int rc = -1;

	if (tr && student >= r->n_students)
		KS_BAIL(KS_ERR_ARG, "no student %zu in the record", student);
	KS_GUARD(ks_record_doc_id(r, student, id));
	KS_GUARD(ks_render_verify_url(o, id, url, sizeof(url)));
	buf = xmlBufferCreate();
	if (buf == NULL || (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		KS_BAIL(KS_ERR_NOMEM, "libxml2: cannot create a writer");
	if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, X("  ")) < 0 ||
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElementNS(w, NULL, X(tr ? "Transcript" : "Gradebook"),
					X(KS_RENDER_XML_NS)) < 0 ||
	    xmlTextWriterWriteAttribute(w, X("version"), X("1")) < 0 ||
	    text_el(w, "DocumentId", id) < 0 || text_el(w, "VerificationUrl", url) < 0 ||
	    (tr ? transcript(w, r, student) : gradebook(w, r)) < 0 ||
	    xmlTextWriterEndDocument(w) < 0)
		KS_BAIL(KS_ERR_XML, "libxml2: writing the XML record failed");
	xmlFreeTextWriter(w); /* flushes into buf */
	w = NULL;
	if ((size_t)xmlBufferLength(buf) > KS_RENDER_MAX_OUTPUT)
		KS_BAIL(KS_ERR_LIMIT, "XML record larger than %zu bytes", KS_RENDER_MAX_OUTPUT);
	KS_GUARD(ks_buf_append(xml, xmlBufferContent(buf), (size_t)xmlBufferLength(buf)));
	rc = 0;
out:
	if (w != NULL)
		xmlFreeTextWriter(w);
	if (buf != NULL)
		xmlBufferFree(buf);
	return rc;
}
