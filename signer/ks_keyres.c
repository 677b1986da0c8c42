/* Key resolution for the CLI and the service: a token key through
 * pkcs11/, a file key through core/. */
#include "signer/ks_keyres.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ks_buf.h"
#include "pkcs11/ks_p11.h"

#define KEY_PASS_MAX 1024

static int open_token(const struct ks_keyres *o, struct ks_key **out)
{
	if (o->cert != NULL)
		return KS_SET(KS_ERR_USAGE, "--cert goes with --key-file; a token key brings its "
					    "certificate from the token");
	if (ks_p11_init() < 0)
		return -1;
	if (ks_p11_key_open(o->key, o->chain, out) < 0) {
		ks_p11_shutdown();
		return -1;
	}
	return 0;
}

static int open_file(const struct ks_keyres *o, struct ks_key **out)
{
	const char *env = getenv("KYSO_KEY_PASS");
	struct ks_buf pass;
	const char *p = NULL;
	int rc = -1;

	ks_buf_init_secret(&pass, KEY_PASS_MAX);
	if (env != NULL) {
		KS_GUARD(ks_buf_append_str(&pass, env));
		KS_GUARD(ks_buf_cstr(&pass, &p));
	}
	KS_GUARD(ks_filekey_open(o->key_file, o->cert, o->chain, p, out));
	rc = 0;
out:
	ks_buf_cleanup(&pass);
	return rc;
}

int ks_keyres_open(const struct ks_keyres *o, struct ks_key **out)
{
	*out = NULL;
	if ((o->key == NULL) == (o->key_file == NULL))
		return KS_SET(KS_ERR_USAGE,
			      "name the signing key with --key pkcs11:URI or with --key-file FILE "
			      "--cert CERT (exactly one)");
	if (o->key != NULL) {
		if (strncasecmp(o->key, "pkcs11:", 7) != 0) /* RFC 3986 3.1 */
			return KS_SET(KS_ERR_USAGE, "--key takes a pkcs11: URI; use --key-file "
						    "for a key file");
		return open_token(o, out);
	}
	return open_file(o, out);
}

void ks_keyres_close(struct ks_key *key)
{
	bool token = key != NULL && key->ops != NULL && strcmp(key->ops->kind, "token") == 0;

	ks_key_free(key);
	if (token)
		ks_p11_shutdown();
}
