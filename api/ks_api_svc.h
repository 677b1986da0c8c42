/* ks_api_svc: the signing service of `kyso serve` (docs/api.md): its
 * configuration turned into open resources (storage, keys, trust
 * anchors, the built-in TSA, the audit key), the routes of API v1 and
 * their handlers, a housekeeping thread (expired state purged, idle
 * token sessions kept alive).
 *
 * The helpers below are shared with the command line: `kyso client` and
 * `kyso audit` work on the same storage and audit key as the daemon. */
#ifndef KS_API_SVC_H
#define KS_API_SVC_H

#include <stdint.h>

#include "api/ks_api_conf.h"
#include "api/ks_audit.h"
#include "api/ks_store.h"
#include "ks_err.h"
#include "ks_key.h"

struct ks_api_svc;

/* Open everything the configuration names and start serving (the
 * listen address `listen` instead of the configured one when not
 * NULL).  The configuration must outlive the service. */
KS_WUR int ks_api_svc_start(const struct ks_api_conf *c, const char *listen,
			    struct ks_api_svc **out);
uint16_t ks_api_svc_port(const struct ks_api_svc *s);
/* Stop accepting, let requests in flight finish (the configured drain
 * time at most), close everything.  NULL is a no-op. */
void ks_api_svc_stop(struct ks_api_svc *s);

/* The state folder (created 0700 when missing) and the store. */
KS_WUR int ks_api_state_open(const struct ks_api_conf *c, struct ks_store **out);
/* The audit key: a token key, or a key file; the default key file in
 * the state folder is made (EC P-256, with a self-signed certificate
 * and the public key beside it) when `create` and it is missing. */
KS_WUR int ks_api_audit_key_open(const struct ks_api_conf *c, bool create, struct ks_key **out);
/* The PEM file of the audit public key (certificate) for `kyso audit`. */
const char *ks_api_audit_pub_path(const struct ks_api_conf *c);
/* One audit row, appended with its signed checkpoint. */
KS_WUR int ks_api_audit_one(struct ks_store *st, struct ks_audit_signer *sg,
			    const struct ks_audit_event *ev);

#endif
