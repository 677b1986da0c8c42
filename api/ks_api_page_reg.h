/* ks_api_page_reg: parts of the verification page (ks_api_page.c) in
 * files of their own.  What the page shows of a record id's registration
 * (GET /v/<record id>, and an upload from that page): the signatures
 * this daemon handed out for documents carrying the id, read from the
 * audit log by exact id (ks_store_audit_record), in ks_api_page_reg.c;
 * what changed after signing, in ks_api_page_changes.c.  Not for use
 * outside api/. */
#ifndef KS_API_PAGE_REG_H
#define KS_API_PAGE_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/ks_api_int.h"
#include "signer/ks_report.h"

/* Signatures of one id shown at most (the newest). */
#define KS_API_REG_ROWS_MAX 16
#define KS_API_REG_TIME_MAX 32

struct ks_api_reg_sig {
	uint64_t seq;
	char op[16];
	char time[KS_API_REG_TIME_MAX];
	char key[KS_STORE_NAME_MAX];
	char level[16];
	char signer[KS_AUDIT_FIELD_MAX + 1];
	char digest[KS_API_DOC_DIGEST_HEX];        /* of the document signed */
	char signed_digest[KS_API_DOC_DIGEST_HEX]; /* of the signed document */
};

struct ks_api_reg {
	char id[KS_RECORD_REF_MAX + 1];
	struct ks_api_reg_sig sigs[KS_API_REG_ROWS_MAX]; /* newest first */
	size_t n;
};

/* The registration of `id` (a well-formed record id): rows whose entry
 * itself says this id, a signature handed out ("sign" or "complete",
 * outcome "ok") and the signed document's digest; others are skipped.
 * -1 when the store cannot be read. */
KS_WUR int ks_api_reg_load(struct ks_api_svc *s, const char *id, struct ks_api_reg *reg);

/* The "registered" section (reg->n > 0): status, the latest signed
 * version's digest, and who signed when at which level. */
KS_WUR int ks_api_reg_put(struct ks_buf *b, enum ks_lang l, const struct ks_api_reg *reg);

/* An uploaded file's SHA-256 (hex) against the registration: the
 * registered document (the latest signed version, or one no later
 * signature was added to: the PDF and XML forms of a record are both
 * registered), an earlier version (a later registered signature was made
 * over it), or not the registered document. */
KS_WUR int ks_api_reg_compare(struct ks_buf *b, enum ks_lang l, const struct ks_api_reg *reg,
			      const char *digest);

/* The result's "what changed after signing" (a changed or not authentic
 * verdict): one plain sentence on what was added and whether the
 * signers permitted it, then the technical list in a <details>.
 * Nothing when no signature reports a change. */
KS_WUR int ks_api_page_changes(struct ks_buf *b, enum ks_lang l, const struct ks_report *rep);

#endif
