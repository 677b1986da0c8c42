/* kyso sign: the command line of the sign job (signer/ks_job.h): parse
 * the options, open the key, hand over, print what was written.  The job
 * recognises the format, applies the signing policy and signs (CMS for any
 * file, PAdES for PDF, XAdES for XML); a refused or failed signature
 * leaves no output file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ks_cli.h"
#include "cli/ks_cli_batch.h"
#include "ks_io.h"
#include "signer/ks_job.h"
#include "signer/ks_keyres.h"
#include "signer/validate/ks_precheck.h"
#include "signer/validate/ks_trust.h"

/* --trust given at most this many times. */
#define SIGN_TRUST_MAX 16

struct sign_args {
	struct ks_keyres key;
	const char *in, *out, *format, *level, *md;
	bool signing_time, pss;
	const char *pdf_only; /* first PDF-only option given, for the message */
	const char *xml_only; /* first XML-only option given */
	const char *role;
	struct ks_tsa_client tsa; /* --tsa URL, repeatable: tried in order */
	struct ks_sign_pdf_opts pdf;
	struct ks_sign_xml_opts xml;
	/* The check before signing. */
	enum ks_rev_policy rev_policy;
	struct ks_rev_opts rev;
	const char *trust[SIGN_TRUST_MAX];
	size_t n_trust;
	struct ks_cli_batch batch; /* --batch, --out-dir, --resume, --json */
};

static void sign_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: kyso sign --in FILE --out FILE\n"
	    "       kyso sign --batch DIR|LIST --out-dir DIR [--resume] [--json]\n"
	    "                 (--key pkcs11:URI | --key-file KEY --cert CERT) [--chain PEM]\n"
	    "                 [--format cms|pdf|xml] [--level B-B|B-T|B-LT|B-LTA [--tsa URL]...]\n"
	    "                 [--md sha256|sha384|sha512]\n"
	    "                 [--pss] [--signing-time]\n"
	    "                 [--revocation require|prefer|off] [--trust PEM|DIR]...\n"
	    "                 [--offline] [--cache DIR]\n"
	    "  PDF: [--visible PAGE,X,Y,W,H] [--certify 1|2|3] [--reason TEXT] [--role TEXT]\n"
	    "       [--location TEXT] [--field NAME] [--lock all|include:F1,F2|exclude:F1,F2]\n"
	    "  XML: [--xml-mode enveloped|enveloping|detached] [--xml-parallel] [--role TEXT]\n"
	    "       [--counter-sign [--counter-of SIGNATURE-ID]]\n"
	    "       [--sig-policy URI --sig-policy-file FILE]\n"
	    "  --in       a regular file (not a device, FIFO or directory)\n"
	    "  --out      a new or regular file, replaced atomically (a symbolic link: its\n"
	    "             target); '-' writes the result to standard output once complete\n"
	    "  --visible  page (from 1) and rectangle in points, measured from the lower-left\n"
	    "             corner of the page as displayed (turned pages included); it must\n"
	    "             lie on the page and be large enough for its text\n"
	    "  --certify  DocMDP: 1 no change, 2 form filling and signing, 3 also annotations\n"
	    "  --field    sign this existing empty signature field (new ones are SignatureN)\n"
	    "  --format   default: from the --in extension (.pdf, .xml), else from the\n"
	    "             content (a PDF header; XML: '<' then text, or UTF-16), else cms\n"
	    "  --xml-mode enveloped (default): the signature goes into the record, covering\n"
	    "             all of it; enveloping: the record goes inside the signature;\n"
	    "             detached: --out is a signature document naming the --in file\n"
	    "  --xml-parallel  leave the record's other signatures out of what this one\n"
	    "             covers, so that later parallel signatures keep it valid (taken\n"
	    "             by itself when the record already has such signatures)\n"
	    "  --counter-sign  sign the signature value of a signature of --in (the last\n"
	    "             one, or the one whose Id is --counter-of)\n"
	    "  --role     PDF: the role line of the signature; XML: SignerRoleV2 claimed role\n"
	    "  --level    B-B (default); B-T adds a timestamp of a time-stamping authority\n"
	    "             (--tsa, tried in order); signing fails when none answers;\n"
	    "             B-LT also embeds the certificates and OCSP responses or CRLs of\n"
	    "             the signer and the TSA (PDF: a DSS; CAdES: certificate-values and\n"
	    "             revocation-values; XML: CertificateValues and RevocationValues),\n"
	    "             found through the --trust anchors; B-LTA then adds an archive\n"
	    "             timestamp (PDF: a document timestamp; XML: ArchiveTimeStamp);\n"
	    "             signing fails, with no output, when any of it cannot be had;\n"
	    "             an XML counter-signature is made at B-B (kyso extend raises it)\n"
	    "  --pss      RSA-PSS instead of PKCS#1 v1.5 (RSA keys)\n"
	    "  --signing-time  add the signingTime attribute (the signer's clock)\n"
	    "  before signing, the signer certificate's validity period, key usage,\n"
	    "  extended key usage and revocation (OCSP, else CRL) are checked; a revoked\n"
	    "  certificate, or one meant for a TSA or an OCSP responder, never signs\n"
	    "  --revocation  when no revocation answer can be had: prefer (default) signs\n"
	    "             and says so; require refuses; off does not ask (and says so)\n"
	    "  --trust    where the certificate's issuer is looked for besides the key's\n"
	    "             chain (root and CA certificates, repeatable); B-LT and B-LTA:\n"
	    "             the anchors every certification path must reach\n"
	    "  --offline  revocation from the cache only; --cache DIR the cache folder\n"
	    "             (default ./var/cache/revocation)\n"
	    "  --batch    sign every regular file of a folder (sorted by name; not its\n"
	    "             subfolders or names starting with '.'), or the files a list\n"
	    "             file names (one path a line; empty and '#' lines skipped), with\n"
	    "             the key opened once (one PIN); every other option applies to\n"
	    "             every file; one file's failure does not stop the others\n"
	    "  --out-dir  where the outputs go (created if missing): a PDF or XML keeps\n"
	    "             its name, any other file gets NAME.p7s, a detached XML\n"
	    "             signature NAME.sig.xml; written atomically\n"
	    "  --resume   skip a file whose output exists and is a complete signature\n"
	    "             of that very input by the same certificate, in the format,\n"
	    "             level and digest asked (docs/cli.md); others are signed again\n"
	    "  --json     the batch report as JSON on standard output\n"
	    "             progress on standard error: a line redrawn in place on a\n"
	    "             terminal, one line per file otherwise; SIGINT/SIGTERM stop\n"
	    "             after the file in progress (a second one at once)\n"
	    "each option at most once (--tsa and --trust: repeatable)\n"
	    "environment: KYSO_PIN (token PIN), KYSO_KEY_PASS (key file password)\n"
	    "exit status: 0 signed, 1 PIN or key password refused or missing, 3 usage or\n"
	    "             I/O error, refused by the signing policy, any other error\n"
	    "             --batch: 0 every file signed (or already signed), 5 some files\n"
	    "             failed (the others are signed), 6 stopped before the end\n"
	    "             (SIGINT/SIGTERM, or a PIN refused during the batch)\n");
}

static bool has_ext(const char *path, const char *ext)
{
	size_t a = strlen(path), b = strlen(ext);

	return a > b && strcasecmp(path + a - b, ext) == 0;
}

/* The format, and which options fit it. */
static int parse_format(const struct sign_args *a, enum ks_format *f)
{
	if (a->format != NULL) {
		if (ks_format_parse(a->format, f) < 0)
			return -1;
	} else {
		*f = a->xml_only != NULL ? KS_FORMAT_XML : ks_format_of(a->in);
		/* A detached signature is not the document: a .pdf or .xml name
		 * on it would pass for a signed record. */
		if (*f == KS_FORMAT_CMS && a->out != NULL &&
		    (has_ext(a->out, ".pdf") || has_ext(a->out, ".xml")))
			return KS_SET(
			    KS_ERR_USAGE,
			    "'%s' is not a PDF or XML file, so its signature is a detached "
			    "CMS file (.p7s), not a copy of the document; name the output "
			    ".p7s, or add --format cms to write it as '%s' anyway",
			    a->in, a->out);
	}
	if (*f == KS_FORMAT_CMS && (a->pdf_only != NULL || a->role != NULL))
		return KS_SET(KS_ERR_USAGE, "--%s applies to PDF and XML signatures only",
			      a->pdf_only != NULL ? a->pdf_only : "role");
	if (*f != KS_FORMAT_XML && a->xml_only != NULL)
		return KS_SET(KS_ERR_USAGE, "--%s applies to XML signatures only", a->xml_only);
	if (*f == KS_FORMAT_XML && a->pdf_only != NULL)
		return KS_SET(KS_ERR_USAGE, "--%s applies to PDF signatures only", a->pdf_only);
	if (*f == KS_FORMAT_PDF &&
	    (ks_sign_pdf_check_text("--reason", a->pdf.reason, KS_SIGN_PDF_MAX_TEXT) < 0 ||
	     ks_sign_pdf_check_text("--role", a->pdf.role, KS_SIGN_PDF_MAX_TEXT) < 0 ||
	     ks_sign_pdf_check_text("--location", a->pdf.location, KS_SIGN_PDF_MAX_TEXT) < 0 ||
	     ks_sign_pdf_check_text("--field", a->pdf.field, KS_SIGN_PDF_MAX_FIELD) < 0))
		return -1;
	return 0;
}

/* What was written, on stdout; on stderr when stdout carries the
 * signature itself (--out -). */
static FILE *status_stream(const struct sign_args *a)
{
	return strcmp(a->out, "-") == 0 ? stderr : stdout;
}

/* The output must not replace the input (the rename would destroy the
 * document being signed). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* A PAdES option (kept for ks_sign_pdf; values are checked there). */
static int set_pdf_opt(struct ks_sign_pdf_opts *p, const char *name, const char *v)
{
	char *end;
	unsigned long n;

	if (strcmp(name, "visible") == 0) {
		p->visible = v;
	} else if (strcmp(name, "certify") == 0) {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 3)
			return KS_SET(KS_ERR_USAGE, "--certify must be 1, 2 or 3");
		p->certify = (int)n;
	} else if (strcmp(name, "reason") == 0) {
		p->reason = v;
	} else if (strcmp(name, "location") == 0) {
		p->location = v;
	} else if (strcmp(name, "field") == 0) {
		p->field = v;
	} else if (strcmp(name, "lock") == 0) {
		p->lock = v;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct sign_args *a)
{
	enum {
		O_IN = 1,
		O_OUT,
		O_KEY,
		O_KEYFILE,
		O_CERT,
		O_CHAIN,
		O_FORMAT,
		O_LEVEL,
		O_MD,
		O_PSS,
		O_TIME,
		O_TSA,
		O_PDF,
		O_ROLE,
		O_XMLMODE,
		O_XMLPAR,
		O_COUNTER,
		O_COUNTER_OF,
		O_POLICY,
		O_POLICY_FILE,
		O_REVOCATION,
		O_TRUST,
		O_OFFLINE,
		O_CACHE,
		O_BATCH,
		O_OUT_DIR,
		O_RESUME,
		O_JSON,
		O_HELP
	};
	static const struct option opts[] = {
		{ "in", required_argument, NULL, O_IN },
		{ "out", required_argument, NULL, O_OUT },
		{ "key", required_argument, NULL, O_KEY },
		{ "key-file", required_argument, NULL, O_KEYFILE },
		{ "cert", required_argument, NULL, O_CERT },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "level", required_argument, NULL, O_LEVEL },
		{ "md", required_argument, NULL, O_MD },
		{ "pss", no_argument, NULL, O_PSS },
		{ "signing-time", no_argument, NULL, O_TIME },
		{ "tsa", required_argument, NULL, O_TSA },
		{ "visible", required_argument, NULL, O_PDF },
		{ "certify", required_argument, NULL, O_PDF },
		{ "reason", required_argument, NULL, O_PDF },
		{ "role", required_argument, NULL, O_ROLE },
		{ "xml-mode", required_argument, NULL, O_XMLMODE },
		{ "xml-parallel", no_argument, NULL, O_XMLPAR },
		{ "counter-sign", no_argument, NULL, O_COUNTER },
		{ "counter-of", required_argument, NULL, O_COUNTER_OF },
		{ "sig-policy", required_argument, NULL, O_POLICY },
		{ "sig-policy-file", required_argument, NULL, O_POLICY_FILE },
		{ "location", required_argument, NULL, O_PDF },
		{ "field", required_argument, NULL, O_PDF },
		{ "lock", required_argument, NULL, O_PDF },
		{ "revocation", required_argument, NULL, O_REVOCATION },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "out-dir", required_argument, NULL, O_OUT_DIR },
		{ "resume", no_argument, NULL, O_RESUME },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cli_seen seen;
	int c, idx;

	memset(a, 0, sizeof(*a));
	ks_rev_opts_init(&a->rev);
	ks_sign_xml_opts_init(&a->xml);
	ks_tsa_client_init(&a->tsa);
	memset(&seen, 0, sizeof(seen));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (c > 0 && c != '?' && c != ':' && strcmp(opts[idx].name, "trust") != 0 &&
		    ks_cli_once(&seen, opts[idx].name) < 0)
			return -1;
		switch (c) {
		case O_IN:
			a->in = optarg;
			break;
		case O_REVOCATION:
			if (ks_rev_policy_parse(optarg, &a->rev_policy) < 0)
				return -1;
			break;
		case O_TRUST:
			if (a->n_trust >= SIGN_TRUST_MAX)
				return KS_SET(KS_ERR_USAGE, "--trust at most %d times",
					      SIGN_TRUST_MAX);
			a->trust[a->n_trust++] = optarg;
			break;
		case O_OFFLINE:
			a->rev.offline = true;
			break;
		case O_CACHE:
			a->rev.cache_dir = optarg;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_KEY:
			a->key.key = optarg;
			break;
		case O_KEYFILE:
			a->key.key_file = optarg;
			break;
		case O_CERT:
			a->key.cert = optarg;
			break;
		case O_CHAIN:
			a->key.chain = optarg;
			break;
		case O_FORMAT:
			a->format = optarg;
			break;
		case O_LEVEL:
			a->level = optarg;
			break;
		case O_MD:
			a->md = optarg;
			break;
		case O_PSS:
			a->pss = true;
			break;
		case O_TIME:
			a->signing_time = true;
			break;
		case O_TSA:
			if (ks_tsa_client_add_url(&a->tsa, optarg) < 0)
				return -1;
			break;
		case O_PDF:
			if (a->pdf_only == NULL)
				a->pdf_only = opts[idx].name;
			if (set_pdf_opt(&a->pdf, opts[idx].name, optarg) < 0)
				return -1;
			break;
		case O_ROLE:
			a->role = optarg;
			a->pdf.role = optarg;
			a->xml.role = optarg;
			break;
		case O_XMLMODE:
		case O_XMLPAR:
		case O_COUNTER:
		case O_COUNTER_OF:
		case O_POLICY:
		case O_POLICY_FILE:
			if (a->xml_only == NULL)
				a->xml_only = opts[idx].name;
			if (c == O_XMLMODE)
				a->xml.mode = optarg;
			else if (c == O_XMLPAR)
				a->xml.parallel = true;
			else if (c == O_COUNTER)
				a->xml.counter_sign = true;
			else if (c == O_COUNTER_OF)
				a->xml.counter_of = optarg;
			else if (c == O_POLICY)
				a->xml.policy_id = optarg;
			else
				a->xml.policy_file = optarg;
			break;
		case O_BATCH:
			a->batch.batch = optarg;
			break;
		case O_OUT_DIR:
			a->batch.out_dir = optarg;
			break;
		case O_RESUME:
			a->batch.resume = true;
			break;
		case O_JSON:
			a->batch.json = true;
			break;
		case O_HELP:
			sign_usage(stdout);
			return 1;
		default:
			return KS_SET(KS_ERR_USAGE, "unknown or incomplete option '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return KS_SET(KS_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	if (a->batch.batch != NULL || a->batch.out_dir != NULL) {
		if (a->batch.batch == NULL || a->batch.out_dir == NULL)
			return KS_SET(KS_ERR_USAGE, "--batch and --out-dir go together");
		if (a->in != NULL || a->out != NULL)
			return KS_SET(KS_ERR_USAGE, "--batch replaces --in and --out");
		return 0;
	}
	if (a->batch.resume || a->batch.json)
		return KS_SET(KS_ERR_USAGE, "--resume and --json apply to --batch only");
	if (a->in == NULL || a->out == NULL)
		return KS_SET(KS_ERR_USAGE, "--in and --out are required");
	if (same_file(a->in, a->out))
		return KS_SET(KS_ERR_USAGE, "--out must not be the input file");
	return 0;
}

/* --batch: the format of one input, as for --in (ks_cli_batch.h). */
static int batch_format_of(const void *ctx, const char *in, enum ks_format *f)
{
	struct sign_args a = *(const struct sign_args *)ctx;

	a.in = in;
	a.out = NULL;
	return parse_format(&a, f);
}

int ks_cli_sign(int argc, char **argv)
{
	struct sign_args a;
	struct ks_sign_job job;
	struct ks_sign_outcome res;
	struct ks_trust *trust = NULL;
	struct ks_ltv_opts ltv;
	enum ks_format f = KS_FORMAT_CMS;
	int status = KS_EXIT_USAGE, r = parse_args(argc, argv, &a);

	if (r > 0)
		return KS_EXIT_OK;
	if (r < 0 || (a.batch.batch == NULL && parse_format(&a, &f) < 0)) {
		ks_cli_error("sign");
		sign_usage(stderr);
		return KS_EXIT_USAGE;
	}
	ks_sign_job_init(&job);
	job.in = a.in;
	job.out = a.out;
	job.format = f;
	job.md = a.md;
	job.rsa_pss = a.pss;
	job.level = a.level;
	job.tsa = &a.tsa;
	job.signing_time = a.signing_time;
	job.pdf = a.pdf;
	/* --field names a field of the document; new fields are SignatureN. */
	job.pdf.field_must_exist = true;
	job.xml = a.xml;
	job.rev = &a.rev;
	job.rev_policy = a.rev_policy;
	if (ks_trust_new(&trust) < 0 ||
	    (a.n_trust > 0 && ks_trust_add_anchor_paths(trust, a.trust, a.n_trust) < 0)) {
		ks_cli_error("sign");
		ks_trust_free(trust);
		return KS_EXIT_USAGE;
	}
	job.trust = trust;
	/* B-LT, B-LTA: the same anchors and revocation options. */
	ks_ltv_opts_init(&ltv);
	ltv.trust = a.n_trust > 0 ? trust : NULL;
	ltv.rev = a.rev;
	job.ltv = &ltv;
	if (a.batch.batch != NULL) {
		job.format = KS_FORMAT_AUTO;
		a.batch.format_of = batch_format_of;
		a.batch.ctx = &a;
		status = ks_cli_sign_batch(&a.batch, &a.key, &job);
		ks_trust_free(trust);
		return status;
	}
	if (ks_keyres_open(&a.key, &job.key) < 0 || ks_job_sign(&job, &res) < 0) {
		ks_cli_error(ks_err_code() == KS_ERR_POLICY ? "sign refused" : "sign");
		status = ks_cli_exit_for_error();
	} else {
		/* The check before signing, as it went (Circular 15/2025). */
		fprintf(status_stream(&a), "%s: certificate check (revocation %s): %s\n", a.in,
			ks_rev_policy_name(a.rev_policy), res.precheck);
		fprintf(status_stream(&a), "%s: %s written to %s\n", a.in, res.summary,
			strcmp(a.out, "-") == 0 ? "standard output" : a.out);
		status = KS_EXIT_OK;
	}
	ks_keyres_close(job.key);
	ks_trust_free(trust);
	return status;
}
