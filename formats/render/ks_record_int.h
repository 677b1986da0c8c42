/* Shared by the record parser's files (ks_record.c, ks_record_marks.c):
 * where the parser is, for error messages, and the typed field readers. */
#ifndef KS_RECORD_INT_H
#define KS_RECORD_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "formats/render/ks_record.h"

/* The student ("students[3] (Trần Văn B): ") and the field path inside
 * it ("years[0].scores.Toán"). */
struct ks_rec_ctx {
	char who[KS_REC_MAX_NAME + 64];
	char path[384];
	size_t path_len;
};

/* Pass a failure up from a function that holds no resource. */
#define REC_TRY(call)              \
	do {                       \
		if ((call) < 0)    \
			return -1; \
	} while (0)

/* Append ".key" or "[i]" to the path; returns the length to restore. */
size_t ks_rec_path_push(struct ks_rec_ctx *c, const char *fmt, ...) KS_PRINTF(2, 3);
void ks_rec_path_pop(struct ks_rec_ctx *c, size_t saved);
/* Record "students[3] (Trần Văn B): years[0].scores.Toán.hk1: <message>"
 * as KS_ERR_ARG; returns -1. */
int ks_rec_fail(const struct ks_rec_ctx *c, const char *fmt, ...) KS_PRINTF(2, 3);

enum ks_rec_text_flags {
	T_OPTIONAL = 1,
	T_NEWLINES = 2, /* a comment may hold line breaks */
};

/* Every key of obj is in the NULL-terminated list. */
KS_WUR int ks_rec_check_keys(struct ks_rec_ctx *c, const json_t *obj, const char *const *allowed);
KS_WUR int ks_rec_want_object(struct ks_rec_ctx *c, const json_t *v);
/* Printable record characters (ks_render_chars.h), at most max bytes. */
KS_WUR int ks_rec_check_text(struct ks_rec_ctx *c, const char *s, size_t n, size_t max, int flags);
/* A text field into out (outsz - 1 bytes at most); "" when optional and
 * absent. */
KS_WUR int ks_rec_get_text(struct ks_rec_ctx *c, const json_t *obj, const char *key, char *out,
			   size_t outsz, int flags);
/* A text that must be one of the NULL-terminated words. */
KS_WUR int ks_rec_get_word(struct ks_rec_ctx *c, const json_t *obj, const char *key,
			   const char *const *words, char *out, size_t outsz, int flags);
/* A code: 1 to KS_REC_MAX_CODE ASCII letters, digits, '-' or '_'. */
KS_WUR int ks_rec_get_code(struct ks_rec_ctx *c, const json_t *obj, const char *key, char *out,
			   size_t outsz);
/* A date "YYYY-MM-DD" that exists. */
KS_WUR int ks_rec_get_date(struct ks_rec_ctx *c, const json_t *obj, const char *key, char out[11]);
/* n ASCII digits. */
bool ks_rec_all_digits(const char *s, size_t n);
/* "2025-2026": two consecutive years. */
KS_WUR int ks_rec_get_school_year(struct ks_rec_ctx *c, const json_t *obj, const char *key,
				  char out[10]);

/* A transcript student's "years"; a gradebook student's marks. */
KS_WUR int ks_rec_parse_years(struct ks_rec_ctx *c, const json_t *v, struct ks_rec_student *st);
KS_WUR int ks_rec_parse_marks(struct ks_rec_ctx *c, const json_t *v, struct ks_rec_student *st);

#endif
