/* The client's address behind trusted reverse proxies (ks_api_proxy.h). */
#include "api/ks_api_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ks_cur.h"

/* The longest address text looked at: an IPv6 address with an embedded
 * IPv4 one is 45 characters. */
#define ADDR_TEXT_MAX 47

static bool is_sep(uint8_t c)
{
	return c == ' ' || c == '\t' || c == ',';
}

static bool is_not_sep(uint8_t c)
{
	return !is_sep(c);
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

int ks_api_net_addr(const char *text, size_t n, struct ks_api_net *out)
{
	char buf[ADDR_TEXT_MAX + 1];
	struct in_addr a4;
	struct in6_addr a6;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > ADDR_TEXT_MAX || memchr(text, '\0', n) != NULL)
		return KS_SET(KS_ERR_PARSE, "not an IP address");
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		out->family = AF_INET;
		memcpy(out->addr, &a4, 4);
		out->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return KS_SET(KS_ERR_PARSE, "not an IP address");
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		out->family = AF_INET;
		memcpy(out->addr, a6.s6_addr + 12, 4);
		out->prefix = 32;
		return 0;
	}
	out->family = AF_INET6;
	memcpy(out->addr, a6.s6_addr, 16);
	out->prefix = 128;
	return 0;
}

/* "ADDR" or "ADDR/PREFIX" */
static int parse_net(const uint8_t *p, size_t n, struct ks_api_net *out)
{
	struct ks_cur c, pre;
	const uint8_t *slash = memchr(p, '/', n);
	uint64_t len;
	size_t an = slash != NULL ? (size_t)(slash - p) : n;

	if (ks_api_net_addr((const char *)p, an, out) < 0)
		return -1;
	if (slash == NULL)
		return 0;
	ks_cur_init(&c, p, n);
	if (ks_cur_skip(&c, an + 1) < 0 || ks_cur_sub(&c, c.left, &pre) < 0 ||
	    ks_cur_decimal(&pre, 3, out->family == AF_INET ? 32 : 128, &len) < 0 ||
	    !ks_cur_eof(&pre))
		return KS_SET(KS_ERR_PARSE, "bad prefix length");
	out->prefix = (unsigned)len;
	return 0;
}

int ks_api_proxies_parse(const char *text, struct ks_api_proxies *out)
{
	struct ks_cur c;
	const uint8_t *p;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return 0;
	n = strnlen(text, KS_API_PROXIES_TEXT_MAX + 1);
	if (n > KS_API_PROXIES_TEXT_MAX)
		return KS_SET(KS_ERR_USAGE, "trusted-proxies: longer than %d bytes",
			      KS_API_PROXIES_TEXT_MAX);
	ks_cur_init(&c, text, n);
	for (;;) {
		(void)ks_cur_skip_while(&c, is_sep);
		if (ks_cur_eof(&c))
			break;
		p = c.p;
		n = ks_cur_skip_while(&c, is_not_sep);
		if (out->n == KS_API_PROXIES_MAX)
			return KS_SET(KS_ERR_USAGE, "trusted-proxies: more than %d entries",
				      KS_API_PROXIES_MAX);
		if (parse_net(p, n, &out->net[out->n]) < 0)
			return KS_SET(KS_ERR_USAGE,
				      "trusted-proxies: '%.*s' is not an address or network "
				      "(ADDR or ADDR/PREFIX)",
				      (int)(n < 64 ? n : 64), (const char *)p);
		out->n++;
	}
	return 0;
}

static bool in_net(const struct ks_api_net *net, const struct ks_api_net *a)
{
	unsigned full = net->prefix / 8, bits = net->prefix % 8;
	uint8_t mask;

	if (net->family != a->family)
		return false;
	if (memcmp(net->addr, a->addr, full) != 0)
		return false;
	if (bits == 0)
		return true;
	mask = (uint8_t)(0xffu << (8 - bits));
	return (net->addr[full] & mask) == (a->addr[full] & mask);
}

bool ks_api_proxies_has(const struct ks_api_proxies *p, const struct ks_api_net *a)
{
	size_t i;

	for (i = 0; p != NULL && i < p->n; i++)
		if (in_net(&p->net[i], a))
			return true;
	return false;
}

/* One X-Forwarded-For entry: an address, "[IPv6]" or "[IPv6]:port", or
 * "IPv4:port" (some proxies add the port). */
static int entry_addr(const uint8_t *p, size_t n, struct ks_api_net *out)
{
	const uint8_t *close, *colon;

	if (n > 0 && p[0] == '[') {
		close = memchr(p, ']', n);
		if (close == NULL)
			return KS_SET(KS_ERR_PARSE, "unclosed bracket");
		return ks_api_net_addr((const char *)p + 1, (size_t)(close - p) - 1, out);
	}
	colon = memchr(p, ':', n);
	if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - p) - 1) == NULL)
		return ks_api_net_addr((const char *)p, (size_t)(colon - p), out);
	return ks_api_net_addr((const char *)p, n, out);
}

static void addr_text(const struct ks_api_net *a, char out[KS_API_ADDR_MAX])
{
	if (inet_ntop(a->family, a->addr, out, KS_API_ADDR_MAX) == NULL)
		snprintf(out, KS_API_ADDR_MAX, "unknown");
}

void ks_api_client_addr(const struct ks_api_proxies *p, const struct ks_api_net *peer,
			const char *xff, size_t xff_len, char out[KS_API_ADDR_MAX])
{
	struct {
		const uint8_t *p;
		size_t n;
	} hop[KS_API_XFF_HOPS_MAX];
	struct ks_api_net client = *peer, a;
	struct ks_cur c;
	size_t nh = 0, first = 0, i;

	/* only a trusted proxy's word counts, and only a header of sane size */
	if (xff == NULL || xff_len > KS_API_XFF_MAX || !ks_api_proxies_has(p, peer)) {
		addr_text(&client, out);
		return;
	}
	/* the last KS_API_XFF_HOPS_MAX entries, in a ring */
	ks_cur_init(&c, xff, xff_len);
	for (;;) {
		struct ks_cur e;
		size_t pos, end;

		if (!ks_cur_find(&c, ",", 1, &pos))
			pos = c.left;
		if (ks_cur_sub(&c, pos, &e) < 0)
			break;
		(void)ks_cur_skip_while(&e, is_space);
		end = e.left;
		(void)ks_cur_skip_back_while(&e, &end, is_space);
		hop[(first + nh) % KS_API_XFF_HOPS_MAX].p = e.p;
		hop[(first + nh) % KS_API_XFF_HOPS_MAX].n = end;
		if (nh < KS_API_XFF_HOPS_MAX)
			nh++;
		else
			first = (first + 1) % KS_API_XFF_HOPS_MAX;
		if (!ks_cur_accept(&c, ",", 1))
			break;
	}
	/* from the right: past every trusted proxy, to the first that is not;
	 * an entry that is no address ends the walk at the last trusted hop */
	for (i = nh; i > 0; i--) {
		size_t k = (first + i - 1) % KS_API_XFF_HOPS_MAX;

		if (entry_addr(hop[k].p, hop[k].n, &a) < 0) {
			ks_err_clear();
			break;
		}
		client = a;
		if (!ks_api_proxies_has(p, &a))
			break;
	}
	addr_text(&client, out);
}
