/* libFuzzer harness for the small text formats of an API request: the
 * query string (ks_api_params_from_query), a client token in an
 * Authorization header and a personal key's activation (base64url,
 * ks_api_auth).  Oracle beyond "no crash": base64url text that decodes
 * encodes back to the same text, and a token that parses has the fixed
 * shape. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *pk;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_api_params ps;
	struct ks_buf dec, enc;
	struct ks_activation a;
	char text[512], id[KS_STORE_ID_MAX];
	uint8_t hash[KS_STORE_HASH_LEN];
	size_t i;

	ks_api_params_init(&ps);
	if (ks_api_params_from_query((const char *)data, size, &ps) == 0) {
		for (i = 0; i < ps.n; i++)
			if (strlen(ps.p[i].value) > KS_API_PARAM_VALUE_MAX)
				abort();
	}
	ks_api_params_cleanup(&ps);

	ks_buf_init(&dec, size + 8);
	ks_buf_init(&enc, 2 * size + 8);
	if (ks_base64url_decode((const char *)data, size, &dec) == 0) {
		if (ks_base64url_encode(dec.data, dec.len, &enc) < 0)
			abort();
		/* the canonical form: equal unless the input had non-zero pad bits */
		if (enc.len != size)
			abort();
	}
	ks_buf_cleanup(&dec);
	ks_buf_cleanup(&enc);

	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (ks_api_token_parse(text, id, hash) == 0 && strlen(id) != KS_TOKEN_ID_HEX)
			abort();
	}
	/* an activation: parsing stops at the signature check without a key */
	ks_activation_init(&a);
	if (pk == NULL)
		pk = EVP_EC_gen("P-256"); /* once; kept for the whole run */
	if (pk != NULL && ks_activation_parse((const char *)data, size, pk, &a) == 0)
		abort(); /* nothing the input holds is signed by this fresh key */
	ks_activation_cleanup(&a);
	return 0;
}
