/* ks_record_marks: the marks of a record (docs/records.md): scores and
 * comment marks, a transcript's subjects, conduct and learning per school
 * year, a gradebook's assessments, and the averages that must follow from
 * them (Circular 22/2021/TT-BGDĐT art. 9). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/render/ks_record_int.h"

/* A mark: a number from 0 to 10 with at most one decimal (Circular 22
 * art. 6: scores are rounded to one decimal), or "Đ"/"CĐ" ("Đạt"/"Chưa
 * đạt") for a subject assessed by comment.  Absent or null is NONE. */
static int parse_mark(struct ks_rec_ctx *c, const json_t *v, struct ks_mark *m)
{
	double x, t;

	m->type = KS_MARK_NONE;
	m->tenths = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		x = json_number_value(v);
		if (!isfinite(x))
			return ks_rec_fail(c, "not a finite number");
		if (x < 0)
			return ks_rec_fail(c, "%g is below 0", x);
		if (x > 10)
			return ks_rec_fail(c, "%g is above 10", x);
		t = x * 10;
		if (fabs(t - round(t)) > 1e-6)
			return ks_rec_fail(c, "%g has more than one decimal", x);
		m->type = KS_MARK_SCORE;
		m->tenths = (int)lround(t);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strcmp(s, "Đ") == 0 || strcmp(s, "Đạt") == 0) {
			m->type = KS_MARK_PASS;
			return 0;
		}
		if (strcmp(s, "CĐ") == 0 || strcmp(s, "Chưa đạt") == 0) {
			m->type = KS_MARK_FAIL;
			return 0;
		}
		if (ks_rec_check_text(c, s, json_string_length(v), 40, 0) < 0)
			return -1;
		return ks_rec_fail(c, "'%s' is not a score from 0 to 10, nor Đ or CĐ", s);
	}
	return ks_rec_fail(c, "must be a number from 0 to 10, or \"Đ\" / \"CĐ\"");
}

static int get_mark(struct ks_rec_ctx *c, const json_t *obj, const char *key, bool required,
		    struct ks_mark *m)
{
	size_t saved = ks_rec_path_push(c, ".%s", key);
	int rc = parse_mark(c, json_object_get(obj, key), m);

	if (rc == 0 && required && m->type == KS_MARK_NONE)
		rc = ks_rec_fail(c, "missing");
	ks_rec_path_pop(c, saved);
	return rc;
}

static bool is_comment_mark(const struct ks_mark *m)
{
	return m->type == KS_MARK_PASS || m->type == KS_MARK_FAIL;
}

/* Marks of one subject are all scores or all comments. */
static int same_kind(struct ks_rec_ctx *c, const struct ks_mark *first, const struct ks_mark *m,
		     const char *name)
{
	size_t saved;

	if (m->type == KS_MARK_NONE || first->type == KS_MARK_NONE ||
	    is_comment_mark(first) == is_comment_mark(m))
		return 0;
	saved = ks_rec_path_push(c, ".%s", name);
	ks_rec_fail(c, "%s where the others are %s; a subject is scored or assessed by comment",
		    is_comment_mark(m) ? "Đ/CĐ" : "a score",
		    is_comment_mark(first) ? "Đ/CĐ" : "scores");
	ks_rec_path_pop(c, saved);
	return -1;
}

/* num/den rounded half up to an integer (both positive). */
static int round_div(int num, int den)
{
	return (2 * num + den) / (2 * den);
}

static void fmt_tenths(int t, char out[8])
{
	struct ks_mark m = { KS_MARK_SCORE, t };

	ks_mark_format(&m, out);
}

/* ---- transcript ---- */

static int parse_subject(struct ks_rec_ctx *c, const char *name, const json_t *v,
			 struct ks_rec_subject *s)
{
	static const char *const keys[] = { "hk1", "hk2", "year", NULL };
	size_t saved = ks_rec_path_push(c, ".%s", name), n = strlen(name);
	char want[8], got[8];
	int rc = -1;

	KS_GUARD(ks_rec_check_text(c, name, n, KS_REC_MAX_NAME, 0));
	if (n == 0) {
		ks_rec_fail(c, "empty subject name");
		goto out;
	}
	memcpy(s->name, name, n + 1);
	KS_GUARD(ks_rec_want_object(c, v));
	KS_GUARD(ks_rec_check_keys(c, v, keys));
	KS_GUARD(get_mark(c, v, "hk1", true, &s->hk1));
	KS_GUARD(get_mark(c, v, "hk2", false, &s->hk2));
	KS_GUARD(get_mark(c, v, "year", false, &s->year));
	KS_GUARD(same_kind(c, &s->hk1, &s->hk2, "hk2"));
	KS_GUARD(same_kind(c, &s->hk1, &s->year, "year"));
	if (s->year.type != KS_MARK_NONE) {
		ks_rec_path_push(c, ".year");
		if (s->hk2.type == KS_MARK_NONE) {
			ks_rec_fail(c, "given without hk2");
			goto out;
		}
		/* Circular 22 art. 9: the year is (HK I + 2 × HK II) / 3; by
		 * comment, the year passes when semester 2 does. */
		if (s->year.type == KS_MARK_SCORE) {
			int t = round_div(s->hk1.tenths + 2 * s->hk2.tenths, 3);

			if (t != s->year.tenths) {
				fmt_tenths(t, want);
				fmt_tenths(s->year.tenths, got);
				ks_rec_fail(c, "%s should be %s, (hk1 + 2 × hk2) / 3", got, want);
				goto out;
			}
		} else if (s->year.type != s->hk2.type) {
			ks_rec_fail(c, "%s but hk2 is %s",
				    s->year.type == KS_MARK_PASS ? "Đ" : "CĐ",
				    s->hk2.type == KS_MARK_PASS ? "Đ" : "CĐ");
			goto out;
		}
	}
	rc = 0;
out:
	ks_rec_path_pop(c, saved);
	return rc;
}

/* Circular 22/2021 (rèn luyện, học tập) and the earlier Circular 58/2011
 * (hạnh kiểm, học lực) words. */
static const char *const conduct_words[] = { "Tốt",        "Khá", "Đạt", "Chưa đạt",
					     "Trung bình", "Yếu", NULL };
static const char *const learning_words[] = { "Tốt",        "Khá", "Đạt", "Chưa đạt", "Giỏi",
					      "Trung bình", "Yếu", "Kém", NULL };

static int parse_grade(struct ks_rec_ctx *c, const json_t *obj, const char *key,
		       const char *const *words, struct ks_rec_grade *g)
{
	static const char *const keys[] = { "hk1", "hk2", "year", NULL };
	const json_t *v = json_object_get(obj, key);
	size_t saved = ks_rec_path_push(c, ".%s", key);
	int rc = -1;

	memset(g, 0, sizeof(*g));
	if (v == NULL) {
		ks_rec_fail(c, "missing");
		goto out;
	}
	KS_GUARD(ks_rec_want_object(c, v));
	KS_GUARD(ks_rec_check_keys(c, v, keys));
	KS_GUARD(ks_rec_get_word(c, v, "hk1", words, g->hk1, sizeof(g->hk1), 0));
	KS_GUARD(ks_rec_get_word(c, v, "hk2", words, g->hk2, sizeof(g->hk2), T_OPTIONAL));
	KS_GUARD(ks_rec_get_word(c, v, "year", words, g->year, sizeof(g->year), T_OPTIONAL));
	rc = 0;
out:
	ks_rec_path_pop(c, saved);
	return rc;
}

static int parse_year(struct ks_rec_ctx *c, const json_t *v, struct ks_rec_year *y)
{
	static const char *const keys[] = { "school_year", "class",    "homeroom_teacher", "scores",
					    "conduct",     "learning", "absences",         "result",
					    "comment",     NULL };
	const json_t *scores, *sv, *ab;
	const char *name;
	size_t saved, i, breaks;

	REC_TRY(ks_rec_want_object(c, v));
	REC_TRY(ks_rec_check_keys(c, v, keys));
	REC_TRY(ks_rec_get_school_year(c, v, "school_year", y->school_year));
	REC_TRY(ks_rec_get_text(c, v, "class", y->class_name, sizeof(y->class_name), 0));
	REC_TRY(ks_rec_get_text(c, v, "homeroom_teacher", y->homeroom_teacher,
				sizeof(y->homeroom_teacher), 0));
	scores = json_object_get(v, "scores");
	saved = ks_rec_path_push(c, ".scores");
	if (scores == NULL)
		return ks_rec_fail(c, "missing");
	REC_TRY(ks_rec_want_object(c, scores));
	if (json_object_size(scores) == 0 || json_object_size(scores) > KS_REC_MAX_SUBJECTS) {
		ks_rec_fail(c, "%zu subjects; 1 to %d are allowed", json_object_size(scores),
			    KS_REC_MAX_SUBJECTS);
		return -1;
	}
	json_object_foreach((json_t *)scores, name, sv)
	{
		REC_TRY(parse_subject(c, name, sv, &y->subjects[y->n_subjects]));
		y->n_subjects++;
	}
	ks_rec_path_pop(c, saved);
	REC_TRY(parse_grade(c, v, "conduct", conduct_words, &y->conduct));
	REC_TRY(parse_grade(c, v, "learning", learning_words, &y->learning));
	y->absences = -1;
	ab = json_object_get(v, "absences");
	if (ab != NULL && !json_is_null(ab)) {
		saved = ks_rec_path_push(c, ".absences");
		if (!json_is_integer(ab) || json_integer_value(ab) < 0 ||
		    json_integer_value(ab) > KS_REC_MAX_ABSENCES)
			return ks_rec_fail(c, "must be a whole number of days from 0 to %d",
					   KS_REC_MAX_ABSENCES);
		y->absences = (int)json_integer_value(ab);
		ks_rec_path_pop(c, saved);
	}
	REC_TRY(ks_rec_get_text(c, v, "result", y->result, sizeof(y->result), T_OPTIONAL));
	REC_TRY(ks_rec_get_text(c, v, "comment", y->comment, sizeof(y->comment),
				T_OPTIONAL | T_NEWLINES));
	for (i = 0, breaks = 0; y->comment[i] != '\0'; i++)
		breaks += y->comment[i] == '\n';
	if (breaks > KS_REC_MAX_COMMENT_BREAKS) {
		ks_rec_path_push(c, ".comment");
		return ks_rec_fail(c, "%zu line breaks, more than %d", breaks,
				   KS_REC_MAX_COMMENT_BREAKS);
	}
	return 0;
}

/* ---- students ---- */

int ks_rec_parse_years(struct ks_rec_ctx *c, const json_t *v, struct ks_rec_student *st)
{
	const json_t *arr = json_object_get(v, "years");
	size_t i, saved = ks_rec_path_push(c, ".years");

	if (arr == NULL)
		return ks_rec_fail(c, "missing");
	if (!json_is_array(arr))
		return ks_rec_fail(c, "must be an array");
	if (json_array_size(arr) == 0 || json_array_size(arr) > KS_REC_MAX_YEARS)
		return ks_rec_fail(c, "%zu school years; 1 to %d are allowed", json_array_size(arr),
				   KS_REC_MAX_YEARS);
	st->years = calloc(json_array_size(arr), sizeof(*st->years));
	if (st->years == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(arr); i++) {
		size_t s2 = ks_rec_path_push(c, "[%zu]", i);

		REC_TRY(parse_year(c, json_array_get(arr, i), &st->years[i]));
		st->n_years++;
		/* Years in order, each once. */
		if (i > 0 && strcmp(st->years[i].school_year, st->years[i - 1].school_year) <= 0)
			return ks_rec_fail(c, "school_year %s does not follow %s",
					   st->years[i].school_year, st->years[i - 1].school_year);
		ks_rec_path_pop(c, s2);
	}
	ks_rec_path_pop(c, saved);
	return 0;
}

/* Gradebook marks: regular assessments, midterm, final and the term
 * average (Circular 22 art. 9: (Σ ĐĐGtx + 2 ĐĐGgk + 3 ĐĐGck) / (n + 5);
 * by comment, Đạt when the final and at least two thirds of all the
 * assessments are Đ). */
int ks_rec_parse_marks(struct ks_rec_ctx *c, const json_t *v, struct ks_rec_student *st)
{
	const json_t *arr = json_object_get(v, "regular");
	size_t i, saved, passed = 0;
	char want[8], got[8];
	int sum;
	bool comment;

	saved = ks_rec_path_push(c, ".regular");
	if (arr == NULL)
		return ks_rec_fail(c, "missing");
	if (!json_is_array(arr))
		return ks_rec_fail(c, "must be an array");
	if (json_array_size(arr) == 0 || json_array_size(arr) > KS_REC_MAX_REGULAR)
		return ks_rec_fail(c, "%zu regular assessments; 1 to %d are allowed",
				   json_array_size(arr), KS_REC_MAX_REGULAR);
	for (i = 0; i < json_array_size(arr); i++) {
		size_t s2 = ks_rec_path_push(c, "[%zu]", i);

		REC_TRY(parse_mark(c, json_array_get(arr, i), &st->regular[i]));
		if (st->regular[i].type == KS_MARK_NONE)
			return ks_rec_fail(c, "missing");
		if (i > 0) {
			ks_rec_path_pop(c, s2);
			REC_TRY(same_kind(c, &st->regular[0], &st->regular[i], ""));
		}
		ks_rec_path_pop(c, s2);
		st->n_regular++;
	}
	ks_rec_path_pop(c, saved);
	REC_TRY(get_mark(c, v, "midterm", true, &st->midterm));
	REC_TRY(get_mark(c, v, "final", true, &st->final));
	REC_TRY(get_mark(c, v, "average", true, &st->average));
	REC_TRY(same_kind(c, &st->regular[0], &st->midterm, "midterm"));
	REC_TRY(same_kind(c, &st->regular[0], &st->final, "final"));
	REC_TRY(same_kind(c, &st->regular[0], &st->average, "average"));
	comment = is_comment_mark(&st->average);
	saved = ks_rec_path_push(c, ".average");
	if (!comment) {
		sum = 2 * st->midterm.tenths + 3 * st->final.tenths;
		for (i = 0; i < st->n_regular; i++)
			sum += st->regular[i].tenths;
		sum = round_div(sum, (int)st->n_regular + 5);
		if (sum != st->average.tenths) {
			fmt_tenths(sum, want);
			fmt_tenths(st->average.tenths, got);
			return ks_rec_fail(
			    c, "%s should be %s, (Σ regular + 2 × midterm + 3 × final) / %zu", got,
			    want, st->n_regular + 5);
		}
	} else {
		for (i = 0; i < st->n_regular; i++)
			passed += st->regular[i].type == KS_MARK_PASS;
		passed += st->midterm.type == KS_MARK_PASS;
		passed += st->final.type == KS_MARK_PASS;
		if ((st->final.type == KS_MARK_PASS && 3 * passed >= 2 * (st->n_regular + 2)) !=
		    (st->average.type == KS_MARK_PASS))
			return ks_rec_fail(
			    c,
			    "%s does not follow from the assessments (Đ needs the final "
			    "and two thirds of them Đ)",
			    st->average.type == KS_MARK_PASS ? "Đ" : "CĐ");
	}
	ks_rec_path_pop(c, saved);
	return 0;
}
