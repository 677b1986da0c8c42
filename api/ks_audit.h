/* ks_audit: the audit log anyone can check (docs/audit.md).
 *
 * Every signature, timestamp, prepared signature, client change and
 * refusal is one entry: a compact JSON object with sorted keys
 *   {"client":..,"digest":..,"instance":..,"key":..,"level":..,"op":..,
 *    "outcome":..,"request":..,"seq":N,"time":"2025-06-01T08:00:00.123Z"}
 * (a refusal also carries "addr", an aggregated one "count"; a signature
 * handed out adds "record", "signed" and "signer" when it has them, and
 * "session" when made under a session activation) whose exact bytes are
 * stored.  The entries of one instance, in sequence
 * order 1, 2, 3 ..., are the leaves of a Merkle tree hashed as RFC 9162
 * 2.1.1 says: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left
 * || right).  Every append ends with a checkpoint over the whole tree,
 * signed with the audit key:
 *
 *   kyso audit checkpoint v1
 *   instance INSTANCE
 *   size N
 *   root BASE64(root hash)
 *   time 2025-06-01T08:00:00Z
 *
 * (those five lines, each ending in "\n", are the signed bytes; the
 * signature is over their SHA-256: RSA PKCS#1 v1.5 or DER ECDSA, what
 * `openssl dgst -sha256 -verify PUB -signature SIG` checks).  The latest
 * checkpoint is replaced at every append, one is kept every
 * `keep_interval` seconds.  An inclusion proof (RFC 9162 2.1.3) of an
 * entry against a signed checkpoint is checked with the audit public key
 * alone. */
#ifndef KS_AUDIT_H
#define KS_AUDIT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "api/ks_store.h"
#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"

#define KS_AUDIT_HASH_LEN 32
/* Subtrees of a compact range: one per bit of the tree size. */
#define KS_AUDIT_RANGE_MAX 64
#define KS_AUDIT_FIELD_MAX 256 /* bytes of one entry field */
#define KS_AUDIT_PROOF_MAX 64  /* hashes of an inclusion proof */
#define KS_AUDIT_SIG_MAX ((size_t)1024)
/* The proof document (kyso audit proof) and a checkpoint's text. */
#define KS_AUDIT_DOC_MAX ((size_t)64 << 10)
#define KS_AUDIT_TEXT_MAX ((size_t)512)
/* Entries held in memory by a verification or a proof. */
#define KS_AUDIT_ENTRIES_MAX ((size_t)64 << 20)

/* What one entry says (NULL fields are written as ""). */
struct ks_audit_event {
	const char *op;      /* sign, prepare, complete, timestamp, client-add, ... */
	const char *client;  /* client name, "" when not authenticated */
	const char *key;     /* key name or "" */
	const char *digest;  /* hex SHA-256 of the document, or "" */
	const char *level;   /* B-B, B-T, or "" */
	const char *outcome; /* "ok" or the problem code */
	const char *request; /* request id */
	/* Refusals only (docs/audit.md): the peer's address, and how many
	 * refusals an aggregated row stands for; "" and 0 are not written. */
	const char *addr;
	uint64_t count;
	/* A signature handed out (written only when not empty): */
	const char *record;        /* the record id the document carries */
	const char *signed_digest; /* hex SHA-256 of the signed document ("signed") */
	const char *signer;        /* the signer certificate's common name */
	const char *session; /* the session activation's nonce; NULL or "": none (not written) */
};

/* The entry's bytes for sequence number `seq` at time_ms (Unix ms). */
KS_WUR int ks_audit_entry_encode(const struct ks_audit_event *ev, const char *instance,
				 uint64_t seq, int64_t time_ms, struct ks_buf *out);
/* Read back an entry's sequence number, instance and digest. */
KS_WUR int ks_audit_entry_fields(const uint8_t *entry, size_t n, uint64_t *seq, char *instance,
				 size_t ilen, char *digest, size_t dlen);

/* ---- RFC 9162 hashing ---- */

void ks_audit_leaf_hash(const uint8_t *entry, size_t n, uint8_t out[KS_AUDIT_HASH_LEN]);
void ks_audit_node_hash(const uint8_t l[KS_AUDIT_HASH_LEN], const uint8_t r[KS_AUDIT_HASH_LEN],
			uint8_t out[KS_AUDIT_HASH_LEN]);

/* The roots of the perfect subtrees a tree of `size` leaves splits into,
 * left to right (the binary digits of size): enough to append leaves
 * and compute the root without the older leaves. */
struct ks_audit_range {
	uint64_t size;
	size_t n;
	uint8_t h[KS_AUDIT_RANGE_MAX][KS_AUDIT_HASH_LEN];
};
void ks_audit_range_init(struct ks_audit_range *r);
void ks_audit_range_push(struct ks_audit_range *r, const uint8_t leaf[KS_AUDIT_HASH_LEN]);
/* MTH of the leaves pushed so far (SHA-256 of nothing for none). */
void ks_audit_range_root(const struct ks_audit_range *r, uint8_t out[KS_AUDIT_HASH_LEN]);

/* MTH of leaf hashes [0, n). */
void ks_audit_root(const uint8_t (*leaves)[KS_AUDIT_HASH_LEN], size_t n,
		   uint8_t out[KS_AUDIT_HASH_LEN]);
/* PATH(index, D[n]) (RFC 9162 2.1.3.1), hashes appended to `path`. */
KS_WUR int ks_audit_inclusion_proof(const uint8_t (*leaves)[KS_AUDIT_HASH_LEN], size_t n,
				    size_t index, struct ks_buf *path);
/* RFC 9162 2.1.3.2: does `path` prove leaf `index` of a tree of `size`
 * whose root is `root`?  KS_ERR_VERIFY when not. */
KS_WUR int ks_audit_inclusion_check(uint64_t index, uint64_t size,
				    const uint8_t leaf[KS_AUDIT_HASH_LEN], const uint8_t *path,
				    size_t path_len, const uint8_t root[KS_AUDIT_HASH_LEN]);

/* ---- checkpoints ---- */

struct ks_audit_checkpoint {
	char instance[KS_STORE_NAME_MAX];
	uint64_t size;
	uint8_t root[KS_AUDIT_HASH_LEN];
	int64_t time; /* Unix seconds */
};

KS_WUR int ks_audit_checkpoint_text(const struct ks_audit_checkpoint *c, struct ks_buf *out);
/* Strict parse of exactly the text above (KS_ERR_PARSE otherwise). */
KS_WUR int ks_audit_checkpoint_parse(const uint8_t *text, size_t n, struct ks_audit_checkpoint *c);
/* The signature of a checkpoint's text with the audit key. */
KS_WUR int ks_audit_checkpoint_sign(struct ks_key *key, const uint8_t *text, size_t n,
				    struct ks_buf *sig);
/* KS_ERR_VERIFY when `sig` is not a signature of `text` by `pub`. */
KS_WUR int ks_audit_checkpoint_verify(EVP_PKEY *pub, const uint8_t *text, size_t n,
				      const uint8_t *sig, size_t siglen);
/* The public key of a PEM file holding a public key or a certificate. */
KS_WUR int ks_audit_pubkey_load(const char *path, EVP_PKEY **out);

/* A stored checkpoint: its text, signature and the compact range of the
 * tree it covers (JSON: {"checkpoint":TEXT,"signature":B64,"range":[B64...]}). */
KS_WUR int ks_audit_stored_encode(const struct ks_buf *text, const struct ks_buf *sig,
				  const struct ks_audit_range *r, struct ks_buf *out);
/* Any of text, sig, r may be NULL when not wanted. */
KS_WUR int ks_audit_stored_decode(const uint8_t *body, size_t n, struct ks_buf *text,
				  struct ks_buf *sig, struct ks_audit_range *r);

/* ---- appending ---- */

struct ks_audit_signer {
	struct ks_key *key; /* the audit key; not owned */
	const char *instance;
	unsigned keep_interval; /* seconds between kept checkpoints; 0: keep every one */
	int64_t last_kept;      /* updated by the appends */
};

/* Append `n` events as one transaction ending with a new signed
 * checkpoint; *first (may be NULL) gets the first sequence number.
 * Refused when the stored log does not end where its latest checkpoint
 * says (KS_ERR_VERIFY: run `kyso audit verify`). */
KS_WUR int ks_audit_append(struct ks_store *st, struct ks_audit_signer *sg,
			   const struct ks_audit_event *ev, size_t n, uint64_t *first);

/* ---- checking ---- */

/* One problem found (`seq` 0 when no row is concerned). */
typedef void (*ks_audit_problem_fn)(void *arg, uint64_t seq, const char *what);

struct ks_audit_summary {
	uint64_t entries, checkpoints, problems;
	uint64_t covered; /* rows covered by the latest checkpoint */
};

/* Check the instance's whole log: sequence numbers 1..N in storage order
 * with no gap, repeat or reordering; each row's lookup digest and
 * sequence number as its entry says; every checkpoint's signature by
 * `pub` and its root against the rows; the latest checkpoint covering
 * every row.  Each problem goes to `fn`; -1 only when the check could not
 * run (store, memory). */
KS_WUR int ks_audit_verify(struct ks_store *st, const char *instance, EVP_PKEY *pub,
			   ks_audit_problem_fn fn, void *arg, struct ks_audit_summary *sum);

/* The inclusion proof document of the entry (the last one with that
 * digest, or `seq` when not 0) against the latest checkpoint, as JSON:
 * {"entry":B64,"index":I,"tree_size":N,"proof":[HEX...],
 *  "checkpoint":TEXT,"signature":B64}. */
KS_WUR int ks_audit_proof(struct ks_store *st, const char *instance, const char *digest,
			  uint64_t seq, struct ks_buf *out);
/* Check such a document with the public key alone; `digest` (may be
 * NULL) must be the entry's.  *c gets the checkpoint.  KS_ERR_VERIFY
 * when it does not hold, KS_ERR_PARSE when it is malformed. */
KS_WUR int ks_audit_proof_check(const uint8_t *doc, size_t n, EVP_PKEY *pub, const char *digest,
				struct ks_audit_checkpoint *c, struct ks_buf *entry);

#endif
