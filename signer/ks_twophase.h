/* ks_twophase: two-phase signing, for a key that is somewhere else (a
 * principal's token on another computer, reached through the service's
 * /v1/sign/prepare and /v1/sign/complete).
 *
 * Phase 1 builds everything but the signature value with an external key
 * (core/ks_extkey.c) holding the signer's certificate, the signing policy
 * applied to that certificate as for any signature, and keeps what phase 2
 * needs in a struct ks_prepared: the digest the key holder signs, the
 * signing time, and per format
 *   - PDF: the prepared document itself, /Contents reserved and filled
 *     with a placeholder, with the ByteRange digest and where /Contents
 *     lies; phase 2 builds the CMS over that digest and writes it in;
 *   - XML: the record as received, the signature Id and the signing time,
 *     with which phase 2 builds the same SignedInfo again;
 *   - CMS (any file): the document's digest; phase 2 builds the same
 *     signed attributes again.
 * Phase 2 takes the signature value, checks it against the certificate
 * and the prepared digest before anything is built (KS_ERR_ARG when it
 * does not verify), and produces the signed document; B-T asks the TSA at
 * that point.  The caller keeps a struct ks_prepared between the phases
 * (the service stores it) and makes sure it is used once. */
#ifndef KS_TWOPHASE_H
#define KS_TWOPHASE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"
#include "signer/ks_job.h"

/* Bytes of a generated XML signature Id ("S" and 24 hex digits). */
#define KS_TWOPHASE_SIG_ID_MAX 32
/* Largest prepared document kept (the service's body limit is lower). */
#define KS_TWOPHASE_DOC_MAX ((size_t)256 << 20)

struct ks_prepared {
	enum ks_format format;
	enum ks_md md;
	enum ks_sig_scheme scheme;
	struct ks_buf tbs; /* the digest the key holder signs */
	time_t signing_time;
	bool timestamped;                    /* B-T: the TSA is asked in phase 2 */
	char sig_id[KS_TWOPHASE_SIG_ID_MAX]; /* XML: the signature's Id */
	struct ks_buf doc;                   /* PDF: prepared document; XML: the record */
	struct ks_buf digest;                /* PDF: ByteRange digest; CMS: document digest */
	uint64_t contents_off, contents_len; /* PDF: the hex digits of /Contents */
};

void ks_prepared_init(struct ks_prepared *p);
void ks_prepared_cleanup(struct ks_prepared *p);

/* Phase 1.  `j` gives the document in memory (in_data, in_len; `in` is
 * its name), the format (AUTO: from the bytes), the options of the sign
 * job, the TSA for B-T, and `key`: an external key with the signer's
 * certificate and chain.  On success p holds the state of phase 2 and
 * p->tbs the digest to sign (p->md, p->scheme). */
KS_WUR int ks_twophase_prepare(const struct ks_sign_job *j, struct ks_prepared *p);

/* Phase 2.  `j` carries the options of phase 1 (level, md, PSS, the TSA,
 * the PDF and XML options; its document is taken from p) and `key`: an
 * external key with the same certificate and chain, without a signature
 * yet.  The signed document is appended to `out`.  KS_ERR_ARG when `sig`
 * does not verify with the certificate over p->tbs. */
KS_WUR int ks_twophase_complete(const struct ks_sign_job *j, const struct ks_prepared *p,
				const uint8_t *sig, size_t siglen, struct ks_buf *out,
				struct ks_sign_outcome *res);

#endif
