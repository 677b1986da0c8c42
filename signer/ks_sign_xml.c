/* XAdES signing of a file: options, policy, input, atomic output. */
#include "signer/ks_sign_xml.h"

#include <string.h>

#include "ks_io.h"
#include "signer/ks_policy.h"
#include "signer/ks_xml_lt.h"

void ks_sign_xml_opts_init(struct ks_sign_xml_opts *o)
{
	memset(o, 0, sizeof(*o));
}

int ks_sign_xml_parse_mode(const char *s, enum ks_xades_mode *mode)
{
	if (s == NULL || strcmp(s, "enveloped") == 0)
		*mode = KS_XADES_ENVELOPED;
	else if (strcmp(s, "enveloping") == 0)
		*mode = KS_XADES_ENVELOPING;
	else if (strcmp(s, "detached") == 0)
		*mode = KS_XADES_DETACHED;
	else
		return KS_SET(KS_ERR_USAGE, "--xml-mode must be enveloped, enveloping or detached");
	return 0;
}

/* The name a detached signature's Reference carries: the file name
 * without directories (the verifier is given the file anyway). */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The record from a file (in_path) or memory (in_data, named `name`), the
 * result to a file (out_path) or appended to out_buf. */
static int sign_xml_any(struct ks_key *key, const char *in_path, const uint8_t *in_data,
			size_t in_len, const char *name, const char *out_path,
			struct ks_buf *out_buf, const struct ks_sign_xml_opts *o)
{
	struct ks_xades_sign_opts xo;
	struct ks_buf in, out, pol, polh;
	struct ks_xml_lt lt;
	size_t in_max;
	int rc = -1;

	ks_xades_sign_opts_init(&xo);
	ks_buf_init(&in, KS_SIGN_XML_CONTENT_MAX);
	ks_buf_init(&out, KS_XADES_OUT_MAX);
	ks_buf_init(&pol, KS_SIGN_XML_POLICY_MAX);
	ks_buf_init(&polh, EVP_MAX_MD_SIZE);
	memset(&lt, 0, sizeof(lt));
	KS_GUARD(ks_xml_level_parse(o->level, &lt.level));
	lt.tsa = o->tsa;
	lt.ltv = o->ltv;
	KS_GUARD(ks_xml_lt_check(&lt, o->level));
	if (lt.level > KS_XML_B_B && o->counter_sign)
		KS_BAIL(KS_ERR_USAGE, "a counter-signature is made at B-B; raise the document "
				      "with kyso extend");
	KS_GUARD(ks_sign_xml_parse_mode(o->mode, &xo.mode));
	if (o->md != NULL)
		KS_GUARD(ks_md_parse(o->md, &xo.md));
	KS_GUARD(ks_policy_check_md(xo.md));
	KS_GUARD(ks_policy_check_key(key, xo.md, 0));
	xo.scheme = ks_key_default_scheme(key);
	if (o->rsa_pss) {
		if (key->type != KS_KEY_RSA)
			KS_BAIL(KS_ERR_USAGE, "--pss needs an RSA key");
		xo.scheme = KS_SIG_RSA_PSS;
	}
	if ((o->policy_id == NULL) != (o->policy_file == NULL))
		KS_BAIL(KS_ERR_USAGE, "--sig-policy and --sig-policy-file go together");
	if (o->policy_id != NULL) {
		KS_GUARD(ks_file_read(o->policy_file, KS_SIGN_XML_POLICY_MAX, &pol));
		KS_GUARD(ks_md_digest(xo.md, pol.data, pol.len, &polh));
		xo.policy_id = o->policy_id;
		xo.policy_md = xo.md;
		xo.policy_digest = polh.data;
		xo.policy_digest_len = polh.len;
	}
	xo.parallel = o->parallel;
	xo.counter_sign = o->counter_sign;
	xo.counter_of = o->counter_of;
	xo.role = o->role;
	xo.signing_time = o->signing_time;
	xo.sig_id = o->sig_id;
	xo.detached_uri = base_name(in_data != NULL ? (name != NULL ? name : "document") : in_path);
	if (o->counter_sign && (o->mode != NULL || o->parallel))
		KS_BAIL(KS_ERR_USAGE, "--counter-sign takes neither --xml-mode nor --xml-parallel");
	in_max = xo.mode == KS_XADES_DETACHED && !o->counter_sign ? KS_SIGN_XML_CONTENT_MAX
								  : KS_XML_DOC_MAX;
	if (in_data == NULL) {
		KS_GUARD(ks_file_read(in_path, in_max, &in));
		in_data = in.data;
		in_len = in.len;
	} else if (in_len > in_max) {
		KS_BAIL(KS_ERR_LIMIT, "the record is %zu bytes; the limit is %zu", in_len, in_max);
	}
	if (lt.level > KS_XML_B_B) {
		if (xo.mode == KS_XADES_DETACHED) {
			lt.ext = in_data;
			lt.ext_len = in_len;
		}
		xo.unsigned_fn = ks_xml_lt_apply;
		xo.unsigned_arg = &lt;
	}
	if (out_path == NULL) {
		KS_GUARD(ks_xades_sign(key, in_data, in_len, &xo, out_buf));
	} else {
		KS_GUARD(ks_xades_sign(key, in_data, in_len, &xo, &out));
		KS_GUARD(ks_file_write_atomic(out_path, out.data, out.len, 0666));
	}
	rc = 0;
out:
	ks_buf_cleanup(&in);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&pol);
	ks_buf_cleanup(&polh);
	return rc;
}

int ks_sign_xml(struct ks_key *key, const char *in_path, const char *out_path,
		const struct ks_sign_xml_opts *o)
{
	return sign_xml_any(key, in_path, NULL, 0, NULL, out_path, NULL, o);
}

int ks_sign_xml_mem(struct ks_key *key, const uint8_t *in, size_t len, const char *name,
		    struct ks_buf *out, const struct ks_sign_xml_opts *o)
{
	if (in == NULL || out == NULL)
		return KS_SET(KS_ERR_ARG, "no record or no output buffer");
	return sign_xml_any(key, NULL, in, len, name, NULL, out, o);
}
