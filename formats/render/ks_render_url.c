/* The verification URL printed and encoded on a rendered record:
 * BASE/<document id> (docs/records.md). */
#include <string.h>

#include "formats/render/ks_render_int.h"

int ks_render_verify_url(const struct ks_render_opts *o, const char *id, char *url, size_t n)
{
	const char *base = o->verify_base != NULL ? o->verify_base : KS_RENDER_DEFAULT_VERIFY_BASE;
	size_t bl = strlen(base), i;

	if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
		return KS_SET(KS_ERR_ARG,
			      "verification URL '%.80s' must start with http:// or "
			      "https://",
			      base);
	for (i = 0; i < bl; i++) {
		unsigned char ch = (unsigned char)base[i];

		if (ch <= 0x20 || ch >= 0x7F || strchr("\"'<>\\^`{|}?#", ch) != NULL)
			return KS_SET(KS_ERR_ARG,
				      "verification URL: character 0x%02X at %zu is not allowed",
				      ch, i);
	}
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	if (bl + 1 + strlen(id) > KS_RENDER_MAX_URL || bl + 2 + strlen(id) > n)
		return KS_SET(KS_ERR_LIMIT, "verification URL longer than %d bytes",
			      KS_RENDER_MAX_URL);
	memcpy(url, base, bl);
	url[bl] = '/';
	memcpy(url + bl + 1, id, strlen(id) + 1);
	return 0;
}
