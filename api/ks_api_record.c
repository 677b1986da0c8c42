/* The audit row of a signature handed out (ks_api_sign.h): what the
 * verification page's QR link (GET /v/<record id>) shows later.  Every
 * route that hands out a signed document writes its row here, so the
 * record id and the signed document's digest are recorded the same way
 * whatever the route. */
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "api/ks_api_int.h"
#include "api/ks_api_sign.h"
#include "ks_log.h"
#include "ks_utf8.h"

/* The certificate's common name as UTF-8 text without control
 * characters; "" when there is none such. */
static void signer_name(const struct ks_key *k, char *out, size_t n)
{
	const X509_NAME *name;
	unsigned char *u = NULL;
	int i, len;
	size_t j, cut;

	out[0] = '\0';
	if (k == NULL || k->cert == NULL)
		return;
	name = X509_get_subject_name(k->cert);
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return;
	len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (len <= 0 || u == NULL || !ks_utf8_valid(u, (size_t)len) ||
	    memchr(u, '\0', (size_t)len) != NULL)
		goto out;
	for (j = 0; j < (size_t)len; j++)
		if (u[j] < 0x20 || u[j] == 0x7f)
			goto out;
	cut = ks_utf8_cut((const char *)u, (size_t)len < KS_API_SIGNER_NAME_MAX
					       ? (size_t)len
					       : KS_API_SIGNER_NAME_MAX);
	if (cut >= n)
		cut = ks_utf8_cut((const char *)u, n - 1);
	memcpy(out, u, cut);
	out[cut] = '\0';
out:
	OPENSSL_free(u);
}

void ks_api_signed_ref_of(struct ks_api_signed_ref *ref, const struct ks_api_request *q,
			  const struct ks_sign_outcome *res, const struct ks_buf *signed_doc,
			  const struct ks_key *signer, const struct ks_api_doc_hash *in)
{
	memset(ref, 0, sizeof(*ref));
	ks_api_doc_hash_of(in, signed_doc->data, signed_doc->len, ref->digest);
	/* The id is that of what is handed out: the document the QR code of
	 * which a parent scans.  The signer read it while signing when it
	 * could (a PDF keeps its /Info); otherwise it is read from the signed
	 * document.  A document that carries none (or none well-formed) is
	 * signed all the same, with no id recorded. */
	if (res->record_read) {
		memcpy(ref->record, res->record, sizeof(ref->record));
	} else if (ks_record_ref_of(res->format, signed_doc->data, signed_doc->len, ref->record) <
		   0) {
		ks_log(KS_LOG_WARN, "request %s: record id not read: %s", q->id, ks_err_msg());
		ks_err_clear();
		ref->record[0] = '\0';
	}
	signer_name(signer, ref->signer, sizeof(ref->signer));
}

void ks_api_audit_event_signed(struct ks_audit_event *ev, const struct ks_api_signed_ref *ref)
{
	ev->record = ref->record;
	ev->signed_digest = ref->digest;
	ev->signer = ref->signer;
}
