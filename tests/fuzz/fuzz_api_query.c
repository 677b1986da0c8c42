/* libFuzzer harness for the small text formats of an API request: the
 * query string (ks_api_params_from_query), a client token in an
 * Authorization header, a personal key's activation (base64url,
 * ks_api_auth), a reverse proxy's X-Forwarded-For and the trusted-proxies
 * setting (ks_api_proxy), and standard base64.  Oracle beyond "no crash":
 * base64 that kyso decodes OpenSSL decodes to the same bytes, base64url
 * text that decodes encodes back to the same text, a token that parses has
 * the fixed shape, and the client found behind a proxy is an address. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_proxy.h"
#include "api/ks_api_req.h"
#include "ks_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* inputs of the base64 comparison with OpenSSL (bytes) */
#define B64_REF_MAX 4096

static EVP_PKEY *pk;
static struct ks_api_proxies proxies;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_api_params ps;
	struct ks_buf dec, enc;
	struct ks_activation a;
	char text[512], id[KS_STORE_ID_MAX], addr[KS_API_ADDR_MAX];
	struct ks_api_net peer, found;
	uint8_t hash[KS_STORE_HASH_LEN];
	size_t i;

	ks_api_params_init(&ps);
	if (ks_api_params_from_query((const char *)data, size, &ps) == 0) {
		for (i = 0; i < ps.n; i++)
			if (strlen(ps.p[i].value) > KS_API_PARAM_VALUE_MAX)
				abort();
	}
	ks_api_params_cleanup(&ps);

	/* standard base64 (JSON members, multipart): what kyso decodes, OpenSSL
	 * decodes to the same bytes (a second implementation, not a round trip
	 * through kyso's own encoder) */
	ks_buf_init(&dec, size + 8);
	if (ks_base64_decode((const char *)data, size, false, &dec) == 0 && size % 4 == 0 &&
	    size <= B64_REF_MAX) {
		unsigned char ref[B64_REF_MAX / 4 * 3 + 1];
		int r = EVP_DecodeBlock(ref, data, (int)size);
		size_t pad = 0;

		while (pad < 2 && pad < size && data[size - 1 - pad] == '=')
			pad++;
		if (r < 0 || (size_t)r < pad || (size_t)r - pad != dec.len ||
		    (dec.len > 0 && memcmp(ref, dec.data, dec.len) != 0))
			abort();
	}
	ks_buf_cleanup(&dec);

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
	/* a reverse proxy's X-Forwarded-For, and the trusted-proxies setting:
	 * the client found is always an address (or the proxy itself) */
	if (proxies.n == 0 && ks_api_proxies_parse("127.0.0.0/8 10.0.0.0/8 ::1", &proxies) < 0)
		abort();
	if (ks_api_net_addr("127.0.0.1", 9, &peer) < 0)
		abort();
	ks_api_client_addr(&proxies, &peer, (const char *)data, size, addr);
	if (ks_api_net_addr(addr, strlen(addr), &found) < 0)
		abort();
	if (size < sizeof(text)) {
		struct ks_api_proxies p;

		/* every network parsed has a prefix its family can have */
		if (ks_api_proxies_parse(text, &p) == 0)
			for (i = 0; i < p.n; i++)
				if (p.net[i].prefix > (p.net[i].family == AF_INET ? 32u : 128u))
					abort();
		ks_err_clear();
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
