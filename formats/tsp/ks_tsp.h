/* ks_tsp: RFC 3161 timestamps (Time-Stamp Protocol), the client side and
 * the token.
 *
 * A TimeStampReq is built over a digest with a random 64-bit nonce and
 * certReq set; the TimeStampResp that comes back is parsed through
 * bounded input and checked: the status, that the token answers this
 * request (message imprint and nonce), that its CMS signature holds, and
 * that it was made with a TSA certificate fit for timestamping (the
 * critical extended key usage id-kp-timeStamping alone, RFC 3161 2.3)
 * which the token binds with ESSCertID / ESSCertIDv2 (RFC 3161 2.4.1,
 * RFC 5816).
 *
 * Trust is not decided here: the TSA certificate's path to a trust
 * anchor and its revocation are the validation engine's.  A parsed token
 * exposes the facts that needs (genTime, accuracy, policy, serial, the
 * TSA certificate and the certificates the token carries, its DER).
 *
 * The responder (a TSA) is formats/tsp/ks_tsp_server.h. */
#ifndef KS_TSP_H
#define KS_TSP_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "formats/cms/ks_cms.h"
#include "formats/cms/ks_etsi.h"
#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"

/* Limits on input (responses from the network, tokens inside documents,
 * requests reaching a TSA). */
#define KS_TSP_REQ_MAX ((size_t)16 << 10)     /* a TimeStampReq */
#define KS_TSP_RESP_MAX ((size_t)256 << 10)   /* a TimeStampResp */
#define KS_TSP_TOKEN_MAX KS_TSP_RESP_MAX      /* a TimeStampToken */
#define KS_TSP_TSTINFO_MAX ((size_t)16 << 10) /* the TSTInfo a token signs */
#define KS_TSP_NONCE_MAX 32                   /* nonce octets */
#define KS_TSP_SERIAL_MAX 32                  /* serialNumber octets (RFC 3161 2.4.2: 160 bits) */
#define KS_TSP_OID_MAX 128                    /* a policy OID as dotted text */
#define KS_TSP_TEXT_MAX 512                   /* statusString kept for messages */
#define KS_TSP_TEXTS_MAX 8                    /* statusString entries */
#define KS_TSP_EXTENSIONS_MAX 16              /* extensions of a request or TSTInfo */
#define KS_TSP_FRACTION_MAX 9                 /* digits of a fraction of a second */
#define KS_TSP_ACCURACY_SECONDS_MAX 86400     /* an accuracy worse than a day is refused */
/* What we send: a 64-bit random nonce. */
#define KS_TSP_NONCE_BYTES 8

/* Dotted OIDs. */
#define KS_TSP_OID_TSTINFO "1.2.840.113549.1.9.16.1.4" /* id-ct-TSTInfo */
/* id-aa-signatureTimeStampToken: the unsigned attribute of a B-T signature */
#define KS_TSP_OID_SIGNATURE_TIME_STAMP "1.2.840.113549.1.9.16.2.14"

/* PKIStatus (RFC 3161 2.4.2). */
enum ks_tsp_status {
	KS_TSP_GRANTED = 0,
	KS_TSP_GRANTED_WITH_MODS = 1,
	KS_TSP_REJECTION = 2,
	KS_TSP_WAITING = 3,
	KS_TSP_REVOCATION_WARNING = 4,
	KS_TSP_REVOCATION_NOTIFICATION = 5,
};

/* PKIFailureInfo bit numbers (RFC 3161 2.4.2). */
enum ks_tsp_failure {
	KS_TSP_FAIL_BAD_ALG = 0,
	KS_TSP_FAIL_BAD_REQUEST = 2,
	KS_TSP_FAIL_BAD_DATA_FORMAT = 5,
	KS_TSP_FAIL_TIME_NOT_AVAILABLE = 14,
	KS_TSP_FAIL_UNACCEPTED_POLICY = 15,
	KS_TSP_FAIL_UNACCEPTED_EXTENSION = 16,
	KS_TSP_FAIL_ADD_INFO_NOT_AVAILABLE = 17,
	KS_TSP_FAIL_SYSTEM_FAILURE = 25,
};

/* "granted", "rejection" ...; "unknown" otherwise. */
const char *ks_tsp_status_name(int status);
/* "badAlg", "badDataFormat" ...; "unknown" otherwise. */
const char *ks_tsp_failure_name(enum ks_tsp_failure f);

/* ---- request (client) ------------------------------------------------- */

struct ks_tsp_req {
	enum ks_md md;
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t dlen;
	uint8_t nonce[KS_TSP_NONCE_BYTES]; /* big-endian, no leading zero octet */
	size_t nonce_len;
	char policy[KS_TSP_OID_MAX]; /* reqPolicy, "" for none */
	struct ks_buf der;           /* the DER TimeStampReq to send */
};

/* Build a TimeStampReq (RFC 3161 2.4.1): version 1, messageImprint
 * (`md`, `digest` of n bytes), a fresh random 64-bit nonce, certReq
 * TRUE, and reqPolicy when `policy` (dotted OID) is not NULL.  The
 * caller cleans r up, failure included. */
KS_WUR int ks_tsp_req_init(struct ks_tsp_req *r, enum ks_md md, const uint8_t *digest, size_t n,
			   const char *policy);
void ks_tsp_req_cleanup(struct ks_tsp_req *r);

/* ---- token -------------------------------------------------------------- */

/* What a TSTInfo says (RFC 3161 2.4.2). */
struct ks_tsp_info {
	char policy[KS_TSP_OID_MAX]; /* dotted */
	int imprint_nid;             /* hash algorithm of messageImprint */
	uint8_t imprint[EVP_MAX_MD_SIZE];
	size_t imprint_len;
	uint8_t serial[KS_TSP_SERIAL_MAX]; /* big-endian, no leading zero octet */
	size_t serial_len;
	char serial_hex[2 * KS_TSP_SERIAL_MAX + 1];
	time_t gen_time;        /* UTC, whole seconds */
	uint32_t gen_time_us;   /* and the fraction, in microseconds (truncated) */
	char gen_time_text[32]; /* as encoded: "20250901083000.25Z" */
	bool has_accuracy;
	uint64_t accuracy_us; /* seconds, millis and micros together */
	bool ordering;
	bool has_nonce;
	bool nonce_negative;
	uint8_t nonce[KS_TSP_NONCE_MAX]; /* magnitude, big-endian */
	size_t nonce_len;
	bool has_tsa_name; /* the optional tsa GeneralName */
	int n_extensions;
};

struct ks_tsp_token; /* opaque */

/* Parse a TimeStampToken: a ContentInfo with a SignedData of exactly one
 * SignerInfo whose encapsulated content is a DER TSTInfo (version 1,
 * policy, messageImprint with a hash of its length, serial, genTime in
 * UTC with seconds, accuracy in range, no critical extension).  Nothing
 * is verified yet.  KS_ERR_LIMIT above the limits, KS_ERR_TRUNCATED /
 * KS_ERR_PARSE for bad encoding, KS_ERR_TSP for a well-formed structure
 * that is not a timestamp token.  Bytes after the ContentInfo are
 * refused. */
KS_WUR int ks_tsp_token_parse(const uint8_t *der, size_t n, struct ks_tsp_token **out);
void ks_tsp_token_free(struct ks_tsp_token *t);

const struct ks_tsp_info *ks_tsp_token_info(const struct ks_tsp_token *t);
/* The token's DER (the whole ContentInfo): what a signature-time-stamp
 * attribute or a PDF document timestamp embeds. */
const struct ks_buf *ks_tsp_token_der(const struct ks_tsp_token *t);
/* The certificates field (owned by t, never NULL, may be empty). */
STACK_OF(X509) * ks_tsp_token_certs(const struct ks_tsp_token *t);
/* The SignedData, for callers that need more (owned by t). */
const struct ks_cms *ks_tsp_token_cms(const struct ks_tsp_token *t);
/* The TSA certificate that signed, once ks_tsp_token_verify identified
 * it (owned by t); NULL before or when it was not found. */
X509 *ks_tsp_token_signer(const struct ks_tsp_token *t);

struct ks_tsp_verdict {
	enum ks_indication indication;
	enum ks_subindication sub;
	char detail[256]; /* English, "" when passed */
};

/* Verify the token itself, not its certificate path nor revocation:
 * the one SignerInfo (contentType = id-ct-TSTInfo, messageDigest of the
 * TSTInfo, signature value, algorithm strength as for any signature),
 * the TSA certificate found by sid and bound by the ESS signing-
 * certificate attribute, which RFC 3161 2.4.1 requires, and that
 * certificate's extended key usage: present once, critical, exactly
 * id-kp-timeStamping (RFC 3161 2.3).  The certificate is looked for in
 * the token, then in `extra` (may be NULL); when `tsa_cert` is not NULL
 * the signer must be that certificate.  Returns 0 when verification ran
 * (read v: TOTAL-PASSED, or the first failure with its reason); -1 only
 * when it could not run. */
KS_WUR int ks_tsp_token_verify(struct ks_tsp_token *t, X509 *tsa_cert, STACK_OF(X509) * extra,
			       struct ks_tsp_verdict *v);

/* The hash of the token's message imprint as an enum ks_md;
 * KS_ERR_UNSUPPORTED for another one (SHA-1 ...). */
KS_WUR int ks_tsp_token_imprint_md(const struct ks_tsp_token *t, enum ks_md *md);

/* Does the token answer this request?  Message imprint (algorithm and
 * value), nonce, and the policy when one was asked for.  -1 with
 * KS_ERR_TSP naming the difference. */
KS_WUR int ks_tsp_token_match(const struct ks_tsp_token *t, const struct ks_tsp_req *req);
/* Is the token over this digest?  (`md`, n bytes.)  -1 with KS_ERR_TSP. */
KS_WUR int ks_tsp_token_match_imprint(const struct ks_tsp_token *t, enum ks_md md,
				      const uint8_t *digest, size_t n);

/* ---- response ------------------------------------------------------------- */

struct ks_tsp_resp {
	int status;                 /* enum ks_tsp_status */
	uint32_t fail_bits;         /* 1u << enum ks_tsp_failure */
	char text[KS_TSP_TEXT_MAX]; /* statusString entries joined, printable ASCII */
	struct ks_tsp_token *token; /* owned; NULL when the response has none */
};

/* Parse a TimeStampResp (RFC 3161 2.4.2): PKIStatusInfo and, when the
 * status grants, the token (which must then be there; with any other
 * status it must not).  Exactly one DER structure, nothing after it.
 * The caller cleans r up, failure included. */
KS_WUR int ks_tsp_resp_parse(const uint8_t *der, size_t n, struct ks_tsp_resp *r);
void ks_tsp_resp_cleanup(struct ks_tsp_resp *r);

/* Everything a client checks of the answer to `req`: the response
 * parses, the status is granted or grantedWithMods, the token matches
 * the request, verifies (ks_tsp_token_verify with tsa_cert and extra)
 * and, since certReq was set, carries the TSA certificate itself.  On
 * success *out is the token (the caller frees it).  -1 with KS_ERR_TSP
 * (or a parse error) saying which check failed. */
KS_WUR int ks_tsp_resp_check(const uint8_t *der, size_t n, const struct ks_tsp_req *req,
			     X509 *tsa_cert, STACK_OF(X509) * extra, struct ks_tsp_token **out);

/* Is `cert` fit to sign timestamps (RFC 3161 2.3)?  The extended key
 * usage extension present once, critical, with id-kp-timeStamping as its
 * only purpose; a keyUsage, when present, allowing digitalSignature or
 * nonRepudiation.  -1 with KS_ERR_CERT saying what is wrong. */
KS_WUR int ks_tsp_check_tsa_cert(X509 *cert);

#endif
