#include "ks_err.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct ks_err_state {
	enum ks_err_code code;
	const char *file;
	int line;
	char msg[KS_ERR_MSG_MAX];
};

static _Thread_local struct ks_err_state err_state;

static const char *const err_names[KS_ERR__COUNT] = {
	[KS_OK] = "ok",
	[KS_ERR_INTERNAL] = "internal",
	[KS_ERR_NOMEM] = "out-of-memory",
	[KS_ERR_ARG] = "invalid-argument",
	[KS_ERR_USAGE] = "usage",
	[KS_ERR_IO] = "io",
	[KS_ERR_OVERFLOW] = "overflow",
	[KS_ERR_LIMIT] = "limit-exceeded",
	[KS_ERR_TRUNCATED] = "truncated",
	[KS_ERR_PARSE] = "parse",
	[KS_ERR_ENCODING] = "encoding",
	[KS_ERR_SECRET] = "secret",
	[KS_ERR_CRYPTO] = "crypto",
	[KS_ERR_PKCS11] = "pkcs11",
	[KS_ERR_PIN] = "pin",
	[KS_ERR_TOKEN] = "token",
	[KS_ERR_NOT_FOUND] = "not-found",
	[KS_ERR_AMBIGUOUS] = "ambiguous",
	[KS_ERR_CERT] = "certificate",
	[KS_ERR_POLICY] = "policy",
	[KS_ERR_UNSUPPORTED] = "unsupported",
	[KS_ERR_CMS] = "cms",
	[KS_ERR_PDF] = "pdf",
	[KS_ERR_PDF_XREF] = "pdf-xref",
	[KS_ERR_XML] = "xml",
	[KS_ERR_VERIFY] = "verify",
	[KS_ERR_PENDING] = "pending",
	[KS_ERR_NET] = "network",
	[KS_ERR_NET_DOWN] = "network-down",
	[KS_ERR_NET_TIMEOUT] = "network-timeout",
	[KS_ERR_NET_STATUS] = "http-status",
	[KS_ERR_NET_TYPE] = "http-content-type",
	[KS_ERR_TSP] = "timestamp",
};

const char *ks_err_name(enum ks_err_code code)
{
	if ((unsigned)code >= KS_ERR__COUNT || err_names[code] == NULL)
		return "unknown";
	return err_names[code];
}

static KS_PRINTF(4, 0) void err_vset(enum ks_err_code code, const char *file, int line,
				     const char *fmt, va_list ap)
{
	char msg[sizeof(err_state.msg)];

	/* Format aside first: a caller adding context passes ks_err_msg()
	 * itself as an argument, and vsnprintf() must not overlap. */
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	err_state.code = code;
	err_state.file = file;
	err_state.line = line;
	memcpy(err_state.msg, msg, strlen(msg) + 1);
}

int ks_err_set(enum ks_err_code code, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(code, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Append what fits of `part` while the message stays within `limit`
 * bytes (before its NUL). */
static void append_part(size_t limit, const char *part)
{
	size_t used = strlen(err_state.msg), n = strlen(part);

	if (used >= limit)
		return;
	if (n > limit - used)
		n = limit - used;
	memcpy(err_state.msg + used, part, n);
	err_state.msg[used + n] = '\0';
}

int ks_err_set_ossl(enum ks_err_code code, const char *file, int line, const char *fmt, ...)
{
	/* the errors end one byte early: the closing bracket always fits */
	const size_t limit = sizeof(err_state.msg) - 2;
	va_list ap;
	unsigned long e;
	bool open = false;

	va_start(ap, fmt);
	err_vset(code, file, line, fmt, ap);
	va_end(ap);

	/* Fold the whole queue, oldest first, then leave it empty so a later
	 * error does not inherit stale entries. */
	while ((e = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		if (!open) {
			/* no room for the opening: the queue is only drained */
			if (strlen(err_state.msg) + strlen(KS_ERR_OSSL_OPEN) >= limit)
				continue;
			append_part(limit, KS_ERR_OSSL_OPEN);
			open = true;
		} else {
			append_part(limit, " | ");
		}
		/* Append what fits; the rest of the queue is still drained. */
		append_part(limit, one);
	}
	if (open) {
		const char close[2] = { KS_ERR_OSSL_CLOSE, '\0' };

		append_part(limit + 1, close);
	}
	return -1;
}

size_t ks_err_ossl_part(const char *p, size_t n)
{
	size_t open = strlen(KS_ERR_OSSL_OPEN), i;

	if (n < open || memcmp(p, KS_ERR_OSSL_OPEN, open) != 0)
		return 0;
	for (i = open; i < n; i++)
		if (p[i] == KS_ERR_OSSL_CLOSE)
			return i + 1;
	return n;
}

void ks_err_clear(void)
{
	err_state.code = KS_OK;
	err_state.file = NULL;
	err_state.line = 0;
	err_state.msg[0] = '\0';
}

enum ks_err_code ks_err_code(void)
{
	return err_state.code;
}

const char *ks_err_msg(void)
{
	return err_state.msg;
}

const char *ks_err_file(void)
{
	return err_state.file ? err_state.file : "";
}

int ks_err_line(void)
{
	return err_state.line;
}

bool ks_err_is_fatal(void)
{
	return err_state.code == KS_ERR_NOMEM || err_state.code == KS_ERR_INTERNAL;
}
