/* ks_render_gradebook: a class's sổ điểm for one subject and term on A4 —
 * the school and the QR code, the title, one row per student with the
 * regular assessments (ĐĐGtx), midterm, final and term average, the header
 * row repeated on every page, then the signature block. */
#include <stdio.h>
#include <string.h>

#include "formats/render/ks_render_int.h"

#define ROW_H 15.0
#define HEAD_H 18.0
#define QR_SIZE 78.0
/* Fixed columns; the name takes what is left. */
#define W_NO 26.0
#define W_CODE 66.0
#define W_BIRTH 60.0
#define W_TX 28.0
#define W_GK 32.0
#define W_TB 38.0
/* Rows that move to the signatures' page when these do not fit. */
#define TAIL_ROWS 5

struct grid {
	double x[4 + KS_REC_MAX_REGULAR + 4]; /* left edges, then the right edge */
	size_t n_cols;
	size_t n_tx;
};

static void make_grid(struct grid *g, size_t n_tx)
{
	double w[4 + KS_REC_MAX_REGULAR + 3], fixed = W_NO + W_CODE + W_BIRTH + 2 * W_GK + W_TB;
	size_t i, k = 0;

	g->n_tx = n_tx;
	w[k++] = W_NO;
	w[k++] = W_CODE;
	w[k++] = KS_RD_WIDTH - fixed - (double)n_tx * W_TX;
	w[k++] = W_BIRTH;
	for (i = 0; i < n_tx; i++)
		w[k++] = W_TX;
	w[k++] = W_GK;
	w[k++] = W_GK;
	w[k++] = W_TB;
	g->n_cols = k;
	g->x[0] = KS_RD_LEFT;
	for (i = 0; i < k; i++)
		g->x[i + 1] = g->x[i] + w[i];
}

static void row(struct ks_rd *d, const struct grid *g, double h, double fill)
{
	size_t i;

	ks_rd_rect(d, KS_RD_LEFT, d->y - h, KS_RD_WIDTH, h, 0.5, fill, false);
	for (i = 1; i < g->n_cols; i++)
		ks_rd_line(d, g->x[i], d->y, g->x[i], d->y - h, 0.5);
}

static void cell(struct ks_rd *d, const struct grid *g, size_t col, bool bold, double size,
		 double y, const char *s)
{
	double x0 = g->x[col], x1 = g->x[col + 1];

	if (col == 2)
		ks_rd_text(d, bold, size, x0 + 4, y, KS_RD_LEFT_AL, x1 - x0 - 6, s);
	else
		ks_rd_text(d, bold, size, (x0 + x1) / 2, y, KS_RD_CENTER, x1 - x0 - 3, s);
}

static void header_row(struct ks_rd *d, const struct grid *g)
{
	char buf[8];
	double y = d->y - 12;
	size_t i;

	row(d, g, HEAD_H, 0.92);
	cell(d, g, 0, true, 8, y, "STT");
	cell(d, g, 1, true, 8, y, "Mã học sinh");
	cell(d, g, 2, true, 8, y, "Họ và tên");
	cell(d, g, 3, true, 8, y, "Ngày sinh");
	for (i = 0; i < g->n_tx; i++) {
		snprintf(buf, sizeof(buf), "TX%zu", (i + 1) % 100);
		cell(d, g, 4 + i, true, 8, y, buf);
	}
	cell(d, g, 4 + g->n_tx, true, 8, y, "GK");
	cell(d, g, 5 + g->n_tx, true, 8, y, "CK");
	cell(d, g, 6 + g->n_tx, true, 8, y, "TBm");
	d->y -= HEAD_H;
}

static void student_row(struct ks_rd *d, const struct grid *g, size_t idx,
			const struct ks_rec_student *st)
{
	char buf[24], date[11];
	double y = d->y - ROW_H + 4.5;
	size_t i;

	row(d, g, ROW_H, -1);
	snprintf(buf, sizeof(buf), "%zu", idx + 1);
	cell(d, g, 0, false, 8.5, y, buf);
	cell(d, g, 1, false, 8.5, y, st->code);
	cell(d, g, 2, false, 9, y, st->name);
	ks_record_date_vn(st->birth_date, date);
	cell(d, g, 3, false, 8.5, y, date);
	for (i = 0; i < st->n_regular; i++) {
		ks_mark_format(&st->regular[i], buf);
		cell(d, g, 4 + i, false, 9, y, buf);
	}
	ks_mark_format(&st->midterm, buf);
	cell(d, g, 4 + g->n_tx, false, 9, y, buf);
	ks_mark_format(&st->final, buf);
	cell(d, g, 5 + g->n_tx, false, 9, y, buf);
	ks_mark_format(&st->average, buf);
	cell(d, g, 6 + g->n_tx, true, 9, y, buf);
	d->y -= ROW_H;
}

static void title(struct ks_rd *d, const struct ks_record *r)
{
	char buf[KS_REC_MAX_NAME * 3 + 64];
	double cx = KS_RD_LEFT + (KS_RD_WIDTH - QR_SIZE) / 2;

	ks_rd_text(d, true, 18, cx, KS_RD_TOP - 62, KS_RD_CENTER, KS_RD_WIDTH - QR_SIZE - 10,
		   "SỔ ĐIỂM");
	snprintf(buf, sizeof(buf), "Môn %s  ·  Học kỳ %s  ·  Năm học %s  ·  Lớp %s", r->subject,
		 r->term == 1 ? "I" : "II", r->school_year, r->class_name);
	ks_rd_text(d, false, 10, cx, KS_RD_TOP - 77, KS_RD_CENTER, KS_RD_WIDTH - QR_SIZE - 10, buf);
	if (r->homeroom_teacher[0] != '\0')
		snprintf(buf, sizeof(buf), "Giáo viên bộ môn: %s  ·  Giáo viên chủ nhiệm: %s",
			 r->teacher, r->homeroom_teacher);
	else
		snprintf(buf, sizeof(buf), "Giáo viên bộ môn: %s", r->teacher);
	ks_rd_text(d, false, 9, cx, KS_RD_TOP - 90, KS_RD_CENTER, KS_RD_WIDTH - QR_SIZE - 10, buf);
}

static int next_page(struct ks_rd *d, const struct ks_record *r, const struct grid *g)
{
	char buf[KS_REC_MAX_NAME * 2 + 64];

	if (ks_rd_page(d) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "Sổ điểm môn %s — lớp %s — học kỳ %s, năm học %s (tiếp theo)",
		 r->subject, r->class_name, r->term == 1 ? "I" : "II", r->school_year);
	ks_rd_text(d, false, 8, KS_RD_LEFT, d->y - 6, KS_RD_LEFT_AL, KS_RD_WIDTH, buf);
	d->y -= 16;
	if (g != NULL)
		header_row(d, g);
	return 0;
}

int ks_render_gradebook(const struct ks_record *r, const struct ks_render_opts *o,
			struct ks_buf *pdf)
{
	char id[KS_REC_ID_LEN + 1], buf[160];
	struct ks_rd_signer signers[KS_RD_MAX_FIELDS];
	struct ks_rd d;
	struct grid g;
	size_t i, lines;
	double tail;
	int rc = -1;
	static const char legend[] =
	    "TX: đánh giá thường xuyên; GK: giữa kỳ; CK: cuối kỳ; TBm: điểm trung bình môn học kỳ "
	    "= (tổng TX + 2 × GK + 3 × CK) / (số TX + 5), hoặc Đ (Đạt) / CĐ (Chưa đạt) với môn "
	    "đánh giá bằng nhận xét (Thông tư 22/2021/TT-BGDĐT).";

	memset(&d, 0, sizeof(d));
	if (r->kind != KS_REC_GRADEBOOK)
		KS_BAIL(KS_ERR_ARG, "not a gradebook record");
	KS_GUARD(ks_record_doc_id(r, 0, id));
	KS_GUARD(ks_rd_open(&d, o, id));
	KS_GUARD(ks_rd_page(&d));
	make_grid(&g, r->n_regular_max);
	ks_rd_school_head(&d, &r->school, KS_RD_LEFT, KS_RD_TOP - 8, 250);
	snprintf(buf, sizeof(buf), "Mã trường: %s", r->school.code);
	ks_rd_text(&d, false, 7.5, KS_RD_LEFT + 125, KS_RD_TOP - 38, KS_RD_CENTER, 250, buf);
	KS_GUARD(ks_rd_qr(&d, KS_RD_RIGHT - QR_SIZE, KS_RD_TOP - QR_SIZE + 6, QR_SIZE));
	ks_rd_text(&d, false, 6.5, KS_RD_RIGHT - QR_SIZE / 2, KS_RD_TOP - QR_SIZE + 2, KS_RD_CENTER,
		   QR_SIZE, "Quét mã để xác minh");
	title(&d, r);
	d.y = KS_RD_TOP - QR_SIZE - 22;
	header_row(&d, &g);
	lines = ks_rd_wrap(&d, false, 7.5, 0, 0, KS_RD_WIDTH, 9.5, legend, false);
	tail = 30 + (double)lines * 9.5 + KS_RD_SIGN_BLOCK_H;
	for (i = 0; i < r->n_students; i++) {
		size_t left = r->n_students - i;

		/* The last rows go with the signatures when these do not fit
		 * after them: a page of signatures alone vouches for nothing. */
		if (!ks_rd_fits(&d, ROW_H) ||
		    (left <= TAIL_ROWS && !ks_rd_fits(&d, (double)left * ROW_H + tail)))
			KS_GUARD(next_page(&d, r, &g));
		student_row(&d, &g, i, &r->students[i]);
	}
	if (!ks_rd_fits(&d, 30 + (double)lines * 9.5))
		KS_GUARD(next_page(&d, r, NULL));
	snprintf(buf, sizeof(buf), "Sĩ số: %zu học sinh.", r->n_students);
	ks_rd_text(&d, false, 9, KS_RD_LEFT, d.y - 14, KS_RD_LEFT_AL, 0, buf);
	ks_rd_wrap(&d, false, 7.5, KS_RD_LEFT, d.y - 26, KS_RD_WIDTH, 9.5, legend, true);
	d.y -= 30 + (double)lines * 9.5;
	signers[0] = (struct ks_rd_signer){ KS_RENDER_FIELD_SUBJECT, "GIÁO VIÊN BỘ MÔN",
					    "(Ký số, ghi rõ họ tên)", r->teacher,
					    "Chữ ký số của giáo viên bộ môn" };
	signers[1] = (struct ks_rd_signer){ KS_RENDER_FIELD_PRINCIPAL, "HIỆU TRƯỞNG",
					    "(Ký số, ghi rõ họ tên)", r->principal,
					    "Chữ ký số của hiệu trưởng" };
	signers[2] = (struct ks_rd_signer){ KS_RENDER_FIELD_SEAL, "XÁC NHẬN CỦA NHÀ TRƯỜNG",
					    "(Chữ ký số của cơ quan, tổ chức)", r->school.name,
					    "Chữ ký số của nhà trường (con dấu)" };
	if (!ks_rd_fits(&d, KS_RD_SIGN_BLOCK_H))
		KS_GUARD(next_page(&d, r, NULL));
	KS_GUARD(ks_rd_sign_block(&d, r->place, r->date, signers));
	snprintf(d.meta.title, sizeof(d.meta.title), "Sổ điểm môn %s - lớp %s - học kỳ %s - %s",
		 r->subject, r->class_name, r->term == 1 ? "I" : "II", r->school_year);
	snprintf(d.meta.author, sizeof(d.meta.author), "%s", r->school.name);
	snprintf(d.meta.subject, sizeof(d.meta.subject), "Sổ điểm môn %s, lớp %s, %zu học sinh",
		 r->subject, r->class_name, r->n_students);
	snprintf(d.meta.keywords, sizeof(d.meta.keywords), "%s", id);
	memcpy(d.meta.date, r->date, sizeof(d.meta.date));
	KS_GUARD(ks_rd_finish(&d, pdf));
	rc = 0;
out:
	ks_rd_cleanup(&d);
	return rc;
}
