/* ks_render_transcript: a student's học bạ on A4 — the school and the
 * national heading, the title, the student's identity beside the QR code,
 * one section per school year (subjects with semester 1, semester 2 and
 * year marks; conduct, learning, absences, the year's result; the
 * homeroom teacher's comment), then the signature block. */
#include <stdio.h>
#include <string.h>

#include "formats/render/ks_render_int.h"

/* Table geometry (points). */
#define ROW_H 13.2
#define HEAD_H 16.0
#define BAND_H 17.0
#define COL_NO 30.0
#define COL_MARK 90.0
#define COL_SUBJECT (KS_RD_WIDTH - COL_NO - 3 * COL_MARK)
#define COMMENT_SIZE 9.0
#define COMMENT_LEAD 11.5
#define QR_SIZE 92.0

static double col_x(int i)
{
	/* 0: STT, 1: subject, 2-4: HK I, HK II, year; 5: right edge */
	static const double w[] = { COL_NO, COL_SUBJECT, COL_MARK, COL_MARK, COL_MARK };
	double x = KS_RD_LEFT;
	int k;

	for (k = 0; k < i; k++)
		x += w[k];
	return x;
}

static void cell(struct ks_rd *d, bool bold, double size, int col, double y, const char *s)
{
	double x0 = col_x(col), x1 = col_x(col + 1);

	if (col == 1)
		ks_rd_text(d, bold, size, x0 + 5, y, KS_RD_LEFT_AL, x1 - x0 - 8, s);
	else
		ks_rd_text(d, bold, size, (x0 + x1) / 2, y, KS_RD_CENTER, x1 - x0 - 4, s);
}

/* A table row with its grid: top edge at d->y. */
static void row_grid(struct ks_rd *d, double h, double fill, bool span_label)
{
	int i;

	ks_rd_rect(d, KS_RD_LEFT, d->y - h, KS_RD_WIDTH, h, 0.5, fill, false);
	for (i = span_label ? 2 : 1; i < 5; i++)
		ks_rd_line(d, col_x(i), d->y, col_x(i), d->y - h, 0.5);
}

static void heading(struct ks_rd *d)
{
	const double colw = 250;
	double y = KS_RD_TOP - 8, cx = KS_RD_RIGHT - colw / 2, w;

	/* Decree 30/2020/NĐ-CP: the national name and motto at top right. */
	ks_rd_text(d, true, 9, cx, y, KS_RD_CENTER, colw, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
	ks_rd_text(d, true, 9.5, cx, y - 12, KS_RD_CENTER, colw, "Độc lập - Tự do - Hạnh phúc");
	w = ks_rd_width(d, true, 9.5, "Độc lập - Tự do - Hạnh phúc");
	ks_rd_line(d, cx - w / 2, y - 15.5, cx + w / 2, y - 15.5, 0.6);
}

static void identity(struct ks_rd *d, const struct ks_record *r, const struct ks_rec_student *st)
{
	char buf[KS_REC_MAX_TEXT + 64], date[11];
	const double top = d->y, lx = KS_RD_LEFT + 8, vx = KS_RD_LEFT + 150;
	const double tw = KS_RD_WIDTH - QR_SIZE - 24;
	double y = top - 18;

	ks_rd_rect(d, KS_RD_LEFT, top - 118, KS_RD_WIDTH, 118, 0.6, -1, false);
	ks_rd_text(d, false, 9.5, lx, y, KS_RD_LEFT_AL, 0, "Họ và tên học sinh:");
	ks_rd_text(d, true, 11.5, vx, y, KS_RD_LEFT_AL, tw - 150, st->name);
	y -= 17;
	ks_record_date_vn(st->birth_date, date);
	ks_rd_text(d, false, 9.5, lx, y, KS_RD_LEFT_AL, 0, "Ngày sinh:");
	ks_rd_text(d, false, 9.5, vx, y, KS_RD_LEFT_AL, 0, date);
	snprintf(buf, sizeof(buf), "Giới tính: %s", st->gender);
	ks_rd_text(d, false, 9.5, vx + 110, y, KS_RD_LEFT_AL, tw - 260, buf);
	y -= 15;
	ks_rd_text(d, false, 9.5, lx, y, KS_RD_LEFT_AL, 0, "Nơi sinh:");
	ks_rd_text(d, false, 9.5, vx, y, KS_RD_LEFT_AL, 110, st->birth_place);
	if (st->ethnicity[0] != '\0') {
		snprintf(buf, sizeof(buf), "Dân tộc: %s", st->ethnicity);
		ks_rd_text(d, false, 9.5, vx + 110, y, KS_RD_LEFT_AL, tw - 260, buf);
	}
	y -= 15;
	ks_rd_text(d, false, 9.5, lx, y, KS_RD_LEFT_AL, 0, "Số định danh cá nhân:");
	ks_rd_text(d, true, 9.5, vx, y, KS_RD_LEFT_AL, 0, st->personal_id);
	y -= 15;
	ks_rd_text(d, false, 9.5, lx, y, KS_RD_LEFT_AL, 0, "Mã học sinh:");
	ks_rd_text(d, false, 9.5, vx, y, KS_RD_LEFT_AL, 0, st->code);
	y -= 15;
	ks_rd_text(d, false, 9.5, lx, y, KS_RD_LEFT_AL, 0, "Trường:");
	snprintf(buf, sizeof(buf), "%s (mã %s)", r->school.name, r->school.code);
	ks_rd_text(d, false, 9.5, vx, y, KS_RD_LEFT_AL, tw - 150, buf);
	if (r->school.address[0] != '\0') {
		y -= 13;
		ks_rd_text(d, false, 8, vx, y, KS_RD_LEFT_AL, tw - 150, r->school.address);
	}
	ks_rd_text(d, false, 6.5, KS_RD_RIGHT - 8 - QR_SIZE / 2, top - 112, KS_RD_CENTER, QR_SIZE,
		   "Quét mã để xác minh");
	d->y = top - 118 - 14;
}

static double comment_height(struct ks_rd *d, const struct ks_rec_year *y)
{
	size_t lines = ks_rd_wrap(d, false, COMMENT_SIZE, 0, 0, KS_RD_WIDTH - 16, COMMENT_LEAD,
				  y->comment[0] != '\0' ? y->comment : "-", false);

	return 28 + (double)lines * COMMENT_LEAD;
}

static double year_height(struct ks_rd *d, const struct ks_rec_year *y)
{
	return BAND_H + HEAD_H + (double)(y->n_subjects + 4) * ROW_H + comment_height(d, y);
}

static void result_row(struct ks_rd *d, const char *label, const struct ks_rec_grade *g)
{
	row_grid(d, ROW_H, -1, true);
	cell(d, true, 8.5, 1, d->y - ROW_H + 3.8, label);
	cell(d, false, 9, 2, d->y - ROW_H + 3.8, g->hk1);
	cell(d, false, 9, 3, d->y - ROW_H + 3.8, g->hk2);
	cell(d, false, 9, 4, d->y - ROW_H + 3.8, g->year);
	d->y -= ROW_H;
}

/* A label across the first two columns and a value across the marks. */
static void wide_row(struct ks_rd *d, const char *label, const char *value)
{
	ks_rd_rect(d, KS_RD_LEFT, d->y - ROW_H, KS_RD_WIDTH, ROW_H, 0.5, -1, false);
	ks_rd_line(d, col_x(2), d->y, col_x(2), d->y - ROW_H, 0.5);
	ks_rd_text(d, true, 8.5, col_x(1) + 5, d->y - ROW_H + 3.8, KS_RD_LEFT_AL,
		   col_x(2) - col_x(1), label);
	ks_rd_text(d, false, 9, (col_x(2) + col_x(5)) / 2, d->y - ROW_H + 3.8, KS_RD_CENTER,
		   col_x(5) - col_x(2) - 6, value);
	d->y -= ROW_H;
}

static void year_section(struct ks_rd *d, const struct ks_rec_year *y)
{
	char buf[KS_REC_MAX_NAME + 64], m1[8], m2[8], m3[8];
	size_t i;

	ks_rd_rect(d, KS_RD_LEFT, d->y - BAND_H, KS_RD_WIDTH, BAND_H, 0, 0.88, false);
	snprintf(buf, sizeof(buf), "NĂM HỌC %s  —  LỚP %s", y->school_year, y->class_name);
	ks_rd_text(d, true, 10, KS_RD_LEFT + 6, d->y - 12, KS_RD_LEFT_AL, 280, buf);
	snprintf(buf, sizeof(buf), "Giáo viên chủ nhiệm: %s", y->homeroom_teacher);
	ks_rd_text(d, false, 9, KS_RD_RIGHT - 6, d->y - 12, KS_RD_RIGHT_AL, 220, buf);
	d->y -= BAND_H;
	row_grid(d, HEAD_H, 0.95, false);
	cell(d, true, 8.5, 0, d->y - 11, "STT");
	cell(d, true, 8.5, 1, d->y - 11, "Môn học / hoạt động giáo dục");
	cell(d, true, 8.5, 2, d->y - 11, "Học kỳ I");
	cell(d, true, 8.5, 3, d->y - 11, "Học kỳ II");
	cell(d, true, 8.5, 4, d->y - 11, "Cả năm");
	d->y -= HEAD_H;
	for (i = 0; i < y->n_subjects; i++) {
		const struct ks_rec_subject *s = &y->subjects[i];

		row_grid(d, ROW_H, -1, false);
		snprintf(buf, sizeof(buf), "%zu", i + 1);
		ks_mark_format(&s->hk1, m1);
		ks_mark_format(&s->hk2, m2);
		ks_mark_format(&s->year, m3);
		cell(d, false, 9, 0, d->y - ROW_H + 3.8, buf);
		cell(d, false, 9.5, 1, d->y - ROW_H + 3.8, s->name);
		cell(d, false, 9.5, 2, d->y - ROW_H + 3.8, m1);
		cell(d, false, 9.5, 3, d->y - ROW_H + 3.8, m2);
		cell(d, true, 9.5, 4, d->y - ROW_H + 3.8, m3);
		d->y -= ROW_H;
	}
	result_row(d, "Kết quả rèn luyện (hạnh kiểm)", &y->conduct);
	result_row(d, "Kết quả học tập (học lực)", &y->learning);
	if (y->absences >= 0)
		snprintf(buf, sizeof(buf), "%d", y->absences);
	else
		buf[0] = '\0';
	wide_row(d, "Số ngày nghỉ học", buf);
	wide_row(d, "Kết quả cuối năm", y->result);
	d->y -= 11;
	ks_rd_text(d, true, 9, KS_RD_LEFT + 2, d->y, KS_RD_LEFT_AL, 0,
		   "Nhận xét của giáo viên chủ nhiệm:");
	d->y -= 11.5;
	i = ks_rd_wrap(d, false, COMMENT_SIZE, KS_RD_LEFT + 10, d->y, KS_RD_WIDTH - 16,
		       COMMENT_LEAD, y->comment[0] != '\0' ? y->comment : "-", true);
	/* 11 + 11.5 + 5.5: the 28 points of comment_height. */
	d->y -= (double)i * COMMENT_LEAD + 5.5;
}

/* The running head of pages after the first. */
static int next_page(struct ks_rd *d, const struct ks_rec_student *st)
{
	char buf[KS_REC_MAX_NAME * 2 + 64];

	if (ks_rd_page(d) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "Học bạ — %s — mã học sinh %s", st->name, st->code);
	ks_rd_text(d, false, 8, KS_RD_LEFT, d->y - 6, KS_RD_LEFT_AL, KS_RD_WIDTH, buf);
	ks_rd_line(d, KS_RD_LEFT, d->y - 10, KS_RD_RIGHT, d->y - 10, 0.4);
	d->y -= 18;
	return 0;
}

int ks_render_transcript(const struct ks_record *r, size_t student, const struct ks_render_opts *o,
			 struct ks_buf *pdf)
{
	const struct ks_rec_student *st;
	const struct ks_rec_year *last;
	char id[KS_REC_ID_LEN + 1], up[KS_REC_MAX_NAME * 2 + 1];
	struct ks_rd_signer signers[KS_RD_MAX_FIELDS];
	struct ks_rd d;
	size_t i;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	if (r->kind != KS_REC_TRANSCRIPT || student >= r->n_students)
		KS_BAIL(KS_ERR_ARG, "not a transcript record, or no student %zu", student);
	st = &r->students[student];
	last = &st->years[st->n_years - 1];
	KS_GUARD(ks_record_doc_id(r, student, id));
	KS_GUARD(ks_rd_open(&d, o, id));
	KS_GUARD(ks_rd_page(&d));
	ks_rd_school_head(&d, &r->school, KS_RD_LEFT, KS_RD_TOP - 8, 250);
	heading(&d);
	ks_rd_text(&d, true, 22, KS_RD_PAGE_W / 2, KS_RD_TOP - 62, KS_RD_CENTER, 0, "HỌC BẠ");
	ks_rd_upper(r->school.level, up, sizeof(up));
	ks_rd_text(&d, false, 10.5, KS_RD_PAGE_W / 2, KS_RD_TOP - 78, KS_RD_CENTER, KS_RD_WIDTH,
		   up);
	d.y = KS_RD_TOP - 92;
	KS_GUARD(ks_rd_qr(&d, KS_RD_RIGHT - 8 - QR_SIZE, d.y - 8 - QR_SIZE + 4, QR_SIZE));
	identity(&d, r, st);
	for (i = 0; i < st->n_years; i++) {
		double h = year_height(&d, &st->years[i]);

		/* The last year goes with the signatures when they do not fit
		 * after it: a page of signatures alone vouches for nothing. */
		if (!ks_rd_fits(&d, h) ||
		    (i + 1 == st->n_years && !ks_rd_fits(&d, h + KS_RD_SIGN_BLOCK_H)))
			KS_GUARD(next_page(&d, st));
		year_section(&d, &st->years[i]);
	}
	if (!ks_rd_fits(&d, KS_RD_SIGN_BLOCK_H))
		KS_GUARD(next_page(&d, st));
	signers[0] = (struct ks_rd_signer){ KS_RENDER_FIELD_HOMEROOM, "GIÁO VIÊN CHỦ NHIỆM",
					    "(Ký số, ghi rõ họ tên)", last->homeroom_teacher,
					    "Chữ ký số của giáo viên chủ nhiệm" };
	signers[1] = (struct ks_rd_signer){ KS_RENDER_FIELD_PRINCIPAL, "HIỆU TRƯỞNG",
					    "(Ký số, ghi rõ họ tên)", r->principal,
					    "Chữ ký số của hiệu trưởng" };
	signers[2] = (struct ks_rd_signer){ KS_RENDER_FIELD_SEAL, "XÁC NHẬN CỦA NHÀ TRƯỜNG",
					    "(Chữ ký số của cơ quan, tổ chức)", r->school.name,
					    "Chữ ký số của nhà trường (con dấu)" };
	KS_GUARD(ks_rd_sign_block(&d, r->place, r->date, signers));
	snprintf(d.meta.title, sizeof(d.meta.title), "Học bạ - %s - %s", st->name,
		 last->school_year);
	snprintf(d.meta.author, sizeof(d.meta.author), "%s", r->school.name);
	snprintf(d.meta.subject, sizeof(d.meta.subject), "Học bạ số của học sinh %s, mã %s",
		 st->name, st->code);
	snprintf(d.meta.keywords, sizeof(d.meta.keywords), "%s", id);
	memcpy(d.meta.date, r->date, sizeof(d.meta.date));
	KS_GUARD(ks_rd_finish(&d, pdf));
	rc = 0;
out:
	ks_rd_cleanup(&d);
	return rc;
}
