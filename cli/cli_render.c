/* kyso render: print a transcript (học bạ) or a gradebook (sổ điểm) from
 * its JSON record (docs/records.md) to PDF, with empty signature fields
 * for `kyso sign`, and write its XML form.
 *
 * The whole record is checked before anything is written, and every
 * document of a class is rendered in memory before the first file is
 * written: bad input leaves no output at all; each file is written
 * atomically. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/render/ks_render.h"
#include "ks_io.h"
#include "cli/ks_cli.h"

enum out_format { OUT_PDF, OUT_XML, OUT_BOTH };

struct render_args {
	const char *kind, *data, *out, *out_dir, *xml, *student, *verify_url, *font_dir;
	enum out_format format;
	bool check;
};

/* One rendered document waiting to be written. */
struct doc {
	char path[PATH_MAX];
	struct ks_buf bytes;
};

static void render_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso render transcript|gradebook --data FILE.json\n"
		"                   (--out FILE | --out-dir DIR | --check) [--xml FILE.xml]\n"
		"                   [--format pdf|xml|both] [--student CODE]\n"
		"                   [--verify-url BASE] [--font-dir DIR]\n"
		"  --data        the record (docs/records.md); checked whole before any output\n"
		"  --out         one document: a transcript record with one student (or\n"
		"                --student CODE), or a gradebook\n"
		"  --out-dir     a transcript per student, DIR/<student code>.pdf (and .xml)\n"
		"  --xml         with --out: also write the XML form of the same record\n"
		"  --format      pdf (default), xml, or both (with --out-dir)\n"
		"  --check       only check the record and print its documents' identifiers\n"
		"  --verify-url  base of the verification URL in the QR code (default\n"
		"                $KYSO_VERIFY_URL, else %s); the URL is BASE/<id>\n"
		"  --font-dir    the record fonts (default $KYSO_FONT_DIR, else fonts/ beside\n"
		"                the kyso binary, else ../share/kyso/fonts from it)\n"
		"The PDF has empty signature fields in signing order: GVCN (homeroom teacher;\n"
		"GVBM, the subject teacher, in a gradebook), HieuTruong, DauTruong (the seal);\n"
		"`kyso sign` fills the first empty one, or --field NAME.\n"
		"exit status: 0 written, 3 usage, I/O error or a record that breaks the schema\n",
		KS_RENDER_DEFAULT_VERIFY_BASE);
}

/* An output must not replace the record or the other output. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (a == NULL || b == NULL)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int parse_args(int argc, char **argv, struct render_args *a)
{
	enum { O_DATA = 1, O_OUT, O_DIR, O_XML, O_FMT, O_STUDENT, O_URL, O_FONTS, O_CHECK, O_HELP };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, O_DATA },
		{ "out", required_argument, NULL, O_OUT },
		{ "out-dir", required_argument, NULL, O_DIR },
		{ "xml", required_argument, NULL, O_XML },
		{ "format", required_argument, NULL, O_FMT },
		{ "student", required_argument, NULL, O_STUDENT },
		{ "verify-url", required_argument, NULL, O_URL },
		{ "font-dir", required_argument, NULL, O_FONTS },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_DATA:
			a->data = optarg;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_DIR:
			a->out_dir = optarg;
			break;
		case O_XML:
			a->xml = optarg;
			break;
		case O_FMT:
			fmt = optarg;
			break;
		case O_STUDENT:
			a->student = optarg;
			break;
		case O_URL:
			a->verify_url = optarg;
			break;
		case O_FONTS:
			a->font_dir = optarg;
			break;
		case O_CHECK:
			a->check = true;
			break;
		case O_HELP:
			render_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return KS_SET(KS_ERR_USAGE, "say what to render: transcript or gradebook");
	a->kind = argv[optind];
	if (strcmp(a->kind, "transcript") != 0 && strcmp(a->kind, "gradebook") != 0)
		return KS_SET(KS_ERR_USAGE, "'%s': render transcript or gradebook", a->kind);
	if (a->data == NULL)
		return KS_SET(KS_ERR_USAGE, "--data is required");
	if ((a->out != NULL) + (a->out_dir != NULL) + a->check != 1)
		return KS_SET(KS_ERR_USAGE, "give one of --out, --out-dir and --check");
	if (fmt == NULL || strcmp(fmt, "pdf") == 0)
		a->format = OUT_PDF;
	else if (strcmp(fmt, "xml") == 0)
		a->format = OUT_XML;
	else if (strcmp(fmt, "both") == 0)
		a->format = OUT_BOTH;
	else
		return KS_SET(KS_ERR_USAGE, "--format must be pdf, xml or both");
	if (a->format == OUT_BOTH && a->out != NULL)
		return KS_SET(KS_ERR_USAGE, "--format both needs --out-dir (or --out and --xml)");
	if (a->xml != NULL && (a->out == NULL || a->format != OUT_PDF))
		return KS_SET(KS_ERR_USAGE, "--xml goes with --out and a PDF");
	if (a->out_dir != NULL && strcmp(a->kind, "transcript") != 0)
		return KS_SET(KS_ERR_USAGE, "--out-dir writes one transcript per student");
	if (same_file(a->data, a->out) || same_file(a->data, a->xml) || same_file(a->out, a->xml))
		return KS_SET(KS_ERR_USAGE, "--data, --out and --xml must be different files");
	return 0;
}

/* The record fonts: --font-dir, $KYSO_FONT_DIR, fonts/ beside the binary
 * (the build tree), ../share/kyso/fonts from it (make install). */
static const char *font_dir(const struct render_args *a, char *buf, size_t n)
{
	static const char *const rel[] = { "fonts", "../share/kyso/fonts" };
	char exe[PATH_MAX], probe[PATH_MAX + 64];
	const char *env = getenv("KYSO_FONT_DIR");
	ssize_t len;
	char *slash;
	size_t i;
	struct stat st;

	if (a->font_dir != NULL)
		return a->font_dir;
	if (env != NULL && env[0] != '\0')
		return env;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return "fonts";
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/%s/%s", exe, rel[i], KS_RENDER_FONT_REGULAR);
		if (stat(probe, &st) == 0) {
			snprintf(buf, n, "%s/%s", exe, rel[i]);
			return buf;
		}
	}
	snprintf(buf, n, "%s/fonts", exe);
	return buf;
}

/* Render one document (the PDF or the XML form) into the next slot of
 * docs, to be written at path (dir/name.ext with a directory). */
static int emit(const struct ks_record *r, size_t student, const struct ks_render_opts *o, bool xml,
		const char *dir, const char *name, struct doc *docs, size_t *n)
{
	struct doc *d = &docs[*n];
	int w;

	if (dir != NULL)
		w = snprintf(d->path, sizeof(d->path), "%s/%s.%s", dir, name, xml ? "xml" : "pdf");
	else
		w = snprintf(d->path, sizeof(d->path), "%s", name);
	if (w < 0 || (size_t)w >= sizeof(d->path))
		return KS_SET(KS_ERR_USAGE, "output path too long");
	ks_buf_init(&d->bytes, KS_RENDER_MAX_OUTPUT);
	(*n)++;
	if (xml)
		return ks_render_xml(r, student, o, &d->bytes);
	if (r->kind == KS_REC_TRANSCRIPT)
		return ks_render_transcript(r, student, o, &d->bytes);
	return ks_render_gradebook(r, o, &d->bytes);
}

static int find_student(const struct ks_record *r, const char *code, size_t *idx)
{
	size_t i;

	for (i = 0; i < r->n_students; i++)
		if (strcmp(r->students[i].code, code) == 0) {
			*idx = i;
			return 0;
		}
	return KS_SET(KS_ERR_ARG, "no student with code '%s' in the record", code);
}

/* Render what the arguments ask into docs (at most 2 per student). */
static int render_all(const struct render_args *a, const struct ks_record *r,
		      const struct ks_render_opts *o, struct doc *docs, size_t *n)
{
	size_t i = 0;

	if (a->out_dir != NULL) {
		for (i = 0; i < r->n_students; i++) {
			const char *code = r->students[i].code;

			if (a->format != OUT_XML &&
			    emit(r, i, o, false, a->out_dir, code, docs, n) < 0)
				return -1;
			if (a->format != OUT_PDF &&
			    emit(r, i, o, true, a->out_dir, code, docs, n) < 0)
				return -1;
		}
		return 0;
	}
	if (r->kind == KS_REC_TRANSCRIPT) {
		if (a->student != NULL) {
			if (find_student(r, a->student, &i) < 0)
				return -1;
		} else if (r->n_students != 1) {
			return KS_SET(KS_ERR_USAGE,
				      "the record holds %zu students: use --out-dir, or --student "
				      "CODE with --out",
				      r->n_students);
		}
	}
	if (emit(r, i, o, a->format == OUT_XML, NULL, a->out, docs, n) < 0)
		return -1;
	if (a->xml != NULL && emit(r, i, o, true, NULL, a->xml, docs, n) < 0)
		return -1;
	return 0;
}

static void print_ids(const struct ks_record *r, const struct ks_render_opts *o)
{
	char id[KS_REC_ID_LEN + 1], url[KS_RENDER_MAX_URL + 1];
	size_t i, n = r->kind == KS_REC_TRANSCRIPT ? r->n_students : 1;

	for (i = 0; i < n; i++) {
		if (ks_record_doc_id(r, i, id) < 0 ||
		    ks_render_verify_url(o, id, url, sizeof(url)) < 0)
			return;
		if (r->kind == KS_REC_TRANSCRIPT)
			printf("%s  %s  %s\n", id, r->students[i].code, r->students[i].name);
		else
			printf("%s  %s %s HK%d %s\n", id, r->class_name, r->subject, r->term,
			       r->school_year);
	}
}

int ks_cli_render(int argc, char **argv)
{
	struct render_args a;
	struct ks_record *rec = NULL;
	struct ks_render_opts o;
	struct ks_buf json;
	struct doc *docs = NULL;
	char fonts[PATH_MAX + 32];
	size_t n = 0, i;
	int r, status = KS_EXIT_USAGE;
	struct stat st;

	ks_buf_init(&json, KS_REC_MAX_INPUT);
	r = parse_args(argc, argv, &a);
	if (r > 0)
		return KS_EXIT_OK;
	if (r < 0) {
		ks_cli_error("render");
		render_usage(stderr);
		return KS_EXIT_USAGE;
	}
	memset(&o, 0, sizeof(o));
	o.font_dir = font_dir(&a, fonts, sizeof(fonts));
	o.verify_base = a.verify_url != NULL ? a.verify_url : getenv("KYSO_VERIFY_URL");
	if (o.verify_base != NULL && o.verify_base[0] == '\0')
		o.verify_base = NULL;
	if (ks_file_read(a.data, KS_REC_MAX_INPUT, &json) < 0 ||
	    ks_record_parse(json.data, json.len, &rec) < 0)
		goto fail;
	if ((rec->kind == KS_REC_TRANSCRIPT) != (strcmp(a.kind, "transcript") == 0)) {
		KS_SET(KS_ERR_USAGE, "%s: the record is a %s", a.data,
		       rec->kind == KS_REC_TRANSCRIPT ? "transcript" : "gradebook");
		goto fail;
	}
	if (a.check) {
		print_ids(rec, &o);
		status = KS_EXIT_OK;
		goto out;
	}
	if (a.out_dir != NULL && (stat(a.out_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		KS_SET(KS_ERR_IO, "--out-dir %s: not a directory", a.out_dir);
		goto fail;
	}
	docs = calloc(2 * rec->n_students + 2, sizeof(*docs));
	if (docs == NULL) {
		KS_SET(KS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (render_all(&a, rec, &o, docs, &n) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (ks_file_write_atomic(docs[i].path, docs[i].bytes.data, docs[i].bytes.len,
					 0644) < 0)
			goto fail;
	for (i = 0; i < n; i++)
		printf("%s (%zu bytes)\n", docs[i].path, docs[i].bytes.len);
	status = KS_EXIT_OK;
	goto out;
fail:
	ks_cli_error("render");
out:
	for (i = 0; docs != NULL && i < n; i++)
		ks_buf_cleanup(&docs[i].bytes);
	free(docs);
	ks_record_free(rec);
	ks_buf_cleanup(&json);
	return status;
}
