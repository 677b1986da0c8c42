/* The whole verification of a detached CMS signature as `kyso verify`
 * runs it (signer/ks_job: the format module, then the validation engine)
 * for unit tests: revocation off (no responders here). */
#ifndef KS_TEST_VERIFY_JOB_H
#define KS_TEST_VERIFY_JOB_H

#include <string.h>
#include <time.h>

#include "ks_test.h"
#include "signer/ks_job.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_engine.h"
#include "signer/validate/ks_trust.h"

/* Verify `der` over `content` with the anchors of `trust` (NULL: none)
 * at `at` (0: now) into rep (initialised here; the caller cleans it up). */
static inline void ks_test_verify_cms(const uint8_t *der, size_t n, const void *content,
				      size_t clen, const struct ks_trust *trust, time_t at,
				      struct ks_report *rep)
{
	struct ks_validation val;
	struct ks_verify_job j;

	ks_validation_init(&val);
	val.revocation = false;
	val.trust = trust;
	val.at = at;
	memset(&j, 0, sizeof(j));
	j.data = der;
	j.len = n;
	j.content = content;
	j.content_len = clen;
	j.format = KS_FORMAT_CMS;
	j.val = &val;
	ks_report_init(rep);
	assert_ok(ks_job_verify(&j, rep));
	assert_true(rep->n >= 1);
}

#endif
