/* Common includes for the cmocka unit tests. */
#ifndef KS_TEST_H
#define KS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ks_err.h"

/* Assert a call failed with the given error code. */
#define assert_fails_with(call, code)                    \
	do {                                             \
		ks_err_clear();                          \
		assert_int_equal((call), -1);            \
		assert_int_equal(ks_err_code(), (code)); \
	} while (0)

#define assert_ok(call)                                                                       \
	do {                                                                                  \
		int ks_t_rc_ = (call);                                                        \
		if (ks_t_rc_ != 0)                                                            \
			fail_msg("%s failed: %s (%s:%d)", #call, ks_err_msg(), ks_err_file(), \
				 ks_err_line());                                              \
	} while (0)

/* Path to a file of the test PKI (build/pki by default). */
static inline const char *ks_test_pki(const char *name)
{
	static char path[4096];
	const char *dir = getenv("KYSO_PKI_DIR");

	if (dir == NULL)
		dir = "build/pki";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return NULL;
	return path;
}

/* Group set-up of the tests that need the test PKI: 0 when files a and b
 * (b may be NULL) are there, else -1, saying `make pki` has not run. */
static inline int ks_test_pki_ready(const char *a, const char *b)
{
	if (access(ks_test_pki(a), R_OK) != 0 || (b != NULL && access(ks_test_pki(b), R_OK) != 0)) {
		fprintf(stderr, "# test PKI missing in %s: run `make pki`\n", ks_test_pki(""));
		return -1;
	}
	return 0;
}

#endif
