/* Unit tests for formats/render/ks_record: the JSON school records of
 * docs/records.md.  The committed samples parse with the values they
 * hold; every rule of the schema is broken once, from a copy of a sample
 * changed through jansson, and the error must name the student and the
 * field; the limits and hostile inputs (nesting, value counts, sizes,
 * encodings) are refused before or while jansson parses; the document
 * identifier is stable and names the document. */
#include "ks_test.h"

#include <jansson.h>

#include "formats/render/ks_record.h"
#include "ks_buf.h"
#include "ks_io.h"

static struct ks_record *parse_file(const char *path)
{
	struct ks_buf b;
	struct ks_record *r = NULL;

	ks_buf_init(&b, KS_REC_MAX_INPUT);
	if (ks_file_read(path, KS_REC_MAX_INPUT, &b) < 0)
		fail_msg("%s: %s", path, ks_err_msg());
	if (ks_record_parse(b.data, b.len, &r) < 0)
		fail_msg("%s: %s", path, ks_err_msg());
	ks_buf_cleanup(&b);
	return r;
}

static json_t *load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (j == NULL)
		fail_msg("%s: %s", path, e.text);
	return j;
}

/* Parse j; expect failure with `code` and a message containing `want`. */
static void expect_error(json_t *j, enum ks_err_code code, const char *want)
{
	char *text = json_dumps(j, JSON_COMPACT);
	struct ks_record *r = NULL;

	assert_non_null(text);
	ks_err_clear();
	if (ks_record_parse((const uint8_t *)text, strlen(text), &r) == 0)
		fail_msg("accepted; expected: %s", want);
	assert_null(r);
	if (strstr(ks_err_msg(), want) == NULL)
		fail_msg("error '%s' does not contain '%s'", ks_err_msg(), want);
	assert_int_equal(ks_err_code(), code);
	free(text);
}

static void expect_ok(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	struct ks_record *r = NULL;

	assert_non_null(text);
	if (ks_record_parse((const uint8_t *)text, strlen(text), &r) < 0)
		fail_msg("refused: %s", ks_err_msg());
	ks_record_free(r);
	free(text);
}

static void expect_raw_error(const char *text, size_t n, enum ks_err_code code, const char *want)
{
	struct ks_record *r = NULL;

	ks_err_clear();
	if (ks_record_parse((const uint8_t *)text, n, &r) == 0)
		fail_msg("accepted; expected: %s", want);
	assert_null(r);
	if (strstr(ks_err_msg(), want) == NULL)
		fail_msg("error '%s' does not contain '%s'", ks_err_msg(), want);
	assert_int_equal(ks_err_code(), code);
}

/* The transcript sample: students[0].years[2] (2025-2026, 12A3). */
static json_t *year12(json_t *root)
{
	return json_array_get(
	    json_object_get(json_array_get(json_object_get(root, "students"), 0), "years"), 2);
}

static json_t *student0(json_t *root)
{
	return json_array_get(json_object_get(root, "students"), 0);
}

static void test_samples(void **state)
{
	struct ks_record *r;
	const struct ks_rec_year *y;
	char m[8], d[11];

	(void)state;
	r = parse_file("docs/examples/hocba.json");
	assert_int_equal(r->kind, KS_REC_TRANSCRIPT);
	assert_int_equal(r->n_students, 1);
	assert_string_equal(r->students[0].name, "Nguyễn Thị Hồng Nhung");
	assert_string_equal(r->students[0].personal_id, "001308012345");
	assert_int_equal(r->students[0].n_years, 3);
	y = &r->students[0].years[2];
	assert_string_equal(y->school_year, "2025-2026");
	assert_string_equal(y->class_name, "12A3");
	assert_int_equal(y->n_subjects, 12);
	/* Order of the JSON object is the printed order. */
	assert_string_equal(y->subjects[0].name, "Toán");
	assert_string_equal(y->subjects[11].name, "GDTC");
	assert_int_equal(y->subjects[0].hk1.type, KS_MARK_SCORE);
	assert_int_equal(y->subjects[0].hk1.tenths, 60);
	assert_int_equal(y->subjects[0].year.tenths, 63);
	assert_int_equal(y->subjects[11].year.type, KS_MARK_PASS);
	ks_mark_format(&y->subjects[0].year, m);
	assert_string_equal(m, "6.3");
	ks_mark_format(&y->subjects[11].hk2, m);
	assert_string_equal(m, "Đ");
	assert_string_equal(y->conduct.year, "Tốt");
	assert_string_equal(y->learning.hk1, "Khá");
	assert_int_equal(y->absences, 2);
	assert_non_null(strchr(y->comment, '\n'));
	ks_record_date_vn(r->students[0].birth_date, d);
	assert_string_equal(d, "12/05/2008");
	ks_record_free(r);

	r = parse_file("docs/examples/lop-12a3.json");
	assert_true(r->n_students >= 5);
	assert_string_equal(r->students[0].name, "Nguyễn Thị Hồng Nhung");
	ks_record_free(r);

	r = parse_file("docs/examples/sodiem.json");
	assert_int_equal(r->kind, KS_REC_GRADEBOOK);
	assert_int_equal(r->term, 1);
	assert_string_equal(r->subject, "Toán");
	assert_int_equal(r->n_regular_max, 4);
	/* Her semester average is the transcript's Toán semester 1 mark. */
	assert_string_equal(r->students[0].code, "0101234567");
	assert_int_equal(r->students[0].average.tenths, 60);
	ks_record_free(r);
}

static void test_score_rules(void **state)
{
	json_t *root = load_json("docs/examples/hocba.json"), *toan;

	(void)state;
	toan = json_object_get(json_object_get(year12(root), "scores"), "Toán");
	json_object_set_new(toan, "hk1", json_real(11.5));
	expect_error(root, KS_ERR_ARG,
		     "students[0] (Nguyễn Thị Hồng Nhung): years[2].scores.Toán.hk1: 11.5 is "
		     "above 10");
	json_object_set_new(toan, "hk1", json_real(-0.5));
	expect_error(root, KS_ERR_ARG, "years[2].scores.Toán.hk1: -0.5 is below 0");
	json_object_set_new(toan, "hk1", json_real(6.25));
	expect_error(root, KS_ERR_ARG, "years[2].scores.Toán.hk1: 6.25 has more than one decimal");
	json_object_set_new(toan, "hk1", json_string("sáu"));
	expect_error(root, KS_ERR_ARG, "'sáu' is not a score from 0 to 10, nor Đ or CĐ");
	json_object_set_new(toan, "hk1", json_true());
	expect_error(root, KS_ERR_ARG, "years[2].scores.Toán.hk1: must be a number");
	json_object_set_new(toan, "hk1", json_integer(6));
	expect_ok(root); /* 6 is 6.0 */
	/* The year follows from the semesters (Circular 22 art. 9). */
	json_object_set_new(toan, "year", json_real(6.4));
	expect_error(root, KS_ERR_ARG,
		     "years[2].scores.Toán.year: 6.4 should be 6.3, (hk1 + 2 × hk2) / 3");
	json_object_set_new(toan, "year", json_real(6.3));
	json_object_del(toan, "hk2");
	expect_error(root, KS_ERR_ARG, "years[2].scores.Toán.year: given without hk2");
	json_object_del(toan, "year");
	expect_ok(root); /* a year in progress */
	json_object_del(toan, "hk1");
	expect_error(root, KS_ERR_ARG, "years[2].scores.Toán.hk1: missing");
	json_object_set_new(toan, "hk1", json_real(6.0));
	json_object_set_new(toan, "hk2", json_string("Đ"));
	expect_error(root, KS_ERR_ARG, "Toán.hk2: Đ/CĐ where the others are scores");
	json_object_set_new(toan, "hk2", json_real(6.5));
	json_object_set_new(toan, "mid", json_real(6.5));
	expect_error(root, KS_ERR_ARG, "years[2].scores.Toán: unknown field 'mid'");
	json_decref(root);

	/* By comment: the year is Đ exactly when semester 2 is. */
	root = load_json("docs/examples/hocba.json");
	toan = json_object_get(json_object_get(year12(root), "scores"), "GDTC");
	json_object_set_new(toan, "hk2", json_string("CĐ"));
	expect_error(root, KS_ERR_ARG, "years[2].scores.GDTC.year: Đ but hk2 is CĐ");
	json_object_set_new(toan, "year", json_string("Chưa đạt"));
	expect_ok(root);
	json_decref(root);
}

static void test_text_rules(void **state)
{
	json_t *root = load_json("docs/examples/hocba.json"), *st;
	char big[KS_REC_MAX_COMMENT + 10];

	(void)state;
	st = student0(root);
	/* Decomposed "Nguyễn" (e + U+0302 + U+0303). */
	json_object_set_new(st, "name", json_string("Nguye\xcc\x82\xcc\x83n Văn A"));
	expect_error(root, KS_ERR_ARG,
		     "students[0]: name: decomposed Unicode (combining mark U+0302)");
	json_object_set_new(st, "name", json_string("Trần Văn B \xf0\x9f\x98\x80"));
	expect_error(root, KS_ERR_ARG, "students[0]: name: character U+1F600 cannot be printed");
	json_object_set_new(st, "name", json_string("Trần\tVăn B"));
	expect_error(root, KS_ERR_ARG, "character U+0009 cannot be printed");
	json_object_set_new(st, "name", json_string(""));
	expect_error(root, KS_ERR_ARG, "students[0]: name: empty");
	json_object_set_new(st, "name", json_integer(3));
	expect_error(root, KS_ERR_ARG, "students[0]: name: must be a string");
	json_object_set_new(st, "name", json_string("Trần Văn B"));
	json_object_set_new(st, "birth_date", json_string("2008-02-30"));
	expect_error(root, KS_ERR_ARG,
		     "students[0] (Trần Văn B): birth_date: '2008-02-30' is not a date");
	json_object_set_new(st, "birth_date", json_string("2008-02-29"));
	expect_ok(root); /* a leap year */
	json_object_set_new(st, "birth_date", json_string("2007-02-29"));
	expect_error(root, KS_ERR_ARG, "'2007-02-29' is not a date");
	json_object_set_new(st, "birth_date", json_string("2008-05-12"));
	json_object_set_new(st, "personal_id", json_string("00130801234"));
	expect_error(root, KS_ERR_ARG,
		     "personal_id: '00130801234' is not a personal identification");
	json_object_set_new(st, "personal_id", json_string("001308012345"));
	json_object_set_new(st, "gender", json_string("Khác"));
	expect_error(root, KS_ERR_ARG, "gender: 'Khác' is not one of Nam, Nữ");
	json_object_set_new(st, "gender", json_string("Nữ"));
	json_object_set_new(st, "code", json_string("01/23"));
	expect_error(root, KS_ERR_ARG, "code: '01/23' may hold only letters");
	json_object_set_new(st, "code", json_string("0101234567"));
	json_object_set_new(st, "hobby", json_string("cờ vua"));
	expect_error(root, KS_ERR_ARG, "students[0] (Trần Văn B): unknown field 'hobby'");
	json_object_del(st, "hobby");
	/* A key is echoed only when it is short printable text. */
	json_object_set_new(st, "\x1b[2J", json_true());
	expect_error(root, KS_ERR_ARG,
		     "students[0] (Trần Văn B): unknown field (a key of 4 bytes)");
	json_object_del(st, "\x1b[2J");
	json_object_set_new(year12(root), "school_year", json_string("2025-2027"));
	expect_error(root, KS_ERR_ARG, "years[2].school_year: '2025-2027' is not a school year");
	json_object_set_new(year12(root), "school_year", json_string("2024-2025"));
	expect_error(root, KS_ERR_ARG, "years[2]: school_year 2024-2025 does not follow 2024-2025");
	json_object_set_new(year12(root), "school_year", json_string("2025-2026"));
	json_object_set_new(json_object_get(year12(root), "conduct"), "year",
			    json_string("Xuất sắc"));
	expect_error(root, KS_ERR_ARG, "years[2].conduct.year: 'Xuất sắc' is not one of Tốt");
	json_object_set_new(json_object_get(year12(root), "conduct"), "year", json_string("Tốt"));
	json_object_set_new(year12(root), "absences", json_integer(400));
	expect_error(root, KS_ERR_ARG, "years[2].absences: must be a whole number of days");
	json_object_set_new(year12(root), "absences", json_integer(2));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_object_set_new(year12(root), "comment", json_string(big));
	expect_error(root, KS_ERR_ARG, "years[2].comment: 1209 bytes, more than 1200");
	json_object_set_new(year12(root), "comment",
			    json_string("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl"));
	expect_error(root, KS_ERR_ARG, "years[2].comment: 11 line breaks, more than 10");
	json_object_set_new(year12(root), "comment", json_string("Ngoan.\nChăm học."));
	expect_ok(root);
	json_object_del(root, "principal");
	expect_error(root, KS_ERR_ARG, "principal: missing");
	json_decref(root);
}

static void test_structure(void **state)
{
	json_t *root = load_json("docs/examples/hocba.json"), *arr, *s2, *scores;
	size_t i;

	(void)state;
	json_object_set_new(root, "version", json_integer(2));
	expect_error(root, KS_ERR_ARG, "version: must be 1");
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "kind", json_string("diploma"));
	expect_error(root, KS_ERR_ARG, "kind: must be \"transcript\" or \"gradebook\"");
	json_object_set_new(root, "kind", json_string("transcript"));
	json_object_set_new(json_object_get(root, "school"), "code", json_string(""));
	expect_error(root, KS_ERR_ARG, "school.code: empty");
	json_object_set_new(json_object_get(root, "school"), "code", json_string("01000123"));
	/* A second student with the same code. */
	arr = json_object_get(root, "students");
	s2 = json_deep_copy(student0(root));
	json_object_set_new(s2, "name", json_string("Trần Văn B"));
	json_array_append_new(arr, s2);
	expect_error(
	    root, KS_ERR_ARG,
	    "students[1] (Trần Văn B): code: '0101234567' is also the code of students[0]");
	json_object_set_new(s2, "code", json_string("0101234568"));
	expect_ok(root);
	/* Too many subjects in one year. */
	scores = json_object_get(year12(root), "scores");
	for (i = 0; i < KS_REC_MAX_SUBJECTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "Môn %zu", i);
		json_object_set_new(scores, name, json_pack("{s:f}", "hk1", 7.0));
	}
	expect_error(root, KS_ERR_ARG, "years[2].scores: 36 subjects; 1 to 24 are allowed");
	json_decref(root);

	/* Too many students. */
	root = load_json("docs/examples/lop-12a3.json");
	arr = json_object_get(root, "students");
	while (json_array_size(arr) <= KS_REC_MAX_STUDENTS)
		json_array_append(arr, json_array_get(arr, 0));
	expect_error(root, KS_ERR_ARG, "students: 201 students; 1 to 200 are allowed");
	json_array_clear(arr);
	expect_error(root, KS_ERR_ARG, "students: 0 students");
	json_decref(root);
}

static void test_gradebook_rules(void **state)
{
	json_t *root = load_json("docs/examples/sodiem.json"), *st, *reg;

	(void)state;
	st = student0(root);
	json_object_set_new(st, "average", json_real(6.1));
	expect_error(root, KS_ERR_ARG,
		     "students[0] (Nguyễn Thị Hồng Nhung): average: 6.1 should be 6.0, (Σ regular "
		     "+ 2 × midterm + 3 × final) / 9");
	json_object_set_new(st, "average", json_real(6.0));
	reg = json_object_get(st, "regular");
	json_array_set_new(reg, 1, json_real(12));
	expect_error(root, KS_ERR_ARG,
		     "students[0] (Nguyễn Thị Hồng Nhung): regular[1]: 12 is above");
	json_array_set_new(reg, 1, json_null());
	expect_error(root, KS_ERR_ARG, "regular[1]: missing");
	json_array_clear(reg);
	expect_error(root, KS_ERR_ARG, "regular: 0 regular assessments");
	json_object_set_new(st, "gender", json_string("Nữ"));
	expect_error(root, KS_ERR_ARG, "unknown field 'gender'");
	json_decref(root);

	/* A subject assessed by comment (Circular 22 art. 9: Đ needs the
	 * final and two thirds of the assessments). */
	root = load_json("docs/examples/sodiem.json");
	st = student0(root);
	json_object_set_new(st, "regular", json_pack("[s,s,s,s]", "Đ", "Đ", "CĐ", "Đ"));
	json_object_set_new(st, "midterm", json_string("Đ"));
	json_object_set_new(st, "final", json_string("Đ"));
	json_object_set_new(st, "average", json_string("Đ"));
	expect_ok(root);
	json_object_set_new(st, "final", json_string("CĐ"));
	expect_error(root, KS_ERR_ARG, "average: Đ does not follow from the assessments");
	json_object_set_new(st, "average", json_string("CĐ"));
	expect_ok(root);
	json_object_set_new(st, "midterm", json_real(7.0));
	expect_error(root, KS_ERR_ARG, "midterm: a score where the others are Đ/CĐ");
	json_object_set_new(root, "term", json_integer(3));
	expect_error(root, KS_ERR_ARG, "term: must be 1 or 2");
	json_decref(root);
}

static void test_hostile(void **state)
{
	char *deep, *many;
	size_t i, n;

	(void)state;
	expect_raw_error("", 0, KS_ERR_PARSE, "JSON line");
	expect_raw_error("{\"version\": 1,", 14, KS_ERR_PARSE, "JSON line 1");
	expect_raw_error("[1, 2]", 6, KS_ERR_ARG, "the record must be a JSON object");
	expect_raw_error("{\"a\":1,\"a\":2}", 13, KS_ERR_PARSE, "duplicate object key");
	expect_raw_error("{\"a\":\"\\u0000\"}", 14, KS_ERR_PARSE, "JSON line");
	expect_raw_error("{\"a\":\"\xc3\x28\"}", 10, KS_ERR_PARSE, "JSON line");
	expect_raw_error("{\"a\":1e999}", 11, KS_ERR_PARSE, "JSON line");
	/* Nesting past the limit is refused before jansson recurses. */
	deep = malloc(100001);
	assert_non_null(deep);
	memset(deep, '[', 100000);
	deep[100000] = '\0';
	expect_raw_error(deep, 100000, KS_ERR_LIMIT, "nested deeper than 8");
	/* Brackets inside strings do not count. */
	expect_raw_error("{\"version\": \"[[[[[[[[[[[[[[\"}",
			 strlen("{\"version\": \"[[[[[[[[[[[[[[\"}"), KS_ERR_ARG,
			 "version: must be 1");
	free(deep);
	/* Too many values. */
	n = 3 * (KS_REC_MAX_VALUES + 1) + 2;
	many = malloc(n + 1);
	assert_non_null(many);
	many[0] = '[';
	for (i = 1; i + 3 < n; i += 3)
		memcpy(many + i, "0, ", 3);
	many[i] = '0';
	many[i + 1] = ']';
	expect_raw_error(many, i + 2, KS_ERR_LIMIT, "more than 200000 values");
	free(many);
	/* Too large. */
	many = calloc(1, KS_REC_MAX_INPUT + 1);
	assert_non_null(many);
	expect_raw_error(many, KS_REC_MAX_INPUT + 1, KS_ERR_LIMIT, "larger than");
	free(many);
}

static void test_doc_id(void **state)
{
	struct ks_record *r = parse_file("docs/examples/hocba.json"), *c, *g;
	char a[KS_REC_ID_LEN + 1], b[KS_REC_ID_LEN + 1];
	size_t i;

	(void)state;
	assert_ok(ks_record_doc_id(r, 0, a));
	assert_int_equal(strlen(a), KS_REC_ID_LEN);
	assert_memory_equal(a, "hb-", 3);
	for (i = 3; i < KS_REC_ID_LEN; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]));
	assert_ok(ks_record_doc_id(r, 0, b));
	assert_string_equal(a, b);
	assert_fails_with(ks_record_doc_id(r, 1, b), KS_ERR_ARG);
	/* Another span of years is another document. */
	c = parse_file("docs/examples/lop-12a3.json");
	assert_ok(ks_record_doc_id(c, 0, b));
	assert_string_not_equal(a, b);
	assert_ok(ks_record_doc_id(c, 1, a));
	assert_string_not_equal(a, b);
	g = parse_file("docs/examples/sodiem.json");
	assert_ok(ks_record_doc_id(g, 0, a));
	assert_memory_equal(a, "sd-", 3);
	/* The identifier names the document, not its marks. */
	g->students[0].average.tenths = 99;
	assert_ok(ks_record_doc_id(g, 0, b));
	assert_string_equal(a, b);
	g->term = 2;
	assert_ok(ks_record_doc_id(g, 0, b));
	assert_string_not_equal(a, b);
	ks_record_free(r);
	ks_record_free(c);
	ks_record_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),         cmocka_unit_test(test_score_rules),
		cmocka_unit_test(test_text_rules),      cmocka_unit_test(test_structure),
		cmocka_unit_test(test_gradebook_rules), cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_doc_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
