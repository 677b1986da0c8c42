/* ks_record: school records (học bạ transcripts, sổ điểm gradebooks) read
 * from JSON and checked before anything is printed or signed.
 *
 * The input is hostile until checked: its size, nesting and number of
 * values are bounded before jansson builds a tree, every field is looked
 * up by name (unknown fields are refused, so a misspelt one is never
 * silently dropped), every text is checked against the printable record
 * character set (ks_render_chars.h) and every score against the rules of
 * Circular 22/2021/TT-BGDĐT (0 to 10, one decimal, averages that follow
 * from their parts).  An error names the student and the field, e.g.
 *   students[3] (Trần Văn B): years[0].scores.Toán.hk1: 11.5 is above 10
 * The schema is docs/records.md. */
#ifndef KS_RECORD_H
#define KS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"

/* Bytes of one JSON input. */
#define KS_REC_MAX_INPUT ((size_t)4 << 20)
/* Nesting of arrays and objects in the input (the schema needs 6). */
#define KS_REC_MAX_DEPTH 8
/* JSON values in one input (bounds the tree jansson builds). */
#define KS_REC_MAX_VALUES 200000
/* Students of one record (a class is at most 45 by regulation). */
#define KS_REC_MAX_STUDENTS 200
/* School years of one transcript (primary school has five). */
#define KS_REC_MAX_YEARS 5
/* Subjects of one school year. */
#define KS_REC_MAX_SUBJECTS 24
/* Regular assessments (ĐĐGtx) of one term (Circular 22 asks 2 to 4). */
#define KS_REC_MAX_REGULAR 6
/* Bytes (UTF-8) of a person's, school's or subject's name. */
#define KS_REC_MAX_NAME 100
/* Bytes of other short texts (places, addresses, results). */
#define KS_REC_MAX_TEXT 200
/* Bytes of a teacher's comment. */
#define KS_REC_MAX_COMMENT 1200
/* Line breaks in a teacher's comment. */
#define KS_REC_MAX_COMMENT_BREAKS 10
/* Bytes of a code (school code, student code, class). */
#define KS_REC_MAX_CODE 20
/* Days of absence in one school year. */
#define KS_REC_MAX_ABSENCES 365

/* The document identifier: "hb-" or "sd-" and 16 base32 characters. */
#define KS_REC_ID_LEN 19

enum ks_rec_kind {
	KS_REC_TRANSCRIPT, /* học bạ: one student, one or more school years */
	KS_REC_GRADEBOOK,  /* sổ điểm: a class, one subject, one term */
};

enum ks_mark_type {
	KS_MARK_NONE,  /* not given (null or absent): printed blank */
	KS_MARK_SCORE, /* 0.0 to 10.0 */
	KS_MARK_PASS,  /* "Đ" (Đạt), for subjects assessed by comment */
	KS_MARK_FAIL,  /* "CĐ" (Chưa đạt) */
};

struct ks_mark {
	enum ks_mark_type type;
	int tenths; /* KS_MARK_SCORE: the score times ten (85 for 8.5) */
};

/* A subject of a school year: semester 1, semester 2 and the year. */
struct ks_rec_subject {
	char name[KS_REC_MAX_NAME + 1];
	struct ks_mark hk1, hk2, year;
};

/* One of conduct (rèn luyện) or learning (học tập) for a year: a word of
 * a fixed vocabulary per period, "" when not given. */
struct ks_rec_grade {
	char hk1[16], hk2[16], year[16];
};

struct ks_rec_year {
	char school_year[10]; /* "2025-2026" */
	char class_name[KS_REC_MAX_CODE + 1];
	char homeroom_teacher[KS_REC_MAX_NAME + 1];
	struct ks_rec_subject subjects[KS_REC_MAX_SUBJECTS];
	size_t n_subjects;
	struct ks_rec_grade conduct;  /* rèn luyện (hạnh kiểm) */
	struct ks_rec_grade learning; /* học tập (học lực) */
	int absences;                 /* -1 when not given */
	char result[KS_REC_MAX_TEXT + 1];
	char comment[KS_REC_MAX_COMMENT + 1];
};

struct ks_rec_student {
	char code[KS_REC_MAX_CODE + 1]; /* mã học sinh */
	char name[KS_REC_MAX_NAME + 1];
	char birth_date[11]; /* "YYYY-MM-DD" */
	char gender[8];      /* "Nam" or "Nữ"; "" in a gradebook */
	char birth_place[KS_REC_MAX_TEXT + 1];
	char ethnicity[KS_REC_MAX_NAME + 1];
	char personal_id[13]; /* số định danh cá nhân (CCCD), 12 digits */
	/* transcript */
	struct ks_rec_year *years; /* owned */
	size_t n_years;
	/* gradebook */
	struct ks_mark regular[KS_REC_MAX_REGULAR];
	size_t n_regular;
	struct ks_mark midterm, final, average;
};

struct ks_rec_school {
	char authority[KS_REC_MAX_NAME + 1]; /* "Sở Giáo dục và Đào tạo Hà Nội" */
	char name[KS_REC_MAX_NAME + 1];
	char code[KS_REC_MAX_CODE + 1];
	char address[KS_REC_MAX_TEXT + 1];
	char level[KS_REC_MAX_NAME + 1]; /* "Trung học phổ thông", may be "" */
};

struct ks_record {
	enum ks_rec_kind kind;
	struct ks_rec_school school;
	char principal[KS_REC_MAX_NAME + 1];
	char place[KS_REC_MAX_NAME + 1]; /* "Hà Nội" in "Hà Nội, ngày ..." */
	char date[11];                   /* date of issue, "YYYY-MM-DD" */
	/* gradebook */
	char class_name[KS_REC_MAX_CODE + 1];
	char school_year[10];
	int term; /* 1 or 2 */
	char subject[KS_REC_MAX_NAME + 1];
	char teacher[KS_REC_MAX_NAME + 1]; /* subject teacher */
	char homeroom_teacher[KS_REC_MAX_NAME + 1];
	size_t n_regular_max;            /* most regular assessments of any student */
	struct ks_rec_student *students; /* owned */
	size_t n_students;
};

/* Parse and check a record.  *out is the caller's (ks_record_free).  On
 * error *out is NULL and the error (KS_ERR_PARSE for malformed JSON,
 * KS_ERR_LIMIT for a limit, KS_ERR_ARG for a field that breaks the
 * schema) names the field and, when it is inside one, the student. */
KS_WUR int ks_record_parse(const uint8_t *json, size_t len, struct ks_record **out);
void ks_record_free(struct ks_record *r);

/* The document identifier (docs/records.md, "Document identifier"): a
 * SHA-256 over the fields that name the document, cut to 80 bits, as
 * "hb-" (transcript of students[student]) or "sd-" (gradebook) and 16
 * base32 characters.  The same record always gives the same identifier. */
KS_WUR int ks_record_doc_id(const struct ks_record *r, size_t student, char id[KS_REC_ID_LEN + 1]);

/* A mark as printed and in the XML: "8.5", "10.0", "Đ", "CĐ", "" (none). */
void ks_mark_format(const struct ks_mark *m, char out[8]);
/* "YYYY-MM-DD" as "DD/MM/YYYY". */
void ks_record_date_vn(const char *iso, char out[11]);

#endif
