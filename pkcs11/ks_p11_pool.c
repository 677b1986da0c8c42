/* Per-token session pool, login and recovery.
 *
 * PKCS#11 2.40 5.6: a login applies to every session of the application
 * on that token, and lasts until the last session is closed.  The pool
 * keeps its sessions open, so one C_Login serves every signature.  A
 * session is used by one thread at a time; up to tok->max of them exist
 * (1 for serialised tokens), further callers wait on the condition
 * variable.
 *
 * Recovery: a return value saying the token, session or login is gone
 * bumps the token's generation, drops idle sessions and the login state
 * and marks the slot unknown; the request fails with KS_ERR_TOKEN, and
 * the next one finds the token again by identity, opens new sessions and
 * logs in again with the PIN kept in a secret buffer. */
#include <string.h>

#include "ks_log.h"
#include "ks_p11_int.h"

bool ks_p11_rv_lost(ck_rv_t rv)
{
	switch (rv) {
	case CKR_DEVICE_REMOVED:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_SLOT_ID_INVALID:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		return true;
	default:
		return false;
	}
}

/* Sessions closed by the token (as opposed to a lost login with live
 * sessions): their handles may already be reused by new sessions, so
 * they must not be closed again. */
static bool rv_sessions_gone(ck_rv_t rv)
{
	return rv != CKR_USER_NOT_LOGGED_IN;
}

static void invalidate_locked(struct ks_p11_token *tok, ck_rv_t why)
{
	bool gone = rv_sessions_gone(why);

	if (!gone && tok->mod != NULL) {
		for (unsigned i = 0; i < tok->n_idle; i++)
			(void)tok->mod->fl->C_CloseSession(tok->idle[i]);
	}
	if (gone)
		tok->gone_generation = tok->generation;
	tok->n_open -= tok->n_idle;
	tok->n_idle = 0;
	tok->generation++;
	tok->recoveries++;
	tok->logged_in = false;
	tok->present = false;
	tok->mech_known = false;
	ks_log(KS_LOG_WARN, "token '%s': %s, sessions and login dropped", tok->info.label,
	       ks_p11_rv_name(why));
	pthread_cond_broadcast(&tok->cond);
}

void ks_p11_token_invalidate(struct ks_p11_token *tok, unsigned long generation, ck_rv_t why)
{
	pthread_mutex_lock(&tok->lock);
	/* Several threads may see the same loss: act once per generation. */
	if (!tok->dead && generation == tok->generation)
		invalidate_locked(tok, why);
	pthread_mutex_unlock(&tok->lock);
}

static bool login_required(const struct ks_p11_token *tok)
{
	return (tok->info.flags & CKF_LOGIN_REQUIRED) != 0;
}

/* One C_Login with `pin` (NULL: protected authentication path).  Token
 * lock held.  Never retried: a wrong PIN counts against the token's
 * retry counter, and a loop could lock the token. */
static int login_locked(struct ks_p11_token *tok, ck_session_handle_t s, const struct ks_buf *pin,
			unsigned long user)
{
	ck_rv_t rv;
	struct ck_token_info ti;
	const char *hint = "";

	ks_p11_login_attempts_inc();
	rv = tok->mod->fl->C_Login(s, user, pin != NULL ? pin->data : NULL,
				   pin != NULL ? pin->len : 0);
	if (rv == CKR_OK || (rv == CKR_USER_ALREADY_LOGGED_IN && user == CKU_USER)) {
		if (user == CKU_USER) {
			tok->logged_in = true;
			tok->logins++;
		}
		return 0;
	}
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
		if (tok->mod->fl->C_GetTokenInfo(tok->info.slot_id, &ti) == CKR_OK) {
			if (ti.flags & CKF_USER_PIN_FINAL_TRY)
				hint = "; the token allows ONE more attempt before it locks";
			else if (ti.flags & CKF_USER_PIN_COUNT_LOW)
				hint = "; the token reports few attempts left";
		}
		return KS_SET(KS_ERR_PIN, "wrong PIN for token '%s' (%s); not retried%s",
			      tok->info.label, ks_p11_rv_name(rv), hint);
	case CKR_PIN_LOCKED:
		return KS_SET(KS_ERR_PIN,
			      "the PIN of token '%s' is locked; unblock it with the SO PIN",
			      tok->info.label);
	case CKR_PIN_EXPIRED:
		return KS_SET(KS_ERR_PIN, "the PIN of token '%s' has expired; change it first",
			      tok->info.label);
	case CKR_PIN_LEN_RANGE:
		return KS_SET(KS_ERR_PIN, "PIN length not accepted by token '%s'", tok->info.label);
	case CKR_USER_PIN_NOT_INITIALIZED:
		/* The token said it has a user PIN when it was listed: the
		 * module read it while another process was rewriting it. */
		if (tok->info.flags & CKF_USER_PIN_INITIALIZED) {
			ks_p11_transient_note();
			return KS_SET(KS_ERR_TOKEN,
				      "token '%s' was listed with a user PIN but now says it has "
				      "none (%s): it was being changed by another program",
				      tok->info.label, ks_p11_rv_name(rv));
		}
		return KS_SET(KS_ERR_PIN, "token '%s' has no user PIN set", tok->info.label);
	default:
		if (ks_p11_rv_lost(rv)) {
			invalidate_locked(tok, rv);
			ks_p11_transient_note();
			return KS_SET(KS_ERR_TOKEN, "token '%s' went away during login (%s)",
				      tok->info.label, ks_p11_rv_name(rv));
		}
		/* No PIN was checked (CKR_PIN_INCORRECT says that): SoftHSM2
		 * answers this while its token file is being rewritten. */
		if (rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED)
			ks_p11_transient_note();
		return KS_SET(KS_ERR_PKCS11, "C_Login on token '%s': %s", tok->info.label,
			      ks_p11_rv_name(rv));
	}
}

/* Give session s (taken at generation gen) back.  Token lock held. */
static void release_locked(struct ks_p11_token *tok, ck_session_handle_t s, unsigned long gen,
			   bool broken)
{
	if (!tok->dead && gen == tok->generation && !broken && tok->n_idle < KS_P11_POOL_MAX) {
		tok->idle[tok->n_idle++] = s;
	} else if (!tok->dead) {
		/* A session of an older generation whose handle may have been
		 * reused (sessions closed by the token) is left alone. */
		if (tok->mod != NULL && (gen == tok->generation || gen > tok->gone_generation))
			(void)tok->mod->fl->C_CloseSession(s);
		if (tok->n_open > 0)
			tok->n_open--;
		/* PKCS#11 2.40 5.6: closing the application's last session
		 * logs it out, and private key handles may go with it: the
		 * next lease logs in again and finds its key anew. */
		if (gen == tok->generation && tok->n_open == 0 && tok->logged_in) {
			tok->logged_in = false;
			tok->generation++;
		}
	}
	pthread_cond_signal(&tok->cond);
}

int ks_p11_session_get(struct ks_p11_token *tok, struct ks_p11_lease *l)
{
	ck_session_handle_t s = CK_INVALID_HANDLE;
	unsigned long gen = 0;
	ck_rv_t rv;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	pthread_mutex_lock(&tok->lock);
	for (;;) {
		KS_ENSURE(!tok->dead && tok->mod != NULL, KS_ERR_TOKEN,
			  "PKCS#11 layer was shut down; open the key again");
		if (!tok->present)
			KS_GUARD(ks_p11_token_refind(tok));
		if (tok->n_idle > 0) {
			s = tok->idle[--tok->n_idle];
			gen = tok->generation;
			break;
		}
		if (tok->n_open < tok->max) {
			/* CKF_SERIAL_SESSION is required (PKCS#11 2.40 5.6); a
			 * read-only session suffices to sign. */
			rv = tok->mod->fl->C_OpenSession(tok->info.slot_id, CKF_SERIAL_SESSION,
							 NULL, NULL, &s);
			if (rv == CKR_OK) {
				tok->n_open++;
				gen = tok->generation;
				break;
			}
			s = CK_INVALID_HANDLE;
			if (rv == CKR_SESSION_COUNT && tok->n_open > 0) {
				/* The token's real limit is lower than reported:
				 * keep what we have and wait for one of them. */
				tok->max = tok->n_open;
				continue;
			}
			if (ks_p11_rv_lost(rv)) {
				invalidate_locked(tok, rv);
				KS_BAIL(KS_ERR_TOKEN,
					"token '%s' is not available (%s); insert it and retry",
					tok->info.label, ks_p11_rv_name(rv));
			}
			KS_BAIL(KS_ERR_PKCS11, "C_OpenSession on token '%s': %s", tok->info.label,
				ks_p11_rv_name(rv));
		}
		pthread_cond_wait(&tok->cond, &tok->lock);
	}
	/* After a recovery the login is gone; log in again with the kept
	 * PIN (once; a PIN changed meanwhile is dropped, not retried). */
	if (login_required(tok) && !tok->logged_in && (tok->have_pin || tok->pinpad)) {
		if (login_locked(tok, s, tok->have_pin ? &tok->pin : NULL, CKU_USER) < 0) {
			if (ks_err_code() == KS_ERR_PIN) {
				ks_buf_cleanup(&tok->pin);
				ks_buf_init_secret(&tok->pin, KS_P11_PIN_MAX);
				tok->have_pin = false;
			}
			goto out;
		}
	}
	l->tok = tok;
	l->session = s;
	l->generation = gen;
	l->fl = tok->mod->fl;
	s = CK_INVALID_HANDLE;
	rc = 0;
out:
	if (s != CK_INVALID_HANDLE)
		release_locked(tok, s, gen, false);
	pthread_mutex_unlock(&tok->lock);
	return rc;
}

void ks_p11_session_put(struct ks_p11_lease *l, bool broken)
{
	struct ks_p11_token *tok = l->tok;

	if (tok == NULL)
		return;
	pthread_mutex_lock(&tok->lock);
	release_locked(tok, l->session, l->generation, broken);
	pthread_mutex_unlock(&tok->lock);
	memset(l, 0, sizeof(*l));
}

bool ks_p11_token_logged_in(struct ks_p11_token *tok)
{
	bool v;

	pthread_mutex_lock(&tok->lock);
	v = tok->logged_in || !login_required(tok);
	pthread_mutex_unlock(&tok->lock);
	return v;
}

int ks_p11_token_login(struct ks_p11_lease *l, struct ks_buf *pin)
{
	struct ks_p11_token *tok = l->tok;
	int rc = -1;

	pthread_mutex_lock(&tok->lock);
	if (tok->logged_in || !login_required(tok)) {
		rc = 0;
		goto out;
	}
	KS_ENSURE(l->generation == tok->generation, KS_ERR_TOKEN,
		  "token '%s' was reset during login; retry", tok->info.label);
	KS_GUARD(login_locked(tok, l->session, pin, CKU_USER));
	if (pin != NULL) {
		/* Kept (secret, wiped on shutdown) to log in again after the
		 * token comes back, and for CKA_ALWAYS_AUTHENTICATE keys. */
		ks_buf_cleanup(&tok->pin);
		ks_buf_init_secret(&tok->pin, KS_P11_PIN_MAX);
		KS_GUARD(ks_buf_set(&tok->pin, pin->data, pin->len));
		tok->have_pin = true;
	} else {
		tok->pinpad = true;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&tok->lock);
	return rc;
}

int ks_p11_context_login(struct ks_p11_lease *l)
{
	struct ks_p11_token *tok = l->tok;
	int rc = -1;

	pthread_mutex_lock(&tok->lock);
	/* PKCS#11 2.40 4.9: CKA_ALWAYS_AUTHENTICATE keys need CKU_CONTEXT_SPECIFIC
	 * right after C_SignInit, every time. */
	KS_ENSURE(tok->have_pin || (tok->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH),
		  KS_ERR_PIN, "key on token '%s' needs the PIN for every signature",
		  tok->info.label);
	KS_GUARD(
	    login_locked(tok, l->session, tok->have_pin ? &tok->pin : NULL, CKU_CONTEXT_SPECIFIC));
	rc = 0;
out:
	pthread_mutex_unlock(&tok->lock);
	return rc;
}

static bool mech_can_sign(struct ks_p11_lease *l, const ck_mechanism_type_t *list, unsigned long n,
			  ck_mechanism_type_t want)
{
	struct ck_mechanism_info mi;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (list[i] != want)
			continue;
		if (l->fl->C_GetMechanismInfo(l->tok->info.slot_id, want, &mi) != CKR_OK)
			return false;
		return (mi.flags & CKF_SIGN) != 0;
	}
	return false;
}

int ks_p11_mechanisms(struct ks_p11_lease *l)
{
	struct ks_p11_token *tok = l->tok;
	ck_mechanism_type_t *list = NULL;
	unsigned long n = 0;
	ck_rv_t rv;
	int rc = -1;

	pthread_mutex_lock(&tok->lock);
	if (tok->mech_known) {
		rc = 0;
		goto out;
	}
	rv = l->fl->C_GetMechanismList(tok->info.slot_id, NULL, &n);
	KS_ENSURE(rv == CKR_OK, KS_ERR_PKCS11, "C_GetMechanismList on '%s': %s", tok->info.label,
		  ks_p11_rv_name(rv));
	KS_ENSURE(n <= 4096, KS_ERR_LIMIT, "token '%s' lists %lu mechanisms", tok->info.label, n);
	if (n > 0) {
		/* One spare entry: the RPC client of p11-kit 0.24 (p11-kit-client.so),
		 * compacting the list, moves one element from past its end. */
		list = calloc(n + 1, sizeof(*list));
		KS_ENSURE(list != NULL, KS_ERR_NOMEM, "out of memory");
		rv = l->fl->C_GetMechanismList(tok->info.slot_id, list, &n);
		KS_ENSURE(rv == CKR_OK, KS_ERR_PKCS11, "C_GetMechanismList on '%s': %s",
			  tok->info.label, ks_p11_rv_name(rv));
	}
	tok->mech_rsa_pkcs = mech_can_sign(l, list, n, CKM_RSA_PKCS);
	tok->mech_rsa_pss = mech_can_sign(l, list, n, CKM_RSA_PKCS_PSS);
	tok->mech_ecdsa = mech_can_sign(l, list, n, CKM_ECDSA);
	tok->mech_known = true;
	rc = 0;
out:
	pthread_mutex_unlock(&tok->lock);
	free(list);
	return rc;
}

int ks_p11_token_ping(struct ks_p11_token *tok)
{
	struct ck_session_info si;
	struct ks_p11_lease l;
	unsigned i;
	ck_rv_t rv;
	bool idle;
	int rc = -1;

	pthread_mutex_lock(&tok->lock);
	KS_ENSURE(!tok->dead && tok->mod != NULL, KS_ERR_TOKEN,
		  "PKCS#11 layer was shut down; open the key again");
	idle = tok->present && tok->n_idle > 0;
	/* Touch every idle session: a token or HSM that drops idle sessions
	 * sees them used, and a lost session or login shows now rather
	 * than at the next signature. */
	for (i = 0; idle && i < tok->n_idle; i++) {
		rv = tok->mod->fl->C_GetSessionInfo(tok->idle[i], &si);
		if (rv == CKR_OK && login_required(tok) && tok->logged_in &&
		    si.state != CKS_RO_USER_FUNCTIONS && si.state != CKS_RW_USER_FUNCTIONS)
			rv = CKR_USER_NOT_LOGGED_IN;
		if (rv != CKR_OK) {
			if (ks_p11_rv_lost(rv))
				invalidate_locked(tok, rv);
			KS_BAIL(KS_ERR_TOKEN, "token '%s': %s", tok->info.label,
				ks_p11_rv_name(rv));
		}
	}
	rc = 0;
out:
	pthread_mutex_unlock(&tok->lock);
	if (rc == 0 && !idle) {
		/* No idle session: borrow one (finding the token again and
		 * logging in again if it was lost). */
		if (ks_p11_session_get(tok, &l) < 0)
			return -1;
		ks_p11_session_put(&l, false);
	}
	return rc;
}

int ks_p11_token_logout(struct ks_p11_token *tok)
{
	ck_session_handle_t s = CK_INVALID_HANDLE;
	bool opened = false;
	ck_rv_t rv = CKR_OK;
	unsigned i;
	int rc = -1;

	pthread_mutex_lock(&tok->lock);
	if (tok->dead || tok->mod == NULL) {
		rc = 0;
		goto out;
	}
	if (tok->logged_in && tok->present) {
		if (tok->n_idle > 0) {
			s = tok->idle[0];
		} else if (tok->mod->fl->C_OpenSession(tok->info.slot_id, CKF_SERIAL_SESSION, NULL,
						       NULL, &s) == CKR_OK) {
			opened = true;
		} else {
			s = CK_INVALID_HANDLE;
		}
		/* PKCS#11 2.40 5.6: C_Logout ends the login of every session
		 * of the application on this token. */
		if (s != CK_INVALID_HANDLE)
			rv = tok->mod->fl->C_Logout(s);
		if (opened)
			(void)tok->mod->fl->C_CloseSession(s);
	}
	/* Whatever the token said: nothing here may log in again by itself
	 * (the PIN is gone), and the key handles of the login are dropped. */
	for (i = 0; i < tok->n_idle; i++)
		(void)tok->mod->fl->C_CloseSession(tok->idle[i]);
	tok->n_open -= tok->n_idle;
	tok->n_idle = 0;
	tok->generation++;
	tok->logged_in = false;
	tok->pinpad = false;
	tok->have_pin = false;
	ks_buf_cleanup(&tok->pin);
	ks_buf_init_secret(&tok->pin, KS_P11_PIN_MAX);
	pthread_cond_broadcast(&tok->cond);
	KS_ENSURE(rv == CKR_OK || rv == CKR_USER_NOT_LOGGED_IN || ks_p11_rv_lost(rv), KS_ERR_PKCS11,
		  "C_Logout on token '%s': %s", tok->info.label, ks_p11_rv_name(rv));
	rc = 0;
out:
	pthread_mutex_unlock(&tok->lock);
	return rc;
}
