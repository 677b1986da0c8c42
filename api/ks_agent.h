/* ks_agent: the signing agent on the principal's computer (`kyso agent`,
 * docs/agent.md).
 *
 * A school platform's page, open in the principal's browser, asks the
 * agent on 127.0.0.1 for the certificates of the inserted tokens and
 * hands it a batch prepared by the daemon (labels and the data to sign);
 * the agent shows the principal what will be signed on its own prompt (a
 * confirmation page on its own origin, or its terminal), takes the PIN
 * there (or lets the reader's PIN pad take it), signs every item with the
 * token and gives the signature values back to the page.  The page never
 * sees the PIN.
 *
 * What it trusts: nothing a page says about itself.  Every request must
 * name this host in Host (127.0.0.1:PORT or localhost:PORT: a DNS
 * rebinding name is refused), every API request must come from a
 * configured platform origin (Origin, checked on every request, not only
 * on the preflight), and the PIN is taken only from a form served and
 * posted on the agent's own origin. */
#ifndef KS_AGENT_H
#define KS_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"

#define KS_AGENT_ORIGINS_MAX 16
#define KS_AGENT_ORIGIN_MAX 200             /* bytes of one origin */
#define KS_AGENT_ITEMS_MAX 1000             /* signatures in one batch */
#define KS_AGENT_LABEL_MAX 200              /* bytes of one document label */
#define KS_AGENT_PENDING_MAX 32             /* batches kept (pending or answered) */
#define KS_AGENT_BODY_MAX ((size_t)1 << 20) /* a batch request */
#define KS_AGENT_FORM_MAX 4096              /* the confirmation form */
#define KS_AGENT_PIN_TRIES 3                /* wrong PINs before a batch fails */
#define KS_AGENT_SESSION_TTL_MAX (24u * 3600u)
#define KS_AGENT_REQUEST_TTL_DEFAULT 600 /* seconds a batch waits for the principal */

enum ks_agent_prompt { KS_AGENT_PROMPT_PAGE, KS_AGENT_PROMPT_TTY };

struct ks_agent_conf {
	const char *listen; /* "127.0.0.1:PORT"; port 0: any free */
	const char *origins[KS_AGENT_ORIGINS_MAX];
	size_t n_origins;
	const char *key_uri;   /* the keys offered (RFC 7512); NULL: all on the tokens */
	const char *chain_pem; /* issuing CAs beside the token's, may be NULL */
	enum ks_agent_prompt prompt;
	unsigned session_ttl_s; /* 0: the PIN for every batch */
	unsigned request_ttl_s; /* 0: KS_AGENT_REQUEST_TTL_DEFAULT */
};

struct ks_agent;

/* A platform origin as configured: "http(s)://host[:port]", lower case,
 * no path, no wildcard.  KS_ERR_USAGE otherwise. */
KS_WUR int ks_agent_origin_check(const char *origin);
/* The listening address: 127.0.0.1 only.  KS_ERR_USAGE otherwise. */
KS_WUR int ks_agent_listen_check(const char *listen);

/* Start listening (the strings of conf must outlive the agent). */
KS_WUR int ks_agent_start(const struct ks_agent_conf *conf, struct ks_agent **out);
uint16_t ks_agent_port(const struct ks_agent *a);
/* Stop: requests in flight finish, the token is logged out, every
 * batch is freed.  NULL is a no-op. */
void ks_agent_stop(struct ks_agent *a);

#endif
