/* Internal to the signing agent: its state, shared by the HTTP side
 * (ks_agent.c) and the confirmation and signing side
 * (ks_agent_sign.c). */
#ifndef KS_AGENT_INT_H
#define KS_AGENT_INT_H

#include <pthread.h>
#include <time.h>

#include "api/ks_agent.h"
#include "api/ks_api_http.h"
#include "ks_buf.h"
#include "ks_key.h"

#define KS_AGENT_ID_HEX 32 /* hex digits of a batch id and of a form nonce */
#define KS_AGENT_SUBJECT_MAX 256
#define KS_AGENT_CERT_ID_HEX 64 /* SHA-256 of the certificate, hex */
#define KS_AGENT_OWN_MAX 64

#define KS_AGENT_PAGE_CSP                                                                    \
	"default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'"

enum ks_agent_status {
	KS_AGENT_PENDING, /* waiting for the principal */
	KS_AGENT_SIGNING, /* the principal approved; the token is at work */
	KS_AGENT_DONE,
	KS_AGENT_FAILED,
	KS_AGENT_REFUSED, /* the principal said no */
};

struct ks_agent_item {
	char *label;
	enum ks_md md;
	enum ks_sig_scheme scheme;
	struct ks_buf tbs; /* the digest to sign, as the daemon's prepare gave it */
	struct ks_buf sig;
};

struct ks_agent_req {
	bool used;
	char id[KS_AGENT_ID_HEX + 1];
	char nonce[KS_AGENT_ID_HEX + 1]; /* in the confirmation form: posted back */
	const char *origin;              /* the configured origin that sent it */
	char cert_id[KS_AGENT_CERT_ID_HEX + 1];
	char *key_uri;
	char subject[KS_AGENT_SUBJECT_MAX];
	bool pinpad;
	enum ks_agent_status st;
	struct ks_agent_item *items;
	size_t n;
	time_t created; /* CLOCK_MONOTONIC seconds */
	unsigned pin_failures;
	char err_code[40];
	char err_msg[300];
};

struct ks_agent {
	struct ks_agent_conf conf;
	struct ks_api_http *http;
	uint16_t port;
	char own[2][KS_AGENT_OWN_MAX];  /* http://127.0.0.1:PORT, http://localhost:PORT */
	char host[2][KS_AGENT_OWN_MAX]; /* 127.0.0.1:PORT, localhost:PORT */
	pthread_mutex_t lock;           /* the batches; session_* below */
	pthread_cond_t cond;
	struct ks_agent_req reqs[KS_AGENT_PENDING_MAX];
	/* The token login kept between batches (--session-ttl). */
	pthread_mutex_t sign_lock; /* one batch on the token at a time; key */
	struct ks_key *key;
	char key_cert_id[KS_AGENT_CERT_ID_HEX + 1];
	time_t session_until;                           /* monotonic; under lock */
	char session_cert_id[KS_AGENT_CERT_ID_HEX + 1]; /* under lock */
	pthread_t worker;
	bool worker_started, stopping;
};

time_t ks_agent_now(void);
void ks_agent_random_hex(char out[KS_AGENT_ID_HEX + 1]);
/* Hex SHA-256 of a certificate's DER. */
KS_WUR int ks_agent_cert_id(X509 *cert, char out[KS_AGENT_CERT_ID_HEX + 1]);
/* The batch with this id (lock held), or NULL. */
struct ks_agent_req *ks_agent_find(struct ks_agent *a, const char *id);
void ks_agent_req_clear(struct ks_agent_req *rq);

/* The confirmation form (application/x-www-form-urlencoded): nonce,
 * action and the PIN (a secret buffer the caller initialises with
 * ks_buf_init_secret and KS_AGENT_FIELD_MAX).  Other fields are skipped;
 * a bad escape, a NUL or a value past its limit: KS_ERR_PARSE/LIMIT. */
#define KS_AGENT_FIELD_MAX 256 /* bytes of one decoded form value */
struct ks_agent_form {
	char nonce[KS_AGENT_ID_HEX + 1];
	char action[16];
	struct ks_buf pin;
};
KS_WUR int ks_agent_form_parse(const uint8_t *body, size_t n, struct ks_agent_form *f);
/* A document label a principal reads: 1 to KS_AGENT_LABEL_MAX bytes of
 * UTF-8 without control characters or bidirectional overrides. */
bool ks_agent_label_ok(const char *s, size_t n);

/* ks_agent_sign.c */
/* GET and POST /confirm/<id>: the agent's own page. */
int ks_agent_confirm_get(struct ks_agent *a, const char *id, struct ks_api_reply *r);
int ks_agent_confirm_post(struct ks_agent *a, const char *id, const struct ks_api_request *q,
			  struct ks_api_reply *r);
int ks_agent_css(struct ks_api_reply *r);
/* The worker: expires batches and the session; asks on the terminal. */
void *ks_agent_worker(void *arg);
/* Log out and forget the key (sign_lock held). */
void ks_agent_session_end(struct ks_agent *a, const char *why);

#endif
