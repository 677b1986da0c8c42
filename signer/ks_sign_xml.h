/* ks_sign_xml: sign an XML record (XAdES) from options as the CLI and the
 * service receive them: check the options and the signing policy, read
 * the input, hand over to formats/xml (ks_xades_sign), write the output
 * atomically (a failure leaves no file). */
#ifndef KS_SIGN_XML_H
#define KS_SIGN_XML_H

#include <stdbool.h>
#include <time.h>

#include "formats/xml/ks_xades.h"
#include "ks_err.h"
#include "ks_key.h"
#include "signer/ks_ltv.h"
#include "signer/ks_tsa_client.h"

/* The content of a detached signature, read whole. */
#define KS_SIGN_XML_CONTENT_MAX ((size_t)512 << 20)
#define KS_SIGN_XML_POLICY_MAX ((size_t)16 << 20)

struct ks_sign_xml_opts {
	const char *mode;                /* "enveloped" (default), "enveloping", "detached" */
	bool parallel;                   /* leave room for parallel signatures */
	bool counter_sign;               /* counter-sign a signature of the input */
	const char *counter_of;          /* its Id; NULL: the last top-level signature */
	const char *role;                /* claimed role (SignerRoleV2), UTF-8 */
	const char *policy_id;           /* SignaturePolicyIdentifier (URI or urn:oid:...) */
	const char *policy_file;         /* the policy document, hashed into SigPolicyHash */
	const char *level;               /* "B-B" (default), "B-T", "B-LT", "B-LTA" */
	const struct ks_tsa_client *tsa; /* B-T and above */
	const struct ks_ltv_opts *ltv;   /* B-LT, B-LTA: trust anchors, revocation */
	const char *md;                  /* "sha256" (default), "sha384", "sha512" */
	bool rsa_pss;
	time_t signing_time; /* 0: now */
	/* The signature's Id (an XML NCName); NULL: a random one.  Two-phase
	 * signing fixes it, with signing_time, so both phases agree. */
	const char *sig_id;
};

void ks_sign_xml_opts_init(struct ks_sign_xml_opts *o);

/* "enveloped" | "enveloping" | "detached". */
KS_WUR int ks_sign_xml_parse_mode(const char *s, enum ks_xades_mode *mode);

/* Sign `in_path` into `out_path` (for a detached signature, out_path is
 * the signature document and in_path the content it names). */
KS_WUR int ks_sign_xml(struct ks_key *key, const char *in_path, const char *out_path,
		       const struct ks_sign_xml_opts *o);
/* The same over a record in memory (`name`, may be NULL, is what a
 * detached signature's Reference names); the result is appended to out. */
KS_WUR int ks_sign_xml_mem(struct ks_key *key, const uint8_t *in, size_t len, const char *name,
			   struct ks_buf *out, const struct ks_sign_xml_opts *o);

#endif
