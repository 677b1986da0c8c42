/* libFuzzer harness for PAdES verification (formats/pdf/ks_pades_verify)
 * and the whole verification behind `kyso verify` (signer/ks_verify_pdf:
 * the format module, then the validation engine): the input is a whole
 * PDF, verified from memory by the format module, then by both with no
 * trust anchors, revocation off and a fixed validation time (so results
 * never depend on the test PKI of the day), the report rendered as text
 * and JSON in both languages.
 *
 * Oracle beyond "no crash, no leak, no hang": every entry the format
 * module does not fail has a sane /ByteRange inside the input whose end
 * is the end of its signed revision, and no entry of the report is
 * TOTAL-PASSED (nothing chains to no anchor).
 *
 * Seeds (tests/fuzz/corpus/pades_verify/): small PDFs signed by kyso
 * (plain, serial, certified, visible, xref stream), and
 * attacked copies of them (pages changed after signing, /Contents with
 * extra data, truncated). */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "formats/pdf/ks_pades_verify.h"
#include "signer/ks_verify_pdf.h"
#include "signer/validate/ks_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ks_pades_verify_result *r, size_t size)
{
	const struct ks_pades_sig *s;
	size_t i;

	for (i = 0; i < r->n; i++) {
		s = &r->sigs[i];
		if (s->indication == KS_IND_TOTAL_FAILED)
			continue;
		if (!s->has_byte_range || s->byte_range[0] != 0 ||
		    s->byte_range[1] >= s->byte_range[2] ||
		    s->byte_range[2] + s->byte_range[3] > size || s->rev >= r->nrevs ||
		    (s->coverage != KS_PADES_COVER_WHOLE && s->coverage != KS_PADES_COVER_REVISION))
			abort();
		for (size_t k = 0; k < s->n_changes; k++)
			if (!s->changes[k].allowed)
				abort(); /* a refused change must fail the signature */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_pades_verify_opts opts = { 0 };
	struct ks_pades_verify_result res;
	struct ks_validation val;
	struct ks_report rep;
	struct ks_buf out;
	size_t i;
	int lang;

	ks_pades_verify_result_init(&res);
	if (ks_pades_verify_mem(data, size, &opts, &res) == 0)
		check(&res, size);
	ks_pades_verify_result_cleanup(&res);
	ks_validation_init(&val);
	val.revocation = false;
	val.at = 1780000000; /* fixed validation time */
	for (lang = KS_LANG_VI; lang <= KS_LANG_EN; lang++) {
		ks_report_init(&rep);
		ks_buf_init(&out, (size_t)8 << 20);
		if (ks_verify_pdf_mem(data, size, &val, (enum ks_lang)lang, &rep) == 0) {
			for (i = 0; i < rep.n; i++)
				if (rep.sigs[i].indication == KS_IND_TOTAL_PASSED)
					abort(); /* no anchor proves nothing */
			(void)!ks_report_text(&rep, (enum ks_lang)lang, &out);
			ks_buf_reset(&out);
			(void)!ks_report_json(&rep, (enum ks_lang)lang, &out);
		}
		ks_buf_cleanup(&out);
		ks_report_cleanup(&rep);
	}
	return 0;
}
