/* libFuzzer harness for the validation policy file parser
 * (signer/validate/ks_vpolicy).  Oracle beyond "no crash": a policy that
 * parses has a known level for every check and, written back as
 * "check = level" lines, parses to the same levels; a refused one leaves
 * the built-in default in place (never half applied). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer/validate/ks_vpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_vpolicy p, again, def;
	char text[KS_VC__COUNT * 64];
	size_t i, len = 0;

	ks_vpolicy_default(&def);
	if (ks_vpolicy_parse(data, size, &p) < 0) {
		if (memcmp(p.level, def.level, sizeof(p.level)) != 0)
			abort();
		return 0;
	}
	for (i = 0; i < KS_VC__COUNT; i++) {
		int w;

		if ((unsigned)p.level[i] > KS_VL_INFORM)
			abort();
		w = snprintf(text + len, sizeof(text) - len, "%s = %s\n",
			     ks_vcheck_name((enum ks_vcheck)i), ks_vlevel_name(p.level[i]));
		if (w < 0 || (size_t)w >= sizeof(text) - len)
			abort();
		len += (size_t)w;
	}
	if (ks_vpolicy_parse((const uint8_t *)text, len, &again) < 0 ||
	    memcmp(p.level, again.level, sizeof(p.level)) != 0)
		abort();
	return 0;
}
