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
static int parse_net(struct ks_cur *c, struct ks_api_net *out)
{
	struct ks_cur a;
	uint64_t len;
	size_t slash;

	if (!ks_cur_find(c, "/", 1, &slash))
		slash = c->left;
	if (ks_cur_sub(c, slash, &a) < 0 || ks_api_net_addr((const char *)a.p, a.left, out) < 0)
		return -1;
	if (!ks_cur_accept(c, "/", 1))
		return 0;
	if (ks_cur_decimal(c, 3, out->family == AF_INET ? 32 : 128, &len) < 0 || !ks_cur_eof(c))
		return KS_SET(KS_ERR_PARSE, "bad prefix length");
	out->prefix = (unsigned)len;
	return 0;
}

int ks_api_proxies_parse(const char *text, struct ks_api_proxies *out)
{
	struct ks_cur c;
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
		struct ks_cur e, word;

		(void)ks_cur_skip_while(&c, is_sep);
		if (ks_cur_eof(&c))
			break;
		e = c;
		n = ks_cur_skip_while(&c, is_not_sep);
		if (ks_cur_sub(&e, n, &word) < 0)
			return -1;
		if (out->n == KS_API_PROXIES_MAX)
			return KS_SET(KS_ERR_USAGE, "trusted-proxies: more than %d entries",
				      KS_API_PROXIES_MAX);
		e = word;
		if (parse_net(&e, &out->net[out->n]) < 0)
			return KS_SET(KS_ERR_USAGE,
				      "trusted-proxies: '%.*s' is not an address or network "
				      "(ADDR or ADDR/PREFIX)",
				      (int)(word.left < 64 ? word.left : 64), (const char *)word.p);
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
static int entry_addr(struct ks_cur *c, struct ks_api_net *out)
{
	struct ks_cur a;
	size_t close, colon, more;

	if (ks_cur_accept(c, "[", 1)) {
		if (!ks_cur_find(c, "]", 1, &close))
			return KS_SET(KS_ERR_PARSE, "unclosed bracket");
		if (ks_cur_sub(c, close, &a) < 0)
			return -1;
		return ks_api_net_addr((const char *)a.p, a.left, out);
	}
	/* one colon: IPv4 and a port; more: IPv6 */
	if (ks_cur_find(c, ":", 1, &colon) && !ks_cur_find_from(c, colon + 1, ":", 1, &more)) {
		if (ks_cur_sub(c, colon, &a) < 0)
			return -1;
		return ks_api_net_addr((const char *)a.p, a.left, out);
	}
	return ks_api_net_addr((const char *)c->p, c->left, out);
}

static void addr_text(const struct ks_api_net *a, char out[KS_API_ADDR_MAX])
{
	if (inet_ntop(a->family, a->addr, out, KS_API_ADDR_MAX) == NULL)
		snprintf(out, KS_API_ADDR_MAX, "unknown");
}

void ks_api_client_addr(const struct ks_api_proxies *p, const struct ks_api_net *peer,
			const char *xff, size_t xff_len, char out[KS_API_ADDR_MAX])
{
	struct ks_cur hop[KS_API_XFF_HOPS_MAX];
	struct ks_api_net client = *peer, a;
	struct ks_cur c;
	size_t nh = 0, first = 0, i, comma;

	/* only a trusted proxy's word counts */
	if (xff == NULL || !ks_api_proxies_has(p, peer)) {
		addr_text(&client, out);
		return;
	}
	ks_cur_init(&c, xff, xff_len);
	/* Only the right end matters (the proxies' own entries): of a longer
	 * header, the last KS_API_XFF_MAX bytes from the first whole entry
	 * on, so that padding on the client's side hides nothing. */
	if (xff_len > KS_API_XFF_MAX) {
		if (ks_cur_skip(&c, xff_len - KS_API_XFF_MAX) < 0 ||
		    !ks_cur_find(&c, ",", 1, &comma) || ks_cur_skip(&c, comma + 1) < 0) {
			ks_err_clear();
			addr_text(&client, out);
			return;
		}
	}
	/* the last KS_API_XFF_HOPS_MAX entries, in a ring */
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
		if (ks_cur_range(&e, 0, end, &hop[(first + nh) % KS_API_XFF_HOPS_MAX]) < 0)
			break;
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
		struct ks_cur e = hop[(first + i - 1) % KS_API_XFF_HOPS_MAX];

		if (entry_addr(&e, &a) < 0)
			break;
		client = a;
		if (!ks_api_proxies_has(p, &a))
			break;
	}
	ks_err_clear();
	addr_text(&client, out);
}
