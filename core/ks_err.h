/* ks_err: one error enum, one thread-local "last error" with file:line.
 *
 * A failing function records the error once, where it happens, with
 * KS_BAIL(); callers pass it up with KS_GUARD().  Both jump to the
 * function's single `out:` label (STYLE rule 4). */
#ifndef KS_ERR_H
#define KS_ERR_H

#include <stdbool.h>
#include <stddef.h>

#define KS_WUR __attribute__((warn_unused_result))
#define KS_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum ks_err_code {
	KS_OK = 0,
	KS_ERR_INTERNAL,
	KS_ERR_NOMEM,
	KS_ERR_ARG,         /* caller passed something invalid */
	KS_ERR_USAGE,       /* command-line usage */
	KS_ERR_IO,          /* file or socket I/O */
	KS_ERR_OVERFLOW,    /* size arithmetic would overflow */
	KS_ERR_LIMIT,       /* a named limit was exceeded */
	KS_ERR_TRUNCATED,   /* input ended early */
	KS_ERR_PARSE,       /* malformed input */
	KS_ERR_ENCODING,    /* base64 / hex / UTF-8 */
	KS_ERR_SECRET,      /* attempt to log or leak a secret buffer */
	KS_ERR_CRYPTO,      /* OpenSSL failure */
	KS_ERR_PKCS11,      /* generic PKCS#11 failure */
	KS_ERR_PIN,         /* wrong / locked / missing PIN */
	KS_ERR_TOKEN,       /* token removed, not present, session lost */
	KS_ERR_NOT_FOUND,   /* no token / key / certificate matched */
	KS_ERR_AMBIGUOUS,   /* more than one object matched */
	KS_ERR_CERT,        /* certificate unusable */
	KS_ERR_POLICY,      /* refused by signing policy */
	KS_ERR_UNSUPPORTED, /* algorithm or feature not supported */
	KS_ERR_CMS,
	KS_ERR_PDF,
	KS_ERR_PDF_XREF,
	KS_ERR_XML,
	KS_ERR_VERIFY,      /* verification could not run */
	KS_ERR_PENDING,     /* two-phase signing: the signature is to be supplied by the client */
	KS_ERR_NET,         /* network failure not covered below (TLS, protocol) */
	KS_ERR_NET_DOWN,    /* peer unreachable: refused, no route, name not resolved */
	KS_ERR_NET_TIMEOUT, /* peer too slow: connect or total time limit */
	KS_ERR_NET_STATUS,  /* peer answered with an HTTP error status (or a redirect) */
	KS_ERR_NET_TYPE,    /* peer answered with the wrong Content-Type */
	KS_ERR_TSP,         /* timestamp refused, or a response that does not hold */
	KS_ERR__COUNT
};

/* Record an error.  `fmt` is printf-style; the message is truncated to
 * KS_ERR_MSG_MAX bytes.  Always returns -1 so it can end a return. */
int ks_err_set(enum ks_err_code code, const char *file, int line, const char *fmt, ...)
    KS_PRINTF(4, 5);
/* Same, then append the OpenSSL error queue (" [openssl: ... | ...]") and
 * clear it.  The bracketed part is for logs and technicians: text shown to
 * the people a report is for leaves it out (ks_err_ossl_part).  When the
 * message leaves no room for the whole opening and the bracket, the queue
 * is only cleared. */
int ks_err_set_ossl(enum ks_err_code code, const char *file, int line, const char *fmt, ...)
    KS_PRINTF(4, 5);
#define KS_ERR_OSSL_OPEN " [openssl: "
#define KS_ERR_OSSL_CLOSE ']'
/* How many of the `n` bytes at `p` an OpenSSL part of a message takes (its
 * opening, the errors and the closing bracket, or up to `n` when the
 * bracket is missing): 0 when `p` does not start one. */
size_t ks_err_ossl_part(const char *p, size_t n);

void ks_err_clear(void);
enum ks_err_code ks_err_code(void);
const char *ks_err_msg(void);  /* "" when no error; valid until the next set */
const char *ks_err_file(void); /* "" when no error */
int ks_err_line(void);
const char *ks_err_name(enum ks_err_code code); /* stable identifier, e.g. "io" */
/* Is the last error one no caller may turn into a verdict or a repair
 * (KS_ERR_NOMEM, KS_ERR_INTERNAL)?  Every other error describes the
 * input and may be reported as a finding about it. */
bool ks_err_is_fatal(void);

#define KS_ERR_MSG_MAX 1024

#define KS_SET(code, ...) ks_err_set((code), __FILE__, __LINE__, __VA_ARGS__)
#define KS_BAIL(code, ...)                                           \
	do {                                                         \
		ks_err_set((code), __FILE__, __LINE__, __VA_ARGS__); \
		goto out;                                            \
	} while (0)
#define KS_BAIL_OSSL(code, ...)                                           \
	do {                                                              \
		ks_err_set_ossl((code), __FILE__, __LINE__, __VA_ARGS__); \
		goto out;                                                 \
	} while (0)
/* Pass a failure (already recorded) up to `out:`. */
#define KS_GUARD(call)            \
	do {                      \
		if ((call) < 0)   \
			goto out; \
	} while (0)
/* Fail with an error when a condition does not hold. */
#define KS_ENSURE(cond, code, ...)                    \
	do {                                          \
		if (!(cond))                          \
			KS_BAIL((code), __VA_ARGS__); \
	} while (0)

#endif
