/* The signature dictionary (ISO 32000-1 12.8.1, Table 252; ETSI EN 319
 * 142-1 5.3) but /ByteRange and /Contents, its signature references
 * (DocMDP, FieldMDP: Tables 253-255), and the signer's names from the
 * certificate. */
#include <math.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_sign_int.h"

/* A subject attribute of the certificate (commonName, title) as UTF-8,
 * owned by the caller; *out NULL when absent and not required. */
int ks_pdf_sign_cert_attr(X509 *cert, int nid, bool required, char **out)
{
	X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : NULL;
	int idx = name != NULL ? X509_NAME_get_index_by_NID(name, nid, -1) : -1;
	unsigned char *utf8 = NULL;
	int n;

	*out = NULL;
	if (idx < 0) {
		if (!required)
			return 0;
		return KS_SET(KS_ERR_CERT, "the signer certificate has no %s", OBJ_nid2ln(nid));
	}
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (n <= 0)
		return ks_err_set_ossl(KS_ERR_CERT, __FILE__, __LINE__,
				       "cannot read the certificate's %s", OBJ_nid2ln(nid));
	*out = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	if (*out == NULL || strlen(*out) != (size_t)n) {
		free(*out);
		*out = NULL;
		return KS_SET(KS_ERR_CERT, "bad %s in the signer certificate", OBJ_nid2ln(nid));
	}
	return 0;
}

/* Append " /Key <text string>" when value is set. */
static int put_text_entry(struct ks_buf *b, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	if (strlen(value) > KS_PDF_MAX_STRING / 4)
		return KS_SET(KS_ERR_LIMIT, "/%s text too long", key);
	if (ks_buf_printf(b, " /%s ", key) < 0 || ks_pdf_put_text(b, value) < 0)
		return -1;
	return 0;
}

/* The lock dictionary (Table 233) or TransformParams entries for it. */
int ks_pdf_sign_lock_entries(const struct ks_pades_opts *o, struct ks_buf *b)
{
	size_t i;

	switch (o->lock) {
	case KS_PADES_LOCK_ALL:
		return ks_buf_append_str(b, " /Action /All");
	case KS_PADES_LOCK_INCLUDE:
	case KS_PADES_LOCK_EXCLUDE:
		if (ks_buf_printf(b, " /Action /%s /Fields [",
				  o->lock == KS_PADES_LOCK_INCLUDE ? "Include" : "Exclude") < 0)
			return -1;
		for (i = 0; i < o->n_lock_fields; i++)
			if ((i > 0 && ks_buf_append_byte(b, ' ') < 0) ||
			    ks_pdf_put_text(b, o->lock_fields[i]) < 0)
				return -1;
		return ks_buf_append_byte(b, ']');
	case KS_PADES_LOCK_NONE:
		break;
	}
	return 0;
}

/* TransformParams entries from an existing field's /Lock dictionary. */
int ks_pdf_sign_field_lock_entries(struct ks_pdf_signer *s, const struct ks_pdf_field *f,
				   struct ks_buf *b)
{
	struct ks_pdf_val *node = NULL, *lock = NULL;
	const struct ks_pdf_val *a, *fl;
	int rc = -1;

	KS_GUARD(ks_pdf_rd_get(s->rd, f->num, f->gen, &node));
	KS_GUARD(ks_pdf_form_resolve(s->rd, ks_pdf_val_get(node, "Lock"), &lock));
	a = ks_pdf_val_get(lock, "Action");
	if (a != NULL && a->type == KS_PV_NAME) {
		KS_GUARD(ks_buf_append_str(b, " /Action "));
		KS_GUARD(ks_pdf_val_put(b, a));
		fl = ks_pdf_val_get(lock, "Fields");
		if (fl != NULL && fl->type == KS_PV_ARRAY) {
			KS_GUARD(ks_buf_append_str(b, " /Fields "));
			KS_GUARD(ks_pdf_val_put(b, fl));
		}
	}
	rc = 0;
out:
	ks_pdf_val_free(node);
	ks_pdf_val_free(lock);
	return rc;
}

/* Entries of the signature dictionary (12.8.1, Table 252; ETSI EN 319
 * 142-1 5.3) other than /ByteRange and /Contents. */
int ks_pdf_sign_sig_entries(struct ks_pdf_signer *s, struct ks_buf *sd)
{
	const struct ks_pades_opts *o = s->o;
	bool fieldmdp = s->lock_num != 0 || s->field_lock.len > 0;

	/* ISO 32000-2 12.8.5, ETSI EN 319 142-1 5.4.3: the token's time is
	 * the TSA's; the dictionary names nobody. */
	if (o->doc_timestamp)
		return ks_buf_append_str(sd, "/Type /DocTimeStamp /Filter /Adobe.PPKLite "
					     "/SubFilter /ETSI.RFC3161") < 0
			   ? -1
			   : ks_buf_append_byte(sd, '\0');
	if (ks_buf_append_str(sd, "/Type /Sig /Filter /Adobe.PPKLite "
				  "/SubFilter /ETSI.CAdES.detached /M ") < 0 ||
	    ks_pdf_put_date(sd, s->when, o->tz_min) < 0 ||
	    put_text_entry(sd, "Name", o->name != NULL ? o->name : s->cn) < 0 ||
	    put_text_entry(sd, "Reason", o->reason) < 0 ||
	    put_text_entry(sd, "Location", o->location) < 0 ||
	    put_text_entry(sd, "ContactInfo", o->contact_info) < 0)
		return -1;
	if (o->certify == 0 && !fieldmdp)
		return ks_buf_append_byte(sd, '\0');
	/* Signature references (12.8.1, Table 253; 12.8.2.2, 12.8.2.4). */
	if (ks_buf_append_str(sd, " /Reference [") < 0)
		return -1;
	if (o->certify > 0 &&
	    ks_buf_printf(sd,
			  "<< /Type /SigRef /TransformMethod /DocMDP "
			  "/TransformParams << /Type /TransformParams /P %d /V /1.2 "
			  ">> >>",
			  o->certify) < 0)
		return -1;
	if (fieldmdp) {
		if (ks_buf_append_str(sd, "<< /Type /SigRef /TransformMethod /FieldMDP "
					  "/TransformParams << /Type /TransformParams") < 0)
			return -1;
		if (s->lock_num != 0 ? ks_pdf_sign_lock_entries(o, sd) < 0
				     : ks_buf_append(sd, s->field_lock.data, s->field_lock.len) < 0)
			return -1;
		/* /Data: the object the analysis starts from, the catalog. */
		if (ks_buf_printf(sd, " /V /1.2 >> /Data %u %u R >>", (unsigned)s->info.root_num,
				  (unsigned)s->info.root_gen) < 0)
			return -1;
	}
	if (ks_buf_append_str(sd, "]") < 0)
		return -1;
	return ks_buf_append_byte(sd, '\0');
}
