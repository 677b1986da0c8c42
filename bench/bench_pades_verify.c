/* In-process PAdES verification rate: `bench_pades_verify FILE ROOTS`
 * verifies the signed PDF FILE against the trust anchors in ROOTS (PEM)
 * in a loop for BENCH_SECONDS (default 2) -- mapping, reader, ByteRange
 * digest, CMS and chain, modification analysis, the report -- and prints
 *
 *   kyso_verify_rate <docs/s>
 *
 * bench/pades_verify.sh runs it beside pdfsig on the same file.  Without
 * arguments (as bench/run.sh calls every bench_* binary) it does nothing. */
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ks_key.h"
#include "signer/ks_report.h"
#include "signer/ks_verify_pdf.h"
#include "signer/validate/ks_trust.h"
#include "common.h"

int main(int argc, char **argv)
{
	struct ks_trust *store = NULL;
	struct ks_validation val;
	struct ks_report rep;
	const char *env = getenv("BENCH_SECONDS");
	double secs = env != NULL ? strtod(env, NULL) : 2.0, t0, t;
	long n = 0;
	int rc = 1;

	if (argc == 1)
		return 0;
	if (argc != 3) {
		fprintf(stderr, "usage: bench_pades_verify FILE ROOTS.pem\n");
		return 1;
	}
	if (secs <= 0)
		secs = 2.0;
	/* Like with like: pdfsig checks no revocation either. */
	if (ks_trust_new(&store) < 0 || ks_trust_add_anchors(store, argv[2]) < 0)
		goto out;
	ks_validation_init(&val);
	val.trust = store;
	val.revocation = false;
	t0 = bench_now();
	do {
		ks_report_init(&rep);
		if (ks_verify_pdf_file(argv[1], &val, KS_LANG_VI, &rep) < 0 ||
		    ks_report_indication(&rep) != KS_IND_TOTAL_PASSED) {
			fprintf(stderr, "bench_pades_verify: %s does not verify: %s\n", argv[1],
				ks_err_msg());
			ks_report_cleanup(&rep);
			goto out;
		}
		ks_report_cleanup(&rep);
		n++;
		t = bench_now();
	} while (t - t0 < secs);
	printf("kyso_verify_rate %.1f\n", (double)n / (t - t0));
	if (getenv("BENCH_COUNT") != NULL)
		printf("documents %zu\n", (size_t)n);
	rc = 0;
out:
	ks_trust_free(store);
	return rc;
}
