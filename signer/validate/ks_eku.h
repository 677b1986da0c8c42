/* ks_eku: may a certificate sign documents, as far as its extended key
 * usage says (RFC 5280 4.2.1.12)?  One decision, used before signing and
 * when a signature is verified: a TSA's or an OCSP responder's
 * certificate never signs a document nor passes as a document signer.
 *
 *   no extendedKeyUsage extension        allowed (no restriction stated)
 *   timeStamping or OCSPSigning present  refused, whatever else it lists:
 *                                        such a key belongs to a service
 *   otherwise allowed when one of these is present:
 *     emailProtection (1.3.6.1.5.5.7.3.4)   S/MIME and document signing
 *                                           certificates of public CAs
 *     id-kp-documentSigning (1.3.6.1.5.5.7.3.36, RFC 9336)
 *     Adobe Authentic Documents Trust (1.2.840.113583.1.1.5)
 *     Microsoft Document Signing (1.3.6.1.4.1.311.10.3.12)
 *     anyExtendedKeyUsage (2.5.29.37.0)
 *     clientAuth (1.3.6.1.5.5.7.3.2)        Vietnamese CAs' personal and
 *                                           organisation certificates for
 *                                           tokens often list only it with
 *                                           emailProtection or alone
 *   and refused otherwise (serverAuth, codeSigning ... only). */
#ifndef KS_EKU_H
#define KS_EKU_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#define KS_EKU_WHY_LEN 200

/* true: the certificate may sign documents; `why` (may be NULL) says on
 * what ground ("no extendedKeyUsage", "emailProtection", ...) or, when
 * false, why not, in English. */
bool ks_eku_document_signer(X509 *cert, char *why, size_t n);

#endif
