/* ks_policy: what the signer certificate and algorithms must satisfy
 * before kyso signs (Circular 15/2025/TT-BKHCN on signing software:
 * check the signer certificate before signing; RSA >= 2048 bits or
 * ECDSA >= P-256; SHA-256 or stronger).
 *
 * Only signer/ decides policy (DESIGN.md, layers).  Every refusal is
 * KS_ERR_POLICY with a message that names the rule. */
#ifndef KS_POLICY_H
#define KS_POLICY_H

#include <openssl/x509.h>
#include <time.h>

#include "ks_err.h"
#include "ks_key.h"

/* The signer certificate at time `at` (0 = now):
 *  - validity: notBefore <= at <= notAfter;
 *  - keyUsage extension present, with digitalSignature or
 *    nonRepudiation (RFC 5280 4.2.1.3);
 *  - the cryptographic minimums of core/ks_crypto, which verification
 *    applies too: key RSA >= 2048 bits or EC on P-256, P-384 or P-521
 *    (named curves only); the certificate's own signature made with
 *    SHA-256 or stronger (also the MGF1 hash of RSASSA-PSS). */
KS_WUR int ks_policy_check_cert(X509 *cert, time_t at);
/* Digest of the signature: SHA-256 or stronger. */
KS_WUR int ks_policy_check_md(enum ks_md md);
/* Both, for a key about to sign with `md`, and the signatures of the
 * issuing CAs the key comes with (ks_crypto_path_ok). */
KS_WUR int ks_policy_check_key(const struct ks_key *key, enum ks_md md, time_t at);

#endif
