/* ks_api_proxy: the client's address behind trusted reverse proxies.
 *
 * A school that puts kyso behind nginx or a load balancer sees every
 * request come from the proxy.  The public endpoints' rate limit and the
 * audit rows need the client's own address: when the peer is one of the
 * configured proxies ([server] trusted-proxies), the client is the
 * rightmost X-Forwarded-For entry that is not itself a trusted proxy (each
 * proxy appends the address it got the request from; entries to the left
 * of that come from the client and prove nothing).  From any other peer
 * the header is ignored, so a client cannot choose its own address. */
#ifndef KS_API_PROXY_H
#define KS_API_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/ks_api_http.h"
#include "ks_err.h"

#define KS_API_PROXIES_MAX 32        /* networks in trusted-proxies */
#define KS_API_PROXIES_TEXT_MAX 4096 /* bytes of the trusted-proxies setting */
#define KS_API_XFF_MAX 4096          /* bytes of X-Forwarded-For read, at its right end */
#define KS_API_XFF_HOPS_MAX 32       /* entries of it looked at, from the right */

/* An address (IPv4 as 4 bytes, IPv6 as 16; IPv4-mapped IPv6 is IPv4) and,
 * for a network, its prefix length. */
struct ks_api_net {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct ks_api_proxies {
	struct ks_api_net net[KS_API_PROXIES_MAX];
	size_t n;
};

/* Parse "ADDR[/PREFIX]" entries separated by spaces or commas (NULL or
 * empty: none).  KS_ERR_USAGE names a bad entry. */
KS_WUR int ks_api_proxies_parse(const char *text, struct ks_api_proxies *out);

/* Parse one address ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"). */
KS_WUR int ks_api_net_addr(const char *text, size_t n, struct ks_api_net *out);

bool ks_api_proxies_has(const struct ks_api_proxies *p, const struct ks_api_net *a);

/* The client's address, as text, of a request from `peer` carrying the
 * X-Forwarded-For header `xff` (`xff_len` bytes, its lines joined with
 * commas in order; NULL: none). */
void ks_api_client_addr(const struct ks_api_proxies *p, const struct ks_api_net *peer,
			const char *xff, size_t xff_len, char out[KS_API_ADDR_MAX]);

#endif
