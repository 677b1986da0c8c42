/* ks_verify_docdata: what a document carries for validation (PAdES DSS
 * certificates, OCSP responses and CRLs; CAdES certificate-values and
 * revocation-values), parsed once into the engine's document input.  An
 * item that does not parse is left out (the engine then looks
 * elsewhere); only memory errors fail. */
#ifndef KS_VERIFY_DOCDATA_H
#define KS_VERIFY_DOCDATA_H

#include <openssl/x509.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "signer/validate/ks_engine.h"

struct ks_verify_docdata {
	STACK_OF(X509) * certs;
	struct ks_rev_data *rev;
	struct ks_engine_doc doc; /* views of the two above */
};

KS_WUR int ks_verify_docdata_init(struct ks_verify_docdata *d);
void ks_verify_docdata_cleanup(struct ks_verify_docdata *d);

/* Add a DER certificate, a whole OCSPResponse, a BasicOCSPResponse, a
 * CRL. */
KS_WUR int ks_verify_docdata_cert(struct ks_verify_docdata *d, const struct ks_buf *der);
KS_WUR int ks_verify_docdata_ocsp(struct ks_verify_docdata *d, const struct ks_buf *der,
				  bool basic);
KS_WUR int ks_verify_docdata_crl(struct ks_verify_docdata *d, const struct ks_buf *der);

#endif
