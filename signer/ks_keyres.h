/* ks_keyres: the signing key named on a command line (or in a request):
 * a token key by RFC 7512 URI (--key pkcs11:...), or a key file with its
 * certificate (--key-file, --cert, --chain).  The PIN of a token comes
 * the way ks_p11_key_open takes it (URI, env KYSO_PIN, or a prompt); the
 * password of an encrypted PEM key or PKCS#12 file from env KYSO_KEY_PASS. */
#ifndef KS_KEYRES_H
#define KS_KEYRES_H

#include "ks_err.h"
#include "ks_key.h"

struct ks_keyres {
	const char *key;      /* "pkcs11:..." or NULL */
	const char *key_file; /* PEM private key or .p12/.pfx, or NULL */
	const char *cert;     /* PEM certificate (with a PEM key file) */
	const char *chain;    /* PEM issuing CAs, optional */
};

/* Exactly one of key / key_file.  KS_ERR_USAGE for a bad combination. */
KS_WUR int ks_keyres_open(const struct ks_keyres *o, struct ks_key **out);
/* Free the key and, for a token key, the PKCS#11 state of the process. */
void ks_keyres_close(struct ks_key *key);

#endif
