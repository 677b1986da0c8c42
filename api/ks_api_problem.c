/* RFC 9457 problem details (ks_api_problem.h). */
#include "api/ks_api_problem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct problem {
	const char *code;
	unsigned status;
	const char *title;
};

static const struct problem table[] = {
	{ "bad-json", 400, "The JSON body is malformed" },
	{ "bad-multipart", 400, "The multipart body is malformed" },
	{ "bad-base64", 400, "A binary value is not valid base64" },
	{ "bad-parameter", 400, "A parameter is missing, unknown or invalid" },
	{ "unauthorized", 401, "A valid client token is required" },
	{ "forbidden-operation", 403, "The client may not use this operation" },
	{ "forbidden-key", 403, "The client may not use this key" },
	{ "activation-required", 403, "The key holder's activation is required" },
	{ "activation-invalid", 403, "The activation does not allow this request" },
	{ "prepared-other-client", 403, "The prepared signature belongs to another client" },
	{ "prepared-wrong-certificate", 403,
	  "The certificate is not the one the signature was prepared for" },
	{ "not-found", 404, "No such endpoint" },
	{ "unknown-key", 404, "No such key" },
	{ "prepared-not-found", 404, "No such prepared signature" },
	{ "method-not-allowed", 405, "Method not allowed" },
	{ "prepared-used", 409, "The prepared signature was already completed" },
	{ "prepared-expired", 410, "The prepared signature has expired" },
	{ "too-large", 413, "The request body is too large" },
	{ "unsupported-media-type", 415, "Unsupported Content-Type" },
	{ "bad-document", 422, "The document cannot be signed" },
	{ "policy-refused", 422, "The signing policy refuses the key or certificate" },
	{ "bad-signature", 422, "The signature value does not verify" },
	{ "rate-limited", 429, "Too many requests" },
	{ "internal", 500, "Internal error" },
	{ "tsa-unavailable", 502, "The time-stamping authority did not answer" },
	{ "token-unavailable", 503, "The signing token is not available" },
	{ "storage-unavailable", 503, "The service's storage is not available" },
	{ "stopping", 503, "The service is stopping" },
};
#define N_PROBLEMS (sizeof(table) / sizeof(table[0]))

static const struct problem *find(const char *code)
{
	size_t i;

	for (i = 0; i < N_PROBLEMS; i++)
		if (strcmp(table[i].code, code) == 0)
			return &table[i];
	return NULL;
}

unsigned ks_api_problem_status(const char *code)
{
	const struct problem *p = find(code);

	return p != NULL ? p->status : 500;
}

const char *const *ks_api_problem_codes(void)
{
	static const char *codes[N_PROBLEMS + 1];
	size_t i;

	for (i = 0; i < N_PROBLEMS; i++)
		codes[i] = table[i].code;
	codes[N_PROBLEMS] = NULL;
	return codes;
}

void ks_api_problem(struct ks_api_reply *r, const char *request_id, const char *code,
		    const char *detail)
{
	const struct problem *p = find(code);
	json_t *o = json_object();
	char type[96], *dump = NULL;

	static const struct problem internal = { "internal", 500, "Internal error" };

	if (p == NULL)
		p = &internal;
	r->status = p->status;
	r->content_type = KS_PROBLEM_TYPE;
	ks_buf_reset(&r->body);
	snprintf(type, sizeof(type), KS_PROBLEM_TYPE_PREFIX "%s", p->code);
	if (o != NULL && json_object_set_new(o, "type", json_string(type)) == 0 &&
	    json_object_set_new(o, "title", json_string(p->title)) == 0 &&
	    json_object_set_new(o, "status", json_integer(p->status)) == 0 &&
	    json_object_set_new(o, "request_id", json_string(request_id)) == 0 &&
	    (detail == NULL ||
	     json_object_set_new(
		 o, "detail", json_stringn(detail, strnlen(detail, KS_PROBLEM_DETAIL_MAX))) == 0))
		dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (dump == NULL || ks_buf_append_str(&r->body, dump) < 0 ||
	    ks_buf_append_byte(&r->body, '\n') < 0) {
		ks_err_clear();
		ks_buf_reset(&r->body);
		if (ks_buf_printf(&r->body, "{\"status\":%u,\"type\":\"%s\"}\n", p->status, type) <
		    0)
			ks_err_clear();
	}
	free(dump);
}

const char *ks_api_problem_of_error(enum ks_err_code e, const char **detail)
{
	switch (e) {
	case KS_ERR_TOKEN:
	case KS_ERR_PKCS11:
	case KS_ERR_PIN:
		*detail = "the token did not answer; try again shortly";
		return "token-unavailable";
	case KS_ERR_POLICY:
	case KS_ERR_CERT:
		*detail = "the signing policy refuses the certificate, key or digest";
		return "policy-refused";
	case KS_ERR_PARSE:
	case KS_ERR_PDF:
	case KS_ERR_PDF_XREF:
	case KS_ERR_XML:
	case KS_ERR_CMS:
	case KS_ERR_TRUNCATED:
	case KS_ERR_ENCODING:
	case KS_ERR_UNSUPPORTED:
	case KS_ERR_LIMIT:
	case KS_ERR_USAGE:
	case KS_ERR_ARG:
		*detail = "the document or an option cannot be used for this signature";
		return "bad-document";
	case KS_ERR_NET:
	case KS_ERR_NET_DOWN:
	case KS_ERR_NET_TIMEOUT:
	case KS_ERR_NET_STATUS:
	case KS_ERR_NET_TYPE:
	case KS_ERR_TSP:
		*detail = "the time-stamping authority did not give a usable timestamp";
		return "tsa-unavailable";
	default:
		*detail = "internal error";
		return "internal";
	}
}
