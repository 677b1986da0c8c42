/* ks_verify_ts: the facts of the signature timestamps of a CMS SignerInfo
 * (ETSI EN 319 122-1 5.3, id-aa-signatureTimeStampToken), for the
 * validation engine: each token parsed, verified itself (its signature,
 * the TSA certificate bound, the timeStamping extended key usage) and
 * matched against the digest of the signature value it covers.  Whether
 * its TSA is trusted, and what time it proves, is the engine's to say.
 * Shared by the CMS and PDF adapters. */
#ifndef KS_VERIFY_TS_H
#define KS_VERIFY_TS_H

#include "formats/cms/ks_cms.h"
#include "formats/tsp/ks_tsp.h"
#include "ks_err.h"
#include "signer/validate/ks_engine.h"

/* The tokens behind the facts (kept alive while the engine runs). */
struct ks_verify_ts_set {
	struct ks_tsp_token *tok[KS_ENGINE_TS_MAX];
	size_t n;
};

void ks_verify_ts_set_cleanup(struct ks_verify_ts_set *s);

/* Fill e->ts from SignerInfo `index` of cms (at most KS_ENGINE_TS_MAX
 * tokens; more are reported as not used).  The tokens go to `keep`. */
KS_WUR int ks_verify_ts_facts(const struct ks_cms *cms, size_t index, struct ks_engine_sig *e,
			      struct ks_verify_ts_set *keep);

/* Add the archive-time-stamp-v3 attributes of SignerInfo `index`
 * (EN 319 122-1 5.5.3) to e->ts, each checked against the digest its
 * ats-hash-index-v3 names: the signed content (`content`, for a detached
 * signature; NULL: the encapsulated content), the SignerInfo and the
 * hash index stored in the token. */
KS_WUR int ks_verify_ts_archive(const struct ks_cms *cms, size_t index, const uint8_t *content,
				size_t clen, struct ks_engine_sig *e,
				struct ks_verify_ts_set *keep);

#endif
