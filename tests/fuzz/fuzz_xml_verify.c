/* libFuzzer harness for XML signature verification: the safe reader
 * (formats/xml/ks_xml), the XMLDSig profile and XAdES facts
 * (ks_xades_verify_mem) and the report (signer/ks_verify_xml), from
 * memory, with a fixed detached content and an empty trust store (results
 * never depend on the test PKI of the day), rendered as text and JSON in
 * both languages.
 *
 * Oracle beyond "no crash, no leak, no hang": nothing is TOTAL-PASSED (no
 * anchor); a signature without a format-level finding has its signer
 * certificate, a checked and good signature value, and every reference
 * it could compute matching; a finding always comes with a reason.
 *
 * Seeds (tests/fuzz/corpus/xml_verify/): records signed by kyso
 * (enveloped RSA, ECDSA, RSA-PSS, enveloping, detached, parallel,
 * counter-signed, B-T, B-LT and B-LTA) and attacked copies (changed grade, wrapping, duplicate
 * ID, DOCTYPE, deep nesting). */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/xml/ks_xades.h"
#include "signer/ks_verify_xml.h"

#define FUZZ_CONTENT "kyso fuzz content\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_facts(const struct ks_xades_result *r)
{
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		const struct ks_xades_sig_facts *f = &r->sigs[i];

		if (f->sub != KS_SUB_NONE) {
			if (f->detail[0] == '\0')
				abort();
			continue;
		}
		/* a timestamp read without a problem has its token and the
		 * digests of what it covers */
		if (f->n_ts > KS_XADES_TS_MAX || f->n_vals > KS_XADES_VALS_MAX)
			abort();
		for (k = 0; k < f->n_ts; k++)
			if (f->ts[k].problem[0] == '\0' &&
			    (f->ts[k].token.len == 0 || f->ts[k].digest_len[KS_MD_SHA256] != 32 ||
			     f->ts[k].digest_len[KS_MD_SHA512] != 64))
				abort();
		if (f->signer == NULL || !f->value_checked || !f->value_ok)
			abort();
		for (k = 0; k < f->n_refs; k++)
			if (f->refs[k].status == KS_XADES_REF_MISMATCH)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_xades_verify_opts o = { .content = (const uint8_t *)FUZZ_CONTENT,
					  .content_len = strlen(FUZZ_CONTENT),
					  .content_name = "content.txt" };
	struct ks_xades_result r;
	struct ks_report rep;
	struct ks_buf out;
	struct ks_validation val;
	struct ks_trust *store = NULL;
	enum ks_lang lang;
	size_t i;

	if (ks_trust_new(&store) < 0)
		abort();
	ks_validation_init(&val);
	val.trust = store;
	val.rev.offline = true;
	val.rev.cache_dir = "";
	ks_xades_result_init(&r);
	if (ks_xades_verify_mem(data, size, &o, &r) == 0)
		check_facts(&r);
	ks_xades_result_cleanup(&r);
	for (lang = KS_LANG_VI; lang <= KS_LANG_EN; lang++) {
		ks_report_init(&rep);
		ks_buf_init(&out, (size_t)4 << 20);
		if (ks_verify_xml_mem(data, size,
				      lang == KS_LANG_EN ? (const uint8_t *)FUZZ_CONTENT : NULL,
				      strlen(FUZZ_CONTENT), "content.txt", &val, lang, &rep) == 0) {
			for (i = 0; i < rep.n; i++)
				if (rep.sigs[i].indication == KS_IND_TOTAL_PASSED)
					abort();
			if (ks_report_text(&rep, lang, &out) < 0 ||
			    ks_report_json(&rep, lang, &out) < 0)
				abort();
		}
		ks_buf_cleanup(&out);
		ks_report_cleanup(&rep);
	}
	ks_trust_free(store);
	ks_err_clear();
	return 0;
}
