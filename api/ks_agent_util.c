/* Pieces of the signing agent shared by its HTTP side and its signing
 * side, and the readers of what a page sends that is not JSON: the
 * confirmation form and the document labels (ks_agent_int.h). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_agent_int.h"
#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_utf8.h"

time_t ks_agent_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

void ks_agent_random_hex(char out[KS_AGENT_ID_HEX + 1])
{
	uint8_t b[KS_AGENT_ID_HEX / 2];
	size_t i;

	/* An id is a capability: without randomness, nothing is handed out. */
	if (RAND_bytes(b, sizeof(b)) != 1)
		abort();
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = ks_hex_digit(b[i] >> 4, false);
		out[2 * i + 1] = ks_hex_digit(b[i] & 15, false);
	}
	out[KS_AGENT_ID_HEX] = '\0';
}

int ks_agent_cert_id(X509 *cert, char out[KS_AGENT_CERT_ID_HEX + 1])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;

	if (X509_digest(cert, EVP_sha256(), md, &len) != 1 || len * 2 != KS_AGENT_CERT_ID_HEX)
		return KS_SET(KS_ERR_CRYPTO, "certificate digest");
	for (i = 0; i < len; i++) {
		out[2 * i] = ks_hex_digit(md[i] >> 4, false);
		out[2 * i + 1] = ks_hex_digit(md[i] & 15, false);
	}
	out[KS_AGENT_CERT_ID_HEX] = '\0';
	return 0;
}

struct ks_agent_req *ks_agent_find(struct ks_agent *a, const char *id)
{
	size_t i;

	if (strlen(id) != KS_AGENT_ID_HEX)
		return NULL;
	for (i = 0; i < KS_AGENT_PENDING_MAX; i++)
		if (a->reqs[i].used && strcmp(a->reqs[i].id, id) == 0)
			return &a->reqs[i];
	return NULL;
}

void ks_agent_req_clear(struct ks_agent_req *rq)
{
	size_t i;

	for (i = 0; i < rq->n; i++) {
		free(rq->items[i].label);
		ks_buf_cleanup(&rq->items[i].tbs);
		ks_buf_cleanup(&rq->items[i].sig);
	}
	free(rq->items);
	free(rq->key_uri);
	memset(rq, 0, sizeof(*rq));
}

/* A label the principal reads: UTF-8 text without control characters. */
bool ks_agent_label_ok(const char *s, size_t n)
{
	struct ks_cur c;
	uint32_t cp;

	if (n == 0 || n > KS_AGENT_LABEL_MAX)
		return false;
	ks_cur_init(&c, s, n);
	while (!ks_cur_eof(&c)) {
		if (ks_utf8_next(&c, &cp) < 0) {
			ks_err_clear();
			return false;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return false; /* controls and bidirectional overrides */
	}
	return true;
}

/* ---- the posted form: nonce, action, pin ---- */

static int form_hex(uint8_t c)
{
	return ks_hex_value(c);
}

/* Decode one application/x-www-form-urlencoded value into out. */
static int form_decode(struct ks_cur *v, struct ks_buf *out)
{
	uint8_t c, h1, h2;

	while (!ks_cur_eof(v)) {
		if (ks_cur_u8(v, &c) < 0)
			return -1;
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (ks_cur_u8(v, &h1) < 0 || ks_cur_u8(v, &h2) < 0 || form_hex(h1) < 0 ||
			    form_hex(h2) < 0)
				return KS_SET(KS_ERR_PARSE, "bad %%-escape in the form");
			c = (uint8_t)(form_hex(h1) << 4 | form_hex(h2));
		}
		if (c == 0)
			return KS_SET(KS_ERR_PARSE, "a NUL byte in the form");
		if (ks_buf_append_byte(out, c) < 0)
			return -1;
	}
	return 0;
}

static int form_text(struct ks_cur *v, char *dst, size_t len)
{
	struct ks_buf t;
	const char *s;
	int rc = -1;

	ks_buf_init(&t, KS_AGENT_FIELD_MAX);
	KS_GUARD(form_decode(v, &t));
	KS_GUARD(ks_buf_cstr(&t, &s));
	KS_ENSURE(strlen(s) < len, KS_ERR_PARSE, "a form value is too long");
	snprintf(dst, len, "%s", s);
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

int ks_agent_form_parse(const uint8_t *body, size_t n, struct ks_agent_form *f)
{
	struct ks_cur c, pair, name;
	size_t amp, eq;
	int rc = -1;

	ks_cur_init(&c, body, n);
	while (!ks_cur_eof(&c)) {
		if (!ks_cur_find(&c, "&", 1, &amp))
			amp = c.left;
		KS_GUARD(ks_cur_sub(&c, amp, &pair));
		(void)ks_cur_accept(&c, "&", 1);
		if (!ks_cur_find(&pair, "=", 1, &eq))
			continue;
		KS_GUARD(ks_cur_sub(&pair, eq, &name));
		KS_GUARD(ks_cur_skip(&pair, 1));
		if (ks_cur_is(&name, "nonce", 5))
			KS_GUARD(form_text(&pair, f->nonce, sizeof(f->nonce)));
		else if (ks_cur_is(&name, "action", 6))
			KS_GUARD(form_text(&pair, f->action, sizeof(f->action)));
		else if (ks_cur_is(&name, "pin", 3))
			KS_GUARD(form_decode(&pair, &f->pin));
	}
	rc = 0;
out:
	return rc;
}
