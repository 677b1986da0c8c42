/* Trust store: anchors and intermediates loaded from files and folders,
 * and the per-validation pool of untrusted certificates. */
#include "signer/validate/ks_trust.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_crypto.h"
#include "ks_io.h"
#include "ks_key.h"

struct ks_trust {
	X509_STORE *store;                 /* the anchors, for path building */
	STACK_OF(X509) * anchors;          /* the same, in load order */
	char *sources[KS_TRUST_CERTS_MAX]; /* where anchor i came from */
	STACK_OF(X509) * intermediates;
	struct ks_trust_note notes[KS_TRUST_NOTES_MAX];
	size_t n_notes;
};

struct ks_trust_pool {
	const struct ks_trust *t;
	STACK_OF(X509) * certs; /* the store's intermediates, then the added ones */
	size_t added;
};

static KS_PRINTF(3, 4) void note(struct ks_trust *t, enum ks_trust_note_kind kind, const char *fmt,
				 ...)
{
	va_list ap;

	if (t->n_notes >= KS_TRUST_NOTES_MAX)
		return;
	t->notes[t->n_notes].kind = kind;
	va_start(ap, fmt);
	vsnprintf(t->notes[t->n_notes].text, KS_TRUST_NOTE_LEN, fmt, ap);
	va_end(ap);
	t->n_notes++;
}

int ks_trust_new(struct ks_trust **out)
{
	struct ks_trust *t;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	t->store = X509_STORE_new();
	t->anchors = sk_X509_new_null();
	t->intermediates = sk_X509_new_null();
	/* An anchor ends a path whether or not it is self-signed (RFC 5280
	 * 6.1.1 (d)); every path built over this store inherits the flag. */
	if (t->store == NULL || t->anchors == NULL || t->intermediates == NULL ||
	    X509_STORE_set_flags(t->store, X509_V_FLAG_PARTIAL_CHAIN) != 1) {
		ks_trust_free(t);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	*out = t;
	return 0;
}

void ks_trust_free(struct ks_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->anchors, X509_free);
	sk_X509_pop_free(t->intermediates, X509_free);
	for (i = 0; i < KS_TRUST_CERTS_MAX; i++)
		free(t->sources[i]);
	free(t);
}

static void subject_text(X509 *cert, char *buf, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long len;

	buf[0] = '\0';
	if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
					    XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len > 0 && p != NULL)
			snprintf(buf, n, "%.*s", (int)(len > 4000 ? 4000 : len), p);
	}
	if (buf[0] == '\0')
		snprintf(buf, n, "(empty subject)");
	BIO_free(b);
	ERR_clear_error();
}

static bool asn1_time(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1) {
		ERR_clear_error();
		return false;
	}
	*out = timegm(&tm);
	return true;
}

int ks_trust_cert_info(X509 *cert, time_t now, struct ks_trust_cert_info *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (cert == NULL)
		return KS_SET(KS_ERR_ARG, "no certificate");
	if (now == 0)
		now = time(NULL);
	subject_text(cert, out->subject, sizeof(out->subject));
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__,
				       "SHA-256 of the certificate");
	for (i = 0; i < mdlen; i++) {
		snprintf(out->sha256 + off, sizeof(out->sha256) - off, "%s%02X", i > 0 ? ":" : "",
			 md[i]);
		off += i > 0 ? 3 : 2;
	}
	if (!asn1_time(X509_get0_notBefore(cert), &out->not_before) ||
	    !asn1_time(X509_get0_notAfter(cert), &out->not_after))
		return KS_SET(KS_ERR_CERT, "certificate of %s: unreadable validity period",
			      out->subject);
	out->valid_now = out->not_before <= now && now <= out->not_after;
	return 0;
}

/* RFC 5280 4.2.1.9 and 4.2.1.3: a CA certificate asserts cA in
 * basicConstraints, and keyCertSign when it has a keyUsage. */
static bool is_ca(X509 *cert)
{
	uint32_t flags = X509_get_extension_flags(cert);

	if ((flags & EXFLAG_INVALID) != 0 || (flags & EXFLAG_BCONS) == 0 ||
	    (flags & EXFLAG_CA) == 0)
		return false;
	if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0)
		return false;
	return true;
}

static bool in_stack(STACK_OF(X509) * sk, X509 *cert)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), cert) == 0)
			return true;
	return false;
}

static size_t total(const struct ks_trust *t)
{
	return (size_t)sk_X509_num(t->anchors) + (size_t)sk_X509_num(t->intermediates);
}

/* Add one certificate as an anchor or an intermediate.  *usable says
 * whether it is in the store now (kept, or already there); refusals and
 * duplicates are notes. */
static int add_cert(struct ks_trust *t, X509 *cert, bool anchor, const char *source, bool *usable)
{
	const char *role = anchor ? "trust anchor" : "intermediate";
	struct ks_trust_cert_info info;
	STACK_OF(X509) *sk = anchor ? t->anchors : t->intermediates;
	char *src = NULL;

	*usable = false;
	if (ks_trust_cert_info(cert, 0, &info) < 0)
		return -1;
	if (!is_ca(cert)) {
		note(t, KS_TRUST_NOTE_NOT_CA,
		     "not a CA certificate, refused as %s %s: %s (SHA-256 %s) from %s",
		     anchor ? "a" : "an", role, info.subject, info.sha256, source);
		return 0;
	}
	if (in_stack(t->anchors, cert) || in_stack(t->intermediates, cert)) {
		note(t, KS_TRUST_NOTE_DUPLICATE, "duplicate %s ignored: %s (SHA-256 %s) from %s",
		     role, info.subject, info.sha256, source);
		*usable = true;
		return 0;
	}
	if (total(t) >= KS_TRUST_CERTS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d certificates in the trust store (at %s)",
			      KS_TRUST_CERTS_MAX, source);
	if (!info.valid_now)
		note(t, KS_TRUST_NOTE_EXPIRED, "%s outside its validity period now: %s from %s",
		     role, info.subject, source);
	if (anchor) {
		src = strdup(source);
		if (src == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		if (X509_STORE_add_cert(t->store, cert) != 1) {
			free(src);
			return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__,
					       "adding the anchor %s", info.subject);
		}
	}
	if (sk_X509_push(sk, cert) <= 0) {
		free(src);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	X509_up_ref(cert);
	if (anchor)
		t->sources[sk_X509_num(sk) - 1] = src;
	*usable = true;
	return 0;
}

/* Every certificate of one file; *n counts those in the store after it. */
static int load_file(struct ks_trust *t, const char *path, bool anchor, size_t *n)
{
	STACK_OF(X509) *sk = NULL;
	uint64_t size = 0;
	bool usable;
	int fd = -1, i, rc = -1;

	KS_GUARD(ks_file_open_input(path, &fd, &size));
	close(fd);
	if (size > KS_TRUST_FILE_MAX)
		KS_BAIL(KS_ERR_LIMIT, "'%s' is %llu bytes: a certificate file is at most %zu", path,
			(unsigned long long)size, KS_TRUST_FILE_MAX);
	KS_GUARD(ks_pem_load_certs(path, &sk));
	for (i = 0; i < sk_X509_num(sk); i++) {
		KS_GUARD(add_cert(t, sk_X509_value(sk, i), anchor, path, &usable));
		if (usable)
			(*n)++;
	}
	rc = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static bool cert_name(const char *name)
{
	static const char *const ext[] = { ".pem", ".crt", ".cer", ".der" };
	size_t len = strlen(name), i;

	if (name[0] == '.' || len < 5)
		return false;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(name + len - 4, ext[i]) == 0)
			return true;
	return false;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every certificate file of a directory, in name order.  A file that
 * cannot be read as certificates is a note, not a failure: the others
 * still load, and the listing says what was skipped. */
static int load_dir(struct ks_trust *t, const char *dir, bool anchor, size_t *n)
{
	DIR *d = NULL;
	struct dirent *e;
	char **names = NULL, path[KS_IO_PATH_MAX + 1];
	size_t count = 0, seen = 0, i;
	int rc = -1;

	d = opendir(dir);
	if (d == NULL)
		KS_BAIL(KS_ERR_IO, "cannot open directory '%s': %s", dir, strerror(errno));
	names = calloc(KS_TRUST_DIR_ENTRIES_MAX, sizeof(*names));
	if (names == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	while ((e = readdir(d)) != NULL) {
		if (++seen > KS_TRUST_DIR_ENTRIES_MAX)
			KS_BAIL(KS_ERR_LIMIT, "directory '%s' has more than %d entries", dir,
				KS_TRUST_DIR_ENTRIES_MAX);
		if (!cert_name(e->d_name))
			continue;
		names[count] = strdup(e->d_name);
		if (names[count] == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		count++;
	}
	qsort(names, count, sizeof(*names), by_name);
	for (i = 0; i < count; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			KS_BAIL(KS_ERR_LIMIT, "path '%s/%s' is too long", dir, names[i]);
		if (load_file(t, path, anchor, n) < 0) {
			/* A full store stops everything; one bad file does not. */
			if (ks_err_code() == KS_ERR_NOMEM || total(t) >= KS_TRUST_CERTS_MAX)
				goto out;
			note(t, KS_TRUST_NOTE_SKIPPED, "file skipped: %s", ks_err_msg());
		}
	}
	rc = 0;
out:
	if (names != NULL)
		for (i = 0; i < count; i++)
			free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	return rc;
}

static int load_path(struct ks_trust *t, const char *path, bool anchor)
{
	struct stat st;
	size_t n = 0, before = t->n_notes;

	if (path == NULL || path[0] == '\0')
		return KS_SET(KS_ERR_ARG, "empty trust path");
	if (stat(path, &st) != 0)
		return KS_SET(KS_ERR_IO, "'%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (load_dir(t, path, anchor, &n) < 0)
			return -1;
	} else if (load_file(t, path, anchor, &n) < 0) {
		return -1;
	}
	if (n == 0 && anchor)
		return KS_SET(KS_ERR_NOT_FOUND, "no trust anchor in '%s'%s%s", path,
			      t->n_notes > before ? ": " : "",
			      t->n_notes > before   ? t->notes[t->n_notes - 1].text
			      : S_ISDIR(st.st_mode) ? " (no *.pem, *.crt, *.cer or *.der file)"
						    : "");
	return 0;
}

int ks_trust_add_anchors(struct ks_trust *t, const char *path)
{
	return load_path(t, path, true);
}

int ks_trust_add_anchor_paths(struct ks_trust *t, const char *const *paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (load_path(t, paths[i], true) < 0)
			return -1;
	return 0;
}

int ks_trust_add_anchor_cert(struct ks_trust *t, X509 *cert, const char *source)
{
	struct ks_trust_cert_info info;
	bool usable;

	if (cert == NULL)
		return KS_SET(KS_ERR_ARG, "no certificate");
	if (add_cert(t, cert, true, source != NULL ? source : "(memory)", &usable) < 0)
		return -1;
	if (!usable) {
		if (ks_trust_cert_info(cert, 0, &info) < 0)
			return -1;
		return KS_SET(KS_ERR_CERT, "%s is not a CA certificate: refused as a trust anchor",
			      info.subject);
	}
	return 0;
}

int ks_trust_add_intermediates(struct ks_trust *t, const char *path)
{
	return load_path(t, path, false);
}

size_t ks_trust_anchor_count(const struct ks_trust *t)
{
	return (size_t)sk_X509_num(t->anchors);
}

X509 *ks_trust_anchor(const struct ks_trust *t, size_t i)
{
	return i < ks_trust_anchor_count(t) ? sk_X509_value(t->anchors, (int)i) : NULL;
}

const char *ks_trust_anchor_source(const struct ks_trust *t, size_t i)
{
	return i < ks_trust_anchor_count(t) && t->sources[i] != NULL ? t->sources[i] : "";
}

size_t ks_trust_intermediate_count(const struct ks_trust *t)
{
	return (size_t)sk_X509_num(t->intermediates);
}

size_t ks_trust_note_count(const struct ks_trust *t)
{
	return t->n_notes;
}

const struct ks_trust_note *ks_trust_note(const struct ks_trust *t, size_t i)
{
	return i < t->n_notes ? &t->notes[i] : NULL;
}

/* ---- pool and paths -------------------------------------------------- */

int ks_trust_pool_new(const struct ks_trust *t, struct ks_trust_pool **out)
{
	struct ks_trust_pool *p;

	*out = NULL;
	if (t == NULL)
		return KS_SET(KS_ERR_ARG, "no trust store");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	p->t = t;
	p->certs = X509_chain_up_ref(t->intermediates);
	if (p->certs == NULL) {
		free(p);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	*out = p;
	return 0;
}

void ks_trust_pool_free(struct ks_trust_pool *p)
{
	if (p == NULL)
		return;
	sk_X509_pop_free(p->certs, X509_free);
	free(p);
}

int ks_trust_pool_add(struct ks_trust_pool *p, X509 *cert)
{
	if (cert == NULL)
		return KS_SET(KS_ERR_ARG, "no certificate");
	if (in_stack(p->certs, cert))
		return 0;
	if (p->added >= KS_TRUST_POOL_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d certificates for one validation",
			      KS_TRUST_POOL_MAX);
	if (sk_X509_push(p->certs, cert) <= 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	X509_up_ref(cert);
	p->added++;
	return 0;
}

int ks_trust_pool_add_stack(struct ks_trust_pool *p, STACK_OF(X509) * certs)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (ks_trust_pool_add(p, sk_X509_value(certs, i)) < 0)
			return -1;
	return 0;
}

int ks_trust_pool_add_der(struct ks_trust_pool *p, const unsigned char *der, size_t n)
{
	const unsigned char *q = der;
	X509 *x = NULL;
	int rc = -1;

	if (der == NULL || n == 0)
		KS_BAIL(KS_ERR_PARSE, "empty certificate");
	if (n > KS_TRUST_CERT_DER_MAX)
		KS_BAIL(KS_ERR_LIMIT, "certificate of %zu bytes (at most %zu)", n,
			KS_TRUST_CERT_DER_MAX);
	x = d2i_X509(NULL, &q, (long)n);
	if (x == NULL || q != der + n) {
		ERR_clear_error();
		KS_BAIL(KS_ERR_PARSE, "not one DER certificate (%zu bytes)", n);
	}
	rc = ks_trust_pool_add(p, x);
out:
	X509_free(x);
	return rc;
}

STACK_OF(X509) * ks_trust_pool_certs(const struct ks_trust_pool *p)
{
	return p->certs;
}

static bool issued_by(X509 *cand, X509 *cert)
{
	EVP_PKEY *key;
	bool ok;

	if (X509_check_issued(cand, cert) != X509_V_OK)
		return false;
	key = X509_get0_pubkey(cand);
	ok = key != NULL && X509_verify(cert, key) == 1;
	ERR_clear_error();
	return ok;
}

X509 *ks_trust_pool_find_issuer(const struct ks_trust_pool *p, X509 *cert)
{
	int i;

	if (p == NULL || cert == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(p->t->anchors); i++)
		if (issued_by(sk_X509_value(p->t->anchors, i), cert))
			return sk_X509_value(p->t->anchors, i);
	for (i = 0; i < sk_X509_num(p->certs); i++)
		if (issued_by(sk_X509_value(p->certs, i), cert))
			return sk_X509_value(p->certs, i);
	return NULL;
}

void ks_trust_path_init(struct ks_trust_path *path)
{
	memset(path, 0, sizeof(*path));
}

void ks_trust_path_cleanup(struct ks_trust_path *path)
{
	sk_X509_pop_free(path->chain, X509_free);
	memset(path, 0, sizeof(*path));
}

int ks_trust_pool_chain(const struct ks_trust_pool *p, X509 *cert, time_t at,
			struct ks_trust_path *path)
{
	struct ks_crypto_path_req req;
	struct ks_crypto_path built;

	ks_trust_path_cleanup(path);
	if (p == NULL || cert == NULL)
		return KS_SET(KS_ERR_ARG, "no pool or certificate");
	memset(&req, 0, sizeof(req));
	req.trust = p->t->store;
	req.untrusted = p->certs;
	req.at = at;
	if (ks_crypto_path_build(cert, &req, &built) < 0)
		return -1;
	if (built.chain != NULL) {
		path->ok = true;
		path->chain = built.chain;
		built.chain = NULL;
	} else {
		path->error = built.err;
		path->error_depth = built.depth;
		snprintf(path->detail, sizeof(path->detail), "certificate path: %s (depth %d)",
			 ks_crypto_path_error(&built), built.depth);
	}
	ks_crypto_path_cleanup(&built);
	return 0;
}

enum ks_subindication ks_trust_path_sub(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		return KS_SUB_NO_CERTIFICATE_CHAIN_FOUND;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return KS_SUB_OUT_OF_BOUNDS_NO_POE;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
	case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
		return KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE;
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_INVALID_EXTENSION:
	case X509_V_ERR_INVALID_POLICY_EXTENSION:
	case X509_V_ERR_NO_EXPLICIT_POLICY:
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
		return KS_SUB_CHAIN_CONSTRAINTS_FAILURE;
	default:
		return KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE;
	}
}
