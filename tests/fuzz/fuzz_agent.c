/* libFuzzer harness for what a page sends the signing agent that is not
 * JSON: the confirmation form (ks_agent_form_parse) and document labels
 * (ks_agent_label_ok), and the origin syntax of the configuration.
 * Oracle beyond "no crash": a parsed form keeps every value within its
 * limit and the PIN in a secret buffer; an accepted label is valid UTF-8
 * without controls; an accepted origin has no path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_agent.h"
#include "api/ks_agent_int.h"
#include "ks_cur.h"
#include "ks_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_agent_form f;
	char text[KS_AGENT_ORIGIN_MAX + 1];

	memset(&f, 0, sizeof(f));
	ks_buf_init_secret(&f.pin, KS_AGENT_FIELD_MAX);
	if (ks_agent_form_parse(data, size, &f) == 0) {
		if (strlen(f.nonce) > KS_AGENT_ID_HEX || strlen(f.action) >= sizeof(f.action) ||
		    f.pin.len > KS_AGENT_FIELD_MAX || !f.pin.secret ||
		    memchr(f.pin.data != NULL ? f.pin.data : (const uint8_t *)"", 0, f.pin.len))
			abort();
	}
	ks_buf_cleanup(&f.pin);
	ks_err_clear();

	if (ks_agent_label_ok((const char *)data, size)) {
		struct ks_cur c;
		uint32_t cp;

		ks_cur_init(&c, data, size);
		while (!ks_cur_eof(&c))
			if (ks_utf8_next(&c, &cp) < 0 || cp < 0x20 || cp == 0x7f)
				abort();
	}
	ks_err_clear();

	if (size <= KS_AGENT_ORIGIN_MAX) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (ks_agent_origin_check(text) == 0) {
			const char *host = strstr(text, "://");

			if (host == NULL || strchr(host + 3, '/') != NULL || strlen(text) != size)
				abort();
		}
		ks_err_clear();
	}
	return 0;
}
