/* The signing agent's confirmation and signing (ks_agent.h): the page on
 * the agent's own origin that shows the principal what will be signed and
 * takes the PIN, the terminal prompt, the token login kept for
 * --session-ttl, and the worker that ends it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ks_agent_int.h"
#include "api/ks_html.h"
#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define PAGE_MAX ((size_t)1 << 20)
#define TTY_LINE_MAX 16
#define TTY_POLL_MS 250

static const char agent_css[] =
    "body{margin:0;font-family:system-ui,\"Noto Sans\",Arial,sans-serif;line-height:1.5;"
    "color:#1b1b1b;background:#fff}\n"
    "main{max-width:40rem;margin:0 auto;padding:1rem}\n"
    "h1{font-size:1.5rem}\n"
    ".who{background:#ececf7;padding:.75rem;border-radius:.4rem}\n"
    "ol{max-height:50vh;overflow:auto;border:1px solid #bbb;padding:.5rem 2.5rem}\n"
    "label{display:block;font-weight:700;margin-top:1rem}\n"
    "input{font-size:1.25rem;padding:.5rem;min-height:44px;width:100%;max-width:20rem}\n"
    "button{font-size:1.1rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;min-height:44px;"
    "border-radius:.4rem;border:1px solid #0b5394}\n"
    "button[value=approve]{background:#0b5394;color:#fff}\n"
    "button:focus,input:focus{outline:3px solid #ffbf00;outline-offset:2px}\n"
    ".error{color:#a3111b;background:#fde8e9;padding:.75rem;border-radius:.4rem}\n"
    ".done{color:#0b6b2c;background:#e6f4ea;padding:.75rem;border-radius:.4rem}\n";

int ks_agent_css(struct ks_api_reply *r)
{
	ks_buf_reset(&r->body);
	if (ks_buf_append_str(&r->body, agent_css) < 0)
		return -1;
	r->status = 200;
	r->content_type = "text/css; charset=utf-8";
	return 0;
}

/* ---- the session: a login kept between batches ---- */

void ks_agent_session_end(struct ks_agent *a, const char *why)
{
	if (a->key == NULL)
		return;
	if (ks_p11_key_logout(a->key) < 0) {
		ks_log_err(KS_LOG_WARN, "agent: logging out");
		ks_err_clear();
	}
	ks_key_free(a->key);
	a->key = NULL;
	a->key_cert_id[0] = '\0';
	pthread_mutex_lock(&a->lock);
	a->session_until = 0;
	a->session_cert_id[0] = '\0';
	pthread_mutex_unlock(&a->lock);
	ks_log(KS_LOG_INFO, "agent: token logged out (%s)", why);
}

/* Is a login for this certificate kept now?  (lock held) */
static bool session_valid(const struct ks_agent *a, const char *cert_id)
{
	return a->session_cert_id[0] != '\0' && strcmp(a->session_cert_id, cert_id) == 0 &&
	       ks_agent_now() < a->session_until;
}

enum outcome { SIGNED, NEED_PIN, BAD_PIN, FAILED };

static void set_error(struct ks_agent_req *rq, const char *code, const char *msg)
{
	snprintf(rq->err_code, sizeof(rq->err_code), "%s", code);
	snprintf(rq->err_msg, sizeof(rq->err_msg), "%s", msg);
}

/* Sign every item of rq (status SIGNING: nobody else touches it).  pin:
 * the PIN from the confirmation page; NULL: the token's PIN pad, or the
 * terminal prompt (tty).  sign_lock is taken here. */
static enum outcome sign_batch(struct ks_agent *a, struct ks_agent_req *rq,
			       const struct ks_buf *pin, bool tty)
{
	struct ks_key *key = NULL;
	char id[KS_AGENT_CERT_ID_HEX + 1];
	char hex[2 * 64 + 1];
	enum outcome res = FAILED;
	bool kept;
	size_t i, j;

	pthread_mutex_lock(&a->sign_lock);
	pthread_mutex_lock(&a->lock);
	kept = a->key != NULL && session_valid(a, rq->cert_id) &&
	       strcmp(a->key_cert_id, rq->cert_id) == 0;
	pthread_mutex_unlock(&a->lock);
	if (!kept) {
		ks_agent_session_end(a, "a new login");
		if (pin == NULL && !rq->pinpad && !tty) {
			res = NEED_PIN;
			goto out;
		}
		if (ks_p11_key_open_pin(rq->key_uri, a->conf.chain_pem, rq->pinpad ? NULL : pin,
					&key) < 0) {
			if (ks_err_code() == KS_ERR_PIN) {
				ks_log(KS_LOG_WARN, "agent: batch %.8s: login refused: %s", rq->id,
				       ks_err_msg());
				set_error(rq, "pin-incorrect",
					  "the token refused the PIN (wrong, locked or expired)");
				res = BAD_PIN;
			} else {
				ks_log_err(KS_LOG_WARN, "agent: opening the key");
				set_error(rq, "token-unavailable",
					  "the token or its key cannot be used now");
			}
			ks_err_clear();
			goto out;
		}
		if (ks_agent_cert_id(key->cert, id) < 0 || strcmp(id, rq->cert_id) != 0) {
			ks_err_clear();
			set_error(rq, "unknown-key", "the key found is not the certificate's");
			goto out;
		}
		a->key = key;
		key = NULL;
		snprintf(a->key_cert_id, sizeof(a->key_cert_id), "%s", rq->cert_id);
		pthread_mutex_lock(&a->lock);
		snprintf(a->session_cert_id, sizeof(a->session_cert_id), "%s", rq->cert_id);
		a->session_until = ks_agent_now() + (time_t)a->conf.session_ttl_s;
		pthread_mutex_unlock(&a->lock);
	}
	for (i = 0; i < rq->n; i++) {
		struct ks_agent_item *it = &rq->items[i];

		ks_buf_reset(&it->sig);
		if (ks_key_sign(a->key, it->scheme, it->md, it->tbs.data, it->tbs.len, &it->sig) <
		    0) {
			ks_log_err(KS_LOG_WARN, "agent: signing");
			ks_err_clear();
			set_error(rq, "sign-failed", "the token could not sign every document");
			for (j = 0; j < rq->n; j++)
				ks_buf_reset(&rq->items[j].sig);
			goto out;
		}
		for (j = 0; j < it->tbs.len && j < 64; j++) {
			hex[2 * j] = ks_hex_digit(it->tbs.data[j] >> 4, false);
			hex[2 * j + 1] = ks_hex_digit(it->tbs.data[j] & 15, false);
		}
		hex[2 * j] = '\0';
		/* The agent's audit: what was signed, for whom, never the PIN. */
		ks_log(KS_LOG_INFO, "agent: signed \"%s\" %s %s (batch %.8s, %zu/%zu, %s, for %s)",
		       it->label, ks_md_name(it->md), hex, rq->id, i + 1, rq->n, rq->subject,
		       rq->origin);
	}
	rq->err_code[0] = '\0';
	rq->err_msg[0] = '\0';
	res = SIGNED;
out:
	if (a->conf.session_ttl_s == 0)
		ks_agent_session_end(a, "no session kept (--session-ttl 0)");
	pthread_mutex_unlock(&a->sign_lock);
	ks_key_free(key);
	return res;
}

/* ---- the confirmation page ---- */

static int page_start(struct ks_buf *b)
{
	return ks_buf_append_str(
	    b, "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       /* The transport sends Referrer-Policy no-referrer, under which
		* a browser posts the form with "Origin: null"; same-origin
		* keeps our own origin on our own form and tells no one else. */
	       "<meta name=\"referrer\" content=\"same-origin\">\n"
	       "<title>kyso agent: xác nhận ký số</title>\n"
	       "<link rel=\"stylesheet\" href=\"/static/agent.css\">\n</head>\n<body>\n<main>\n"
	       "<h1>Xác nhận ký số</h1>\n");
}

static int page_end(struct ks_api_reply *r, unsigned status)
{
	if (ks_buf_append_str(&r->body, "</main>\n</body>\n</html>\n") < 0)
		return -1;
	r->status = status;
	r->content_type = HTML_TYPE;
	r->csp = KS_AGENT_PAGE_CSP;
	return 0;
}

/* A page with one message only. */
static int page_note(struct ks_api_reply *r, unsigned status, const char *cls, const char *msg)
{
	int rc = -1;

	ks_buf_reset(&r->body);
	r->body.max = PAGE_MAX;
	KS_GUARD(page_start(&r->body));
	KS_GUARD(ks_buf_printf(&r->body, "<p class=\"%s\" role=\"status\" id=\"result\">", cls));
	KS_GUARD(ks_html_escape(&r->body, msg));
	KS_GUARD(ks_buf_append_str(&r->body, "</p>\n"));
	KS_GUARD(page_end(r, status));
	rc = 0;
out:
	return rc;
}

/* The batch: who asks, with which certificate, every label, the form.
 * (lock held) */
static int page_batch(struct ks_agent *a, const struct ks_agent_req *rq, const char *error,
		      struct ks_api_reply *r)
{
	struct ks_buf *b = &r->body;
	bool need_pin = !rq->pinpad && !session_valid(a, rq->cert_id);
	size_t i;
	int rc = -1;

	ks_buf_reset(b);
	b->max = PAGE_MAX;
	KS_GUARD(page_start(b));
	if (error != NULL) {
		KS_GUARD(ks_buf_append_str(b, "<p class=\"error\" role=\"alert\" id=\"error\">"));
		KS_GUARD(ks_html_escape(b, error));
		KS_GUARD(ks_buf_append_str(b, "</p>\n"));
	}
	KS_GUARD(ks_buf_append_str(b, "<p class=\"who\">Trang <strong id=\"origin\">"));
	KS_GUARD(ks_html_escape(b, rq->origin));
	KS_GUARD(ks_buf_printf(b,
			       "</strong> đề nghị ký <strong id=\"count\">%zu</strong> văn bản "
			       "bằng chứng thư số <strong id=\"subject\">",
			       rq->n));
	KS_GUARD(ks_html_escape(b, rq->subject));
	KS_GUARD(ks_buf_append_str(b, "</strong>. Hãy đọc danh sách trước khi ký.</p>\n"
				      "<ol id=\"labels\">\n"));
	for (i = 0; i < rq->n; i++) {
		KS_GUARD(ks_buf_append_str(b, "<li>"));
		KS_GUARD(ks_html_escape(b, rq->items[i].label));
		KS_GUARD(ks_buf_append_str(b, "</li>\n"));
	}
	KS_GUARD(ks_buf_printf(b,
			       "</ol>\n<form method=\"post\" action=\"/confirm/%s\">\n"
			       "<input type=\"hidden\" name=\"nonce\" value=\"%s\">\n",
			       rq->id, rq->nonce));
	if (need_pin)
		KS_GUARD(ks_buf_append_str(
		    b, "<label for=\"pin\">Mã PIN của thiết bị ký số (USB token)</label>\n"
		       "<input id=\"pin\" name=\"pin\" type=\"password\" autocomplete=\"off\" "
		       "required autofocus>\n"
		       "<p>Mã PIN chỉ nhập ở trang này của phần mềm ký trên máy của bạn, không "
		       "bao giờ trên trang của nền tảng.</p>\n"));
	else if (rq->pinpad)
		KS_GUARD(ks_buf_append_str(b, "<p id=\"pinpad\">Nhập mã PIN trên bàn phím của "
					      "đầu đọc thẻ sau khi bấm Ký.</p>\n"));
	else
		KS_GUARD(ks_buf_append_str(b, "<p id=\"session\">Phiên đăng nhập thiết bị ký "
					      "còn hiệu lực: không cần nhập lại mã PIN.</p>\n"));
	KS_GUARD(ks_buf_printf(b,
			       "<button type=\"submit\" name=\"action\" value=\"approve\">Ký %zu "
			       "văn bản</button>\n<button type=\"submit\" name=\"action\" "
			       "value=\"refuse\" formnovalidate>Từ chối</button>\n</form>\n",
			       rq->n));
	KS_GUARD(page_end(r, 200));
	rc = 0;
out:
	return rc;
}

int ks_agent_confirm_get(struct ks_agent *a, const char *id, struct ks_api_reply *r)
{
	struct ks_agent_req *rq;
	int rc;

	pthread_mutex_lock(&a->lock);
	rq = ks_agent_find(a, id);
	if (rq == NULL)
		rc = page_note(r, 404, "error",
			       "Không có yêu cầu ký này (đã hết hạn hoặc không tồn tại).");
	else if (rq->st != KS_AGENT_PENDING)
		rc = page_note(r, 409, "error", "Yêu cầu ký này đã được xử lý.");
	else
		rc = page_batch(a, rq, NULL, r);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int ks_agent_confirm_post(struct ks_agent *a, const char *id, const struct ks_api_request *q,
			  struct ks_api_reply *r)
{
	struct ks_agent_req *rq;
	struct ks_agent_form f;
	enum outcome res;
	char msg[200];
	int rc = -1;

	memset(&f, 0, sizeof(f));
	ks_buf_init_secret(&f.pin, KS_AGENT_FIELD_MAX);
	if (ks_agent_form_parse(q->body, q->len, &f) < 0) {
		ks_err_clear();
		rc = page_note(r, 400, "error", "Biểu mẫu không hợp lệ.");
		goto out;
	}
	/* The body held the PIN: it is not kept past this point. */
	OPENSSL_cleanse((void *)(uintptr_t)q->body, q->len);
	pthread_mutex_lock(&a->lock);
	rq = ks_agent_find(a, id);
	if (rq == NULL || rq->st != KS_AGENT_PENDING ||
	    CRYPTO_memcmp(f.nonce, rq->nonce, sizeof(f.nonce)) != 0) {
		pthread_mutex_unlock(&a->lock);
		rc = page_note(r, rq == NULL ? 404 : 409, "error",
			       "Yêu cầu ký này không còn chờ xác nhận (đã xử lý, hết hạn hoặc "
			       "biểu mẫu cũ).");
		goto out;
	}
	if (strcmp(f.action, "approve") != 0) {
		rq->st = KS_AGENT_REFUSED;
		set_error(rq, "refused", "the principal refused to sign");
		ks_log(KS_LOG_INFO, "agent: batch %.8s refused by the principal", rq->id);
		pthread_mutex_unlock(&a->lock);
		rc = page_note(r, 200, "done", "Đã từ chối. Không văn bản nào được ký.");
		goto out;
	}
	rq->st = KS_AGENT_SIGNING;
	pthread_mutex_unlock(&a->lock);

	res = sign_batch(a, rq, f.pin.len > 0 ? &f.pin : NULL, false);
	ks_buf_cleanup(&f.pin);

	pthread_mutex_lock(&a->lock);
	switch (res) {
	case SIGNED:
		rq->st = KS_AGENT_DONE;
		snprintf(msg, sizeof(msg), "Đã ký %zu văn bản. Bạn có thể đóng cửa sổ này.", rq->n);
		rc = page_note(r, 200, "done", msg);
		break;
	case NEED_PIN:
		rq->st = KS_AGENT_PENDING;
		rc = page_batch(a, rq, "Hãy nhập mã PIN.", r);
		break;
	case BAD_PIN:
		rq->pin_failures++;
		if (rq->pin_failures < KS_AGENT_PIN_TRIES) {
			rq->st = KS_AGENT_PENDING;
			rc = page_batch(a, rq,
					"Mã PIN không đúng, chưa văn bản nào được ký. Lưu ý: "
					"thiết bị ký sẽ bị khoá sau vài lần nhập sai.",
					r);
		} else {
			rq->st = KS_AGENT_FAILED;
			rc = page_note(r, 200, "error",
				       "Mã PIN sai nhiều lần: yêu cầu ký bị huỷ, không văn bản "
				       "nào được ký.");
		}
		break;
	case FAILED:
		rq->st = KS_AGENT_FAILED;
		rc = page_note(r, 200, "error",
			       "Không ký được: thiết bị ký không sẵn sàng. Không văn bản nào được "
			       "ký.");
		break;
	}
	pthread_mutex_unlock(&a->lock);
out:
	ks_buf_cleanup(&f.pin);
	return rc;
}

/* ---- the terminal prompt ---- */

/* Show the batch on the terminal and ask yes or no; the PIN, if needed,
 * is then asked by the token layer on the same terminal without echo (or
 * on the PIN pad). */
static bool tty_approve(struct ks_agent *a, const struct ks_agent_req *rq)
{
	char line[TTY_LINE_MAX];
	size_t i, got = 0;
	uint8_t c;
	bool yes = false;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	dprintf(fd, "\nkyso agent: %s asks to sign %zu documents with %s:\n", rq->origin, rq->n,
		rq->subject);
	for (i = 0; i < rq->n; i++)
		dprintf(fd, "  %zu. %s\n", i + 1, rq->items[i].label);
	dprintf(fd, "Sign these %zu documents? [y/N] ", rq->n);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		bool stopping;
		ssize_t k;

		/* Stopping the agent ends the question (a refusal). */
		pthread_mutex_lock(&a->lock);
		stopping = a->stopping;
		pthread_mutex_unlock(&a->lock);
		if (stopping) {
			got = 0;
			break;
		}
		if (poll(&pfd, 1, TTY_POLL_MS) <= 0)
			continue;
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		if (got + 1 < sizeof(line))
			line[got++] = (char)c;
	}
	line[got] = '\0';
	yes = strcmp(line, "y") == 0 || strcmp(line, "yes") == 0 || strcmp(line, "c") == 0 ||
	      strcmp(line, "co") == 0;
	close(fd);
	return yes;
}

static void tty_handle(struct ks_agent *a, struct ks_agent_req *rq)
{
	enum outcome res = FAILED;
	bool yes = tty_approve(a, rq);

	if (yes)
		res = sign_batch(a, rq, NULL, true);
	pthread_mutex_lock(&a->lock);
	if (!yes) {
		rq->st = KS_AGENT_REFUSED;
		set_error(rq, "refused", "the principal refused to sign (or no terminal)");
	} else {
		rq->st = res == SIGNED ? KS_AGENT_DONE : KS_AGENT_FAILED;
	}
	pthread_mutex_unlock(&a->lock);
}

/* ---- the worker ---- */

void *ks_agent_worker(void *arg)
{
	struct ks_agent *a = arg;
	struct ks_agent_req *todo;
	struct timespec until;
	time_t now;
	size_t i;

	pthread_mutex_lock(&a->lock);
	while (!a->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		(void)pthread_cond_timedwait(&a->cond, &a->lock, &until);
		if (a->stopping)
			break;
		now = ks_agent_now();
		todo = NULL;
		for (i = 0; i < KS_AGENT_PENDING_MAX; i++) {
			struct ks_agent_req *rq = &a->reqs[i];

			if (!rq->used || rq->st == KS_AGENT_SIGNING)
				continue;
			if (now - rq->created >= (time_t)a->conf.request_ttl_s) {
				ks_log(KS_LOG_INFO, "agent: batch %.8s expired", rq->id);
				ks_agent_req_clear(rq);
				continue;
			}
			if (a->conf.prompt == KS_AGENT_PROMPT_TTY && rq->st == KS_AGENT_PENDING &&
			    todo == NULL)
				todo = rq;
		}
		if (todo != NULL)
			todo->st = KS_AGENT_SIGNING;
		if (a->session_cert_id[0] != '\0' && now >= a->session_until) {
			pthread_mutex_unlock(&a->lock);
			pthread_mutex_lock(&a->sign_lock);
			pthread_mutex_lock(&a->lock);
			now = ks_agent_now();
			if (a->session_cert_id[0] != '\0' && now >= a->session_until) {
				pthread_mutex_unlock(&a->lock);
				ks_agent_session_end(a, "the session time is over");
				pthread_mutex_lock(&a->lock);
			}
			pthread_mutex_unlock(&a->lock);
			pthread_mutex_unlock(&a->sign_lock);
			pthread_mutex_lock(&a->lock);
		}
		if (todo != NULL) {
			pthread_mutex_unlock(&a->lock);
			tty_handle(a, todo);
			pthread_mutex_lock(&a->lock);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}
