/* ks_record: JSON school records parsed and checked (docs/records.md). */
#include "formats/render/ks_record.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_write.h"
#include "formats/render/ks_render_chars.h"
#include "formats/render/ks_record_int.h"
#include "ks_cur.h"

/* ---- bounds before jansson builds anything ---- */

/* One pass over the raw bytes through a cursor: nesting depth and the
 * number of values (a bound: every value but the first follows '[', '{',
 * ',' or ':'), outside strings. */
static int prescan(const uint8_t *p, size_t n)
{
	struct ks_cur c;
	uint8_t b;
	size_t depth = 0, values = 1;
	bool in_str = false, esc = false;

	if (n > KS_REC_MAX_INPUT)
		return KS_SET(KS_ERR_LIMIT, "record of %zu bytes is larger than %zu", n,
			      KS_REC_MAX_INPUT);
	ks_cur_init(&c, p, n);
	while (!ks_cur_eof(&c) && ks_cur_u8(&c, &b) == 0) {
		if (in_str) {
			if (esc)
				esc = false;
			else if (b == '\\')
				esc = true;
			else if (b == '"')
				in_str = false;
			continue;
		}
		switch (b) {
		case '"':
			in_str = true;
			break;
		case '[':
		case '{':
			if (++depth > KS_REC_MAX_DEPTH)
				return KS_SET(KS_ERR_LIMIT, "record nested deeper than %d",
					      KS_REC_MAX_DEPTH);
			values++;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		case ',':
		case ':':
			if (++values > KS_REC_MAX_VALUES)
				return KS_SET(KS_ERR_LIMIT, "record has more than %d values",
					      KS_REC_MAX_VALUES);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ---- typed field readers ---- */

static const char *const genders[] = { "Nam", "Nữ", NULL };

static int parse_student(struct ks_rec_ctx *c, enum ks_rec_kind kind, size_t idx, const json_t *v,
			 struct ks_rec_student *st)
{
	static const char *const tkeys[] = { "code",        "name",        "birth_date",
					     "gender",      "birth_place", "ethnicity",
					     "personal_id", "years",       NULL };
	/* A gradebook prints no gender, so it holds none (the PDF and XML
	 * forms carry the same data). */
	static const char *const gkeys[] = { "code",    "name",  "birth_date", "regular",
					     "midterm", "final", "average",    NULL };
	bool tr = kind == KS_REC_TRANSCRIPT;

	c->path_len = 0;
	c->path[0] = '\0';
	/* Errors name the student once the name is known to be printable. */
	snprintf(c->who, sizeof(c->who), "students[%zu]: ", idx);
	REC_TRY(ks_rec_want_object(c, v));
	REC_TRY(ks_rec_get_text(c, v, "name", st->name, sizeof(st->name), 0));
	snprintf(c->who, sizeof(c->who), "students[%zu] (%s): ", idx, st->name);
	REC_TRY(ks_rec_check_keys(c, v, tr ? tkeys : gkeys));
	REC_TRY(ks_rec_get_code(c, v, "code", st->code, sizeof(st->code)));
	REC_TRY(ks_rec_get_date(c, v, "birth_date", st->birth_date));
	if (!tr)
		return ks_rec_parse_marks(c, v, st);
	REC_TRY(ks_rec_get_word(c, v, "gender", genders, st->gender, sizeof(st->gender), 0));
	REC_TRY(ks_rec_get_text(c, v, "birth_place", st->birth_place, sizeof(st->birth_place),
				T_OPTIONAL));
	REC_TRY(
	    ks_rec_get_text(c, v, "ethnicity", st->ethnicity, sizeof(st->ethnicity), T_OPTIONAL));
	REC_TRY(ks_rec_get_text(c, v, "personal_id", st->personal_id, sizeof(st->personal_id), 0));
	if (strlen(st->personal_id) != 12 || !ks_rec_all_digits(st->personal_id, 12)) {
		ks_rec_path_push(c, ".personal_id");
		return ks_rec_fail(c, "'%s' is not a personal identification number (12 digits)",
				   st->personal_id);
	}
	return ks_rec_parse_years(c, v, st);
}

/* ---- the record ---- */

static int parse_school(struct ks_rec_ctx *c, const json_t *root, struct ks_rec_school *s)
{
	static const char *const keys[] = { "authority", "name", "code", "address", "level", NULL };
	const json_t *v = json_object_get(root, "school");
	size_t saved = ks_rec_path_push(c, "school");

	if (v == NULL)
		return ks_rec_fail(c, "missing");
	REC_TRY(ks_rec_want_object(c, v));
	REC_TRY(ks_rec_check_keys(c, v, keys));
	REC_TRY(ks_rec_get_text(c, v, "authority", s->authority, sizeof(s->authority), 0));
	REC_TRY(ks_rec_get_text(c, v, "name", s->name, sizeof(s->name), 0));
	REC_TRY(ks_rec_get_code(c, v, "code", s->code, sizeof(s->code)));
	REC_TRY(ks_rec_get_text(c, v, "address", s->address, sizeof(s->address), T_OPTIONAL));
	REC_TRY(ks_rec_get_text(c, v, "level", s->level, sizeof(s->level), T_OPTIONAL));
	ks_rec_path_pop(c, saved);
	return 0;
}

static int parse_gradebook_head(struct ks_rec_ctx *c, const json_t *root, struct ks_record *r)
{
	const json_t *t = json_object_get(root, "term");

	REC_TRY(ks_rec_get_text(c, root, "class", r->class_name, sizeof(r->class_name), 0));
	REC_TRY(ks_rec_get_school_year(c, root, "school_year", r->school_year));
	REC_TRY(ks_rec_get_text(c, root, "subject", r->subject, sizeof(r->subject), 0));
	REC_TRY(ks_rec_get_text(c, root, "teacher", r->teacher, sizeof(r->teacher), 0));
	REC_TRY(ks_rec_get_text(c, root, "homeroom_teacher", r->homeroom_teacher,
				sizeof(r->homeroom_teacher), T_OPTIONAL));
	if (!json_is_integer(t) || (json_integer_value(t) != 1 && json_integer_value(t) != 2)) {
		ks_rec_path_push(c, "term");
		return ks_rec_fail(c, t == NULL ? "missing" : "must be 1 or 2");
	}
	r->term = (int)json_integer_value(t);
	return 0;
}

static int parse_root(struct ks_rec_ctx *c, const json_t *root, struct ks_record *r)
{
	static const char *const tkeys[] = { "version", "kind", "school",   "principal",
					     "place",   "date", "students", NULL };
	static const char *const gkeys[] = {
		"version", "kind",        "school",   "principal", "place",
		"date",    "class",       "term",     "subject",   "homeroom_teacher",
		"teacher", "school_year", "students", NULL
	};
	const json_t *kind = json_object_get(root, "kind"), *ver = json_object_get(root, "version");
	const json_t *arr;
	size_t i, j;

	if (!json_is_object(root))
		return ks_rec_fail(c, "the record must be a JSON object");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		ks_rec_path_push(c, "version");
		return ks_rec_fail(c, ver == NULL ? "missing (1)" : "must be 1");
	}
	if (json_is_string(kind) && strcmp(json_string_value(kind), "transcript") == 0) {
		r->kind = KS_REC_TRANSCRIPT;
	} else if (json_is_string(kind) && strcmp(json_string_value(kind), "gradebook") == 0) {
		r->kind = KS_REC_GRADEBOOK;
	} else {
		ks_rec_path_push(c, "kind");
		return ks_rec_fail(c, "must be \"transcript\" or \"gradebook\"");
	}
	REC_TRY(ks_rec_check_keys(c, root, r->kind == KS_REC_TRANSCRIPT ? tkeys : gkeys));
	REC_TRY(parse_school(c, root, &r->school));
	REC_TRY(ks_rec_get_text(c, root, "principal", r->principal, sizeof(r->principal), 0));
	REC_TRY(ks_rec_get_text(c, root, "place", r->place, sizeof(r->place), 0));
	REC_TRY(ks_rec_get_date(c, root, "date", r->date));
	if (r->kind == KS_REC_GRADEBOOK)
		REC_TRY(parse_gradebook_head(c, root, r));
	arr = json_object_get(root, "students");
	ks_rec_path_push(c, "students");
	if (!json_is_array(arr))
		return ks_rec_fail(c, arr == NULL ? "missing" : "must be an array");
	if (json_array_size(arr) == 0 || json_array_size(arr) > KS_REC_MAX_STUDENTS)
		return ks_rec_fail(c, "%zu students; 1 to %d are allowed", json_array_size(arr),
				   KS_REC_MAX_STUDENTS);
	r->students = calloc(json_array_size(arr), sizeof(*r->students));
	if (r->students == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(arr); i++) {
		struct ks_rec_student *st = &r->students[i];

		r->n_students++;
		REC_TRY(parse_student(c, r->kind, i, json_array_get(arr, i), st));
		for (j = 0; j < i; j++)
			if (strcmp(r->students[j].code, st->code) == 0) {
				c->path_len = 0;
				ks_rec_path_push(c, "code");
				return ks_rec_fail(c, "'%s' is also the code of students[%zu]",
						   st->code, j);
			}
		if (st->n_regular > r->n_regular_max)
			r->n_regular_max = st->n_regular;
	}
	return 0;
}

int ks_record_parse(const uint8_t *json, size_t len, struct ks_record **out)
{
	struct ks_record *r = NULL;
	struct ks_rec_ctx c;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -1;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	KS_GUARD(prescan(json, len));
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		KS_BAIL(KS_ERR_PARSE, "JSON line %d column %d: %s", jerr.line, jerr.column,
			jerr.text);
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(parse_root(&c, root, r));
	*out = r;
	r = NULL;
	rc = 0;
out:
	json_decref(root);
	ks_record_free(r);
	return rc;
}

void ks_record_free(struct ks_record *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_students; i++)
		free(r->students[i].years);
	free(r->students);
	free(r);
}
