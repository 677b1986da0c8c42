/* ks_api_problem: the service's errors as RFC 9457 problem details
 * (application/problem+json).
 *
 * Every failure has a stable code; its `type` is "urn:kyso:problem:" and
 * the code, its HTTP status fixed by the table in ks_api_problem.c (and
 * docs/openapi.yaml, "Problems").  The body is
 *   {"type":..,"title":..,"status":N,"detail":..,"request_id":..}
 * where `detail` is written for the client: it never carries a path, an
 * OpenSSL or PKCS#11 message or other internal detail (those go to the
 * log with the same request id). */
#ifndef KS_API_PROBLEM_H
#define KS_API_PROBLEM_H

#include "api/ks_api_http.h"
#include "ks_err.h"

#define KS_PROBLEM_TYPE_PREFIX "urn:kyso:problem:"
#define KS_PROBLEM_TYPE "application/problem+json"
#define KS_PROBLEM_DETAIL_MAX 300

/* The HTTP status of a code (500 for an unknown code). */
unsigned ks_api_problem_status(const char *code);
/* Fill r with the problem (status from the table).  Never fails: a body
 * that cannot be built leaves a minimal one. */
void ks_api_problem(struct ks_api_reply *r, const char *request_id, const char *code,
		    const char *detail);
/* The problem code for a failed operation's ks_err code (token errors
 * 503, policy refusals 422, ...); `detail` gets a text safe to show. */
const char *ks_api_problem_of_error(enum ks_err_code e, const char **detail);
/* Every code of the table, NULL-terminated (tests, docs). */
const char *const *ks_api_problem_codes(void);

#endif
