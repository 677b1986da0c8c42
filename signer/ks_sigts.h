/* ks_sigts: signature timestamps (the B-T level).
 *
 * ETSI EN 319 122-1 5.3 (CAdES) and EN 319 142-1 5.3 (PAdES): an RFC 3161
 * timestamp over the hash of the SignerInfo's signature value, carried as
 * the unsigned attribute signature-time-stamp (id-aa-signatureTimeStampToken,
 * 1.2.840.113549.1.9.16.2.14).  It proves the signature existed at the
 * TSA's time; with it, a signer certificate that expires or is revoked
 * later leaves the signature valid (EN 319 102-1).
 *
 * A TSA that is down or answers wrongly makes the call fail (ks_tsa_client
 * names each TSA tried): a caller asked for B-T never gets B-B silently. */
#ifndef KS_SIGTS_H
#define KS_SIGTS_H

#include "formats/pdf/ks_pades.h"
#include "ks_buf.h"
#include "ks_err.h"
#include "signer/ks_tsa_client.h"

/* Bytes added to the estimated size of a TSA's token when a PDF signature
 * placeholder is sized: tokens of one TSA differ in their serial, time
 * and nonce only. */
#define KS_SIGTS_SLACK ((size_t)512)

/* Timestamp the signature value of signer `index` of the CMS `der` (hash
 * `md`) through `tsa`, and append to `out` the CMS with the token added as
 * its signature-time-stamp.  *token (may be NULL) gets the checked token
 * (the caller frees it). */
KS_WUR int ks_sigts_add(const struct ks_tsa_client *tsa, enum ks_md md, const uint8_t *der,
			size_t n, size_t index, struct ks_buf *out, struct ks_tsp_token **token);

/* A PAdES CMS producer that wraps `inner` and adds the signature
 * timestamp.  Sizing adds an attribute as large as the TSA's tokens (one
 * timestamp is asked for once per process and TSA to learn it) plus
 * KS_SIGTS_SLACK.  ctx must outlive out. */
struct ks_sigts_pades {
	struct ks_pades_cms inner;
	const struct ks_tsa_client *tsa;
};
void ks_sigts_pades(struct ks_sigts_pades *ctx, const struct ks_pades_cms *inner,
		    const struct ks_tsa_client *tsa, struct ks_pades_cms *out);

/* A PAdES producer for a document timestamp (ks_pades_opts.doc_timestamp):
 * the TSA's token over the ByteRange digest is the /Contents.  Sizing uses
 * the TSA's token size as above.  ctx must outlive out. */
struct ks_docts_pades {
	const struct ks_tsa_client *tsa;
};
void ks_docts_pades(struct ks_docts_pades *ctx, const struct ks_tsa_client *tsa,
		    struct ks_pades_cms *out);

#endif
