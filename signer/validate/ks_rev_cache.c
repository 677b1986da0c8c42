/* The revocation cache: OCSP responses and CRLs as files under one
 * folder, named by a hash of what they are about, written atomically
 * (or, with cache_ops, the same items in a store several daemons share).
 *
 * A file's modification time is set to the item's nextUpdate, so that
 * the folder is kept within its bounds from directory entries alone:
 * expired items go first, then those that expire soonest.  The cache is
 * never trusted: every item read back is checked again (signature,
 * issuer, certificate, times) as if a document carried it, and used only
 * while its nextUpdate has not passed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_io.h"
#include "ks_log.h"
#include "signer/validate/ks_rev_int.h"

/* Directory entries examined when keeping the folder within bounds. */
#define CACHE_SCAN_MAX (2 * KS_REV_CACHE_FILES_MAX)
#define CACHE_DIR_MODE 0750

/* "<prefix>-<64 hex>.der" from SHA-256 over the parts. */
static int name_of(const char *prefix, const void *const *parts, const size_t *lens, size_t n,
		   char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t k, off;
	int rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "SHA-256");
	for (k = 0; k < n; k++) {
		uint8_t len[8];
		size_t v = lens[k];

		/* Each part with its length: no two lists hash alike. */
		for (i = 0; i < 8; i++) {
			len[7 - i] = (uint8_t)(v & 0xff);
			v >>= 8;
		}
		if (EVP_DigestUpdate(ctx, len, sizeof(len)) != 1 ||
		    EVP_DigestUpdate(ctx, parts[k], lens[k]) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "SHA-256");
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "SHA-256");
	off = (size_t)snprintf(out, KS_REV_CACHE_NAME_LEN, "%s-", prefix);
	for (i = 0; i < mdlen; i++) {
		out[off++] = hex[md[i] >> 4];
		out[off++] = hex[md[i] & 15];
	}
	snprintf(out + off, KS_REV_CACHE_NAME_LEN - off, ".der");
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The issuer as its name and public key (DER). */
static int issuer_parts(X509 *issuer, unsigned char **name, int *nlen, unsigned char **key,
			int *klen)
{
	*name = NULL;
	*key = NULL;
	*nlen = i2d_X509_NAME(X509_get_subject_name(issuer), name);
	*klen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), key);
	if (*nlen <= 0 || *klen <= 0) {
		OPENSSL_free(*name);
		OPENSSL_free(*key);
		*name = *key = NULL;
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "issuer encoding");
	}
	return 0;
}

int ks_rev_cache_name_ocsp(X509 *issuer, const ASN1_INTEGER *serial, char *out)
{
	unsigned char *name = NULL, *key = NULL, *ser = NULL;
	int nlen, klen, slen, rc = -1;
	const void *parts[3];
	size_t lens[3];

	KS_GUARD(issuer_parts(issuer, &name, &nlen, &key, &klen));
	slen = i2d_ASN1_INTEGER(serial, &ser);
	if (slen <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "serial encoding");
	parts[0] = name;
	parts[1] = key;
	parts[2] = ser;
	lens[0] = (size_t)nlen;
	lens[1] = (size_t)klen;
	lens[2] = (size_t)slen;
	rc = name_of("ocsp", parts, lens, 3, out);
out:
	OPENSSL_free(name);
	OPENSSL_free(key);
	OPENSSL_free(ser);
	return rc;
}

int ks_rev_cache_name_crl(X509 *issuer, const char *url, char *out)
{
	unsigned char *name = NULL, *key = NULL;
	int nlen, klen, rc = -1;
	const void *parts[3];
	size_t lens[3];

	KS_GUARD(issuer_parts(issuer, &name, &nlen, &key, &klen));
	parts[0] = url;
	parts[1] = name;
	parts[2] = key;
	lens[0] = strlen(url);
	lens[1] = (size_t)nlen;
	lens[2] = (size_t)klen;
	rc = name_of("crl", parts, lens, 3, out);
out:
	OPENSSL_free(name);
	OPENSSL_free(key);
	return rc;
}

static int path_of(const struct ks_rev_env *e, const char *name, char *path, size_t n)
{
	if ((size_t)snprintf(path, n, "%s/%s", e->cache_dir, name) >= n)
		return KS_SET(KS_ERR_LIMIT, "cache path '%s/%s' is too long", e->cache_dir, name);
	return 0;
}

int ks_rev_cache_get(const struct ks_rev_env *e, const char *name, size_t max, struct ks_buf *out,
		     bool *found)
{
	char path[KS_IO_PATH_MAX + 1];
	struct stat st;

	*found = false;
	if (e->cache_dir == NULL)
		return 0;
	if (e->cache_ops != NULL)
		return e->cache_ops->get(e->cache_ops->arg, name, max, out, found);
	if (path_of(e, name, path, sizeof(path)) < 0)
		return -1;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return KS_SET(KS_ERR_IO, "cache item '%s': %s", path, strerror(errno));
	}
	if (ks_file_read(path, max, out) < 0)
		return -1;
	*found = true;
	return 0;
}

/* mkdir -p, each missing component with CACHE_DIR_MODE. */
static int make_dirs(const char *dir)
{
	char path[KS_IO_PATH_MAX + 1];
	size_t i, len = strlen(dir);
	struct stat st;

	if (len == 0 || len >= sizeof(path))
		return KS_SET(KS_ERR_LIMIT, "cache folder path of %zu bytes", len);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, CACHE_DIR_MODE) != 0 && errno != EEXIST)
			return KS_SET(KS_ERR_IO, "cache folder '%s': %s", path, strerror(errno));
		path[i] = i < len ? '/' : '\0';
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return KS_SET(KS_ERR_IO, "cache folder '%s' is not a directory", dir);
	return 0;
}

struct entry {
	char name[KS_REV_CACHE_NAME_LEN];
	off_t size;
	time_t expires;
};

/* One of ours: "ocsp-" or "crl-", 64 lowercase hex digits, ".der". */
static bool cache_file(const char *name)
{
	const char *h;
	size_t i;

	if (strncmp(name, "ocsp-", 5) == 0)
		h = name + 5;
	else if (strncmp(name, "crl-", 4) == 0)
		h = name + 4;
	else
		return false;
	for (i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return strcmp(h + 64, ".der") == 0;
}

static void drop_file(const struct ks_rev_env *e, const char *name)
{
	char path[KS_IO_PATH_MAX + 1];

	if (path_of(e, name, path, sizeof(path)) == 0 && unlink(path) != 0 && errno != ENOENT)
		ks_log(KS_LOG_WARN, "revocation cache: cannot remove %s: %s", path,
		       strerror(errno));
}

/* Keep the folder within cache_max bytes and KS_REV_CACHE_FILES_MAX
 * files; `keep` (just written) is the last to go. */
static int bound(const struct ks_rev_env *e, const char *keep)
{
	char path[KS_IO_PATH_MAX + 1];
	struct entry *v = NULL;
	struct dirent *de;
	struct stat st;
	size_t n = 0, seen = 0, total = 0, i, oldest;
	DIR *d = NULL;
	int rc = -1;

	d = opendir(e->cache_dir);
	if (d == NULL)
		KS_BAIL(KS_ERR_IO, "cache folder '%s': %s", e->cache_dir, strerror(errno));
	v = calloc(KS_REV_CACHE_FILES_MAX + 1, sizeof(*v));
	if (v == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	while ((de = readdir(d)) != NULL && seen++ < CACHE_SCAN_MAX) {
		if (!cache_file(de->d_name) || path_of(e, de->d_name, path, sizeof(path)) < 0 ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime < e->now && strcmp(de->d_name, keep) != 0) {
			drop_file(e, de->d_name); /* past its nextUpdate */
			continue;
		}
		if (n > KS_REV_CACHE_FILES_MAX) {
			/* Too many already: this one goes at once. */
			if (strcmp(de->d_name, keep) != 0)
				drop_file(e, de->d_name);
			continue;
		}
		memcpy(v[n].name, de->d_name, strlen(de->d_name) + 1); /* cache_file: 73 bytes */
		v[n].size = st.st_size;
		v[n].expires = st.st_mtime;
		total += (size_t)st.st_size;
		n++;
	}
	while (n > 0 && (total > e->cache_max || n > KS_REV_CACHE_FILES_MAX)) {
		oldest = n;
		for (i = 0; i < n; i++)
			if (strcmp(v[i].name, keep) != 0 &&
			    (oldest == n || v[i].expires < v[oldest].expires))
				oldest = i;
		if (oldest == n)
			break; /* only the new item is left */
		drop_file(e, v[oldest].name);
		total -= (size_t)v[oldest].size;
		v[oldest] = v[--n];
	}
	rc = 0;
out:
	free(v);
	if (d != NULL)
		closedir(d);
	return rc;
}

int ks_rev_cache_put(const struct ks_rev_env *e, const char *name, const uint8_t *der, size_t n,
		     time_t next_update)
{
	char path[KS_IO_PATH_MAX + 1];
	struct timespec ts[2];

	if (e->cache_dir == NULL)
		return 0;
	if (next_update == 0 || next_update <= e->now)
		return 0; /* never cached: nothing says how long it holds */
	if (n > e->cache_max)
		return 0; /* would not fit even alone */
	if (e->cache_ops != NULL)
		return e->cache_ops->put(e->cache_ops->arg, name, der, n, next_update);
	if (make_dirs(e->cache_dir) < 0 || path_of(e, name, path, sizeof(path)) < 0 ||
	    ks_file_write_atomic(path, der, n, 0644) < 0)
		return -1;
	ts[0].tv_sec = e->now;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = next_update;
	ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, 0) != 0) {
		/* Without its expiry time the item cannot be bounded: remove it. */
		drop_file(e, name);
		return KS_SET(KS_ERR_IO, "cache item '%s': %s", path, strerror(errno));
	}
	return bound(e, name);
}

void ks_rev_cache_drop(const struct ks_rev_env *e, const char *name)
{
	if (e->cache_ops != NULL)
		e->cache_ops->drop(e->cache_ops->arg, name);
	else if (e->cache_dir != NULL)
		drop_file(e, name);
}
