/* kyso keys: signing keys on the tokens, with their certificates: URI,
 * algorithm and size, subject (with the CCCD / MST number from the
 * subject UID), issuer and validity. */
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_codec.h"
#include "pkcs11/ks_p11.h"
#include "cli/ks_cli.h"

#define NAME_MAX_BYTES 4096

static void usage(FILE *f)
{
	fprintf(f, "usage: kyso keys [--uri pkcs11:...] [--json]\n"
		   "  lists the private keys on the tokens and their certificates.\n"
		   "  Logs in only with a PIN meant for one token: pin-value or pin-source in\n"
		   "  the URI, or KYSO_PIN when the URI selects a single token.\n"
		   "exit status: 0 listed, 1 PIN refused or missing, or no key matches --uri,\n"
		   "             3 usage or other error\n");
}

/* A distinguished name as UTF-8 text, most specific first (RFC 4514
 * order), multi-byte characters kept as they are (Vietnamese names). */
static int name_text(const X509_NAME *name, struct ks_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int rc = -1;

	ks_buf_reset(out);
	KS_ENSURE(b != NULL, KS_ERR_NOMEM, "out of memory");
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		KS_BAIL_OSSL(KS_ERR_CERT, "printing a certificate name");
	n = BIO_get_mem_data(b, &p);
	KS_ENSURE(n >= 0 && (size_t)n <= NAME_MAX_BYTES, KS_ERR_LIMIT, "certificate name too long");
	KS_GUARD(ks_buf_set(out, p, (size_t)n));
	rc = 0;
out:
	BIO_free(b);
	return rc;
}

/* Subject UID (0.9.2342.19200300.100.1.1) as UTF-8: Vietnamese
 * certificates carry "CCCD:<12 digits>" (citizen id), "CMND:" (old id
 * card), "HC:" (passport) for people and "MST:<tax code>" for
 * organisations. */
static int subject_uid(X509 *cert, struct ks_buf *out)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(name, NID_userId, -1);
	unsigned char *u = NULL;
	int n;

	ks_buf_reset(out);
	if (idx < 0)
		return 0;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (n < 0) {
		ERR_clear_error();
		return 0;
	}
	n = ks_buf_set(out, u, (size_t)n);
	OPENSSL_free(u);
	return n;
}

static int time_text(const ASN1_TIME *t, char *buf, size_t n)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return KS_SET(KS_ERR_CERT, "unreadable certificate time");
	return 0;
}

struct certview {
	struct ks_buf subject, issuer, uid, serial;
	char not_before[32], not_after[32];
	const char *id_kind; /* "CCCD", "MST", ... or NULL */
	const char *id_number;
};

static void certview_init(struct certview *cv)
{
	memset(cv, 0, sizeof(*cv));
	ks_buf_init(&cv->subject, NAME_MAX_BYTES);
	ks_buf_init(&cv->issuer, NAME_MAX_BYTES);
	ks_buf_init(&cv->uid, NAME_MAX_BYTES);
	ks_buf_init(&cv->serial, NAME_MAX_BYTES);
}

static void certview_cleanup(struct certview *cv)
{
	ks_buf_cleanup(&cv->subject);
	ks_buf_cleanup(&cv->issuer);
	ks_buf_cleanup(&cv->uid);
	ks_buf_cleanup(&cv->serial);
}

static int certview_fill(X509 *cert, struct certview *cv)
{
	static const char *kinds[] = { "CCCD", "CMND", "MST", "HC" };
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	const char *s;
	size_t i;

	if (name_text(X509_get_subject_name(cert), &cv->subject) < 0 ||
	    name_text(X509_get_issuer_name(cert), &cv->issuer) < 0 ||
	    subject_uid(cert, &cv->uid) < 0 ||
	    ks_hex_encode(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), &cv->serial) <
		0 ||
	    time_text(X509_get0_notBefore(cert), cv->not_before, sizeof(cv->not_before)) < 0 ||
	    time_text(X509_get0_notAfter(cert), cv->not_after, sizeof(cv->not_after)) < 0)
		return -1;
	if (ks_buf_cstr(&cv->subject, &s) < 0 || ks_buf_cstr(&cv->issuer, &s) < 0 ||
	    ks_buf_cstr(&cv->serial, &s) < 0 || ks_buf_cstr(&cv->uid, &s) < 0)
		return -1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t k = strlen(kinds[i]);

		if (strncmp(s, kinds[i], k) == 0 && s[k] == ':') {
			cv->id_kind = kinds[i];
			cv->id_number = s + k + 1;
		}
	}
	return 0;
}

static const char *alg_name(const struct ks_p11_key_info *k)
{
	return k->type == KS_KEY_EC ? "EC" : "RSA";
}

static int print_text(const struct ks_p11_key_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct certview cv;

		printf("%s%s\n", i > 0 ? "\n" : "", v[i].uri);
		printf("  token:       %s (serial %s)\n", v[i].token.label, v[i].token.serial);
		if (v[i].bits > 0)
			printf("  algorithm:   %s-%d\n", alg_name(&v[i]), v[i].bits);
		else
			printf("  algorithm:   %s\n", alg_name(&v[i]));
		if (v[i].inferred)
			printf("  note:        seen through its public key or certificate "
			       "(log in to see the private key)\n");
		if (v[i].cert == NULL) {
			printf("  certificate: none found\n");
			continue;
		}
		certview_init(&cv);
		if (certview_fill(v[i].cert, &cv) < 0) {
			certview_cleanup(&cv);
			return -1;
		}
		printf("  subject:     %s\n", (const char *)cv.subject.data);
		if (cv.id_kind != NULL)
			printf("  %-12s %s\n",
			       strcmp(cv.id_kind, "MST") == 0    ? "MST:"
			       : strcmp(cv.id_kind, "CCCD") == 0 ? "CCCD:"
								 : "id:",
			       cv.id_number);
		else if (cv.uid.len > 0)
			printf("  uid:         %s\n", (const char *)cv.uid.data);
		printf("  issuer:      %s\n", (const char *)cv.issuer.data);
		printf("  serial:      %s\n", (const char *)cv.serial.data);
		printf("  valid:       %s to %s\n", cv.not_before, cv.not_after);
		certview_cleanup(&cv);
	}
	if (n == 0)
		printf("no keys found\n");
	return 0;
}

/* json_string() refuses invalid UTF-8: fall back to null. */
static json_t *jstr(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

static int print_json(const struct ks_p11_key_info *v, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	struct ks_buf hex;
	size_t i;
	int rc = -1;

	ks_buf_init(&hex, 4096);
	if (root == NULL || arr == NULL || json_object_set_new(root, "keys", arr) < 0) {
		json_decref(arr);
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		json_t *o = json_object(), *c;
		const char *s;
		struct certview cv;

		KS_ENSURE(o != NULL && json_array_append_new(arr, o) == 0, KS_ERR_NOMEM,
			  "out of memory");
		ks_buf_reset(&hex);
		KS_GUARD(ks_hex_encode(v[i].id.data, v[i].id.len, &hex));
		KS_GUARD(ks_buf_cstr(&hex, &s));
		json_object_set_new(o, "uri", jstr(v[i].uri));
		json_object_set_new(o, "token", jstr(v[i].token.label));
		json_object_set_new(o, "token_serial", jstr(v[i].token.serial));
		json_object_set_new(o, "label", jstr(v[i].label));
		json_object_set_new(o, "id", jstr(s));
		json_object_set_new(o, "algorithm", jstr(alg_name(&v[i])));
		json_object_set_new(o, "bits", json_integer(v[i].bits));
		json_object_set_new(o, "inferred", json_boolean(v[i].inferred));
		if (v[i].cert == NULL) {
			json_object_set_new(o, "certificate", json_null());
			continue;
		}
		certview_init(&cv);
		if (certview_fill(v[i].cert, &cv) < 0) {
			certview_cleanup(&cv);
			goto out;
		}
		c = json_object();
		if (c == NULL || json_object_set_new(o, "certificate", c) < 0) {
			certview_cleanup(&cv);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
		json_object_set_new(c, "subject", jstr((const char *)cv.subject.data));
		json_object_set_new(c, "issuer", jstr((const char *)cv.issuer.data));
		json_object_set_new(c, "serial", jstr((const char *)cv.serial.data));
		json_object_set_new(c, "not_before", jstr(cv.not_before));
		json_object_set_new(c, "not_after", jstr(cv.not_after));
		json_object_set_new(c, "uid",
				    cv.uid.len > 0 ? jstr((const char *)cv.uid.data) : json_null());
		json_object_set_new(c, "cccd",
				    cv.id_kind != NULL && strcmp(cv.id_kind, "CCCD") == 0
					? jstr(cv.id_number)
					: json_null());
		json_object_set_new(c, "mst",
				    cv.id_kind != NULL && strcmp(cv.id_kind, "MST") == 0
					? jstr(cv.id_number)
					: json_null());
		certview_cleanup(&cv);
	}
	KS_ENSURE(json_dumpf(root, stdout, JSON_INDENT(2)) == 0, KS_ERR_IO, "writing JSON");
	printf("\n");
	rc = 0;
out:
	json_decref(root);
	ks_buf_cleanup(&hex);
	return rc;
}

int ks_cli_keys(int argc, char **argv)
{
	struct ks_p11_key_info *v = NULL;
	const char *uri = NULL;
	bool json = false;
	size_t n = 0;
	int rc;

	rc = ks_cli_list_opts("keys", argc, argv, usage, &uri, &json);
	if (rc >= 0)
		return rc;
	rc = KS_EXIT_USAGE;
	if (ks_p11_init() < 0 || ks_p11_list_keys(uri, &v, &n) < 0) {
		ks_cli_error("keys");
		rc = ks_cli_exit_for_error();
		goto out;
	}
	if (uri != NULL && n == 0) {
		fprintf(stderr, "kyso: keys: no private key on any token matches the URI\n");
		rc = KS_EXIT_FAILED;
		goto out;
	}
	if ((json ? print_json(v, n) : print_text(v, n)) < 0) {
		ks_cli_error("keys");
		goto out;
	}
	rc = KS_EXIT_OK;
out:
	ks_p11_key_info_free(v, n);
	ks_p11_shutdown();
	return rc;
}
