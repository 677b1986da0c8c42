/* The configuration file of `kyso serve` (ks_api_conf.h). */
#include "api/ks_api_conf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/ks_api_proxy.h"
#include "api/ks_store.h"
#include "ks_cur.h"
#include "ks_io.h"

#define SECTION_MAX 32
#define SIZE_LIMIT ((size_t)1 << 30)

/* The demo set-up (make run): the test PKI's tokens, PIN from KYSO_PIN. */
#define DEMO_TRUST "build/pki/root.pem"
#define DEMO_TOKEN_TSA "pkcs11:token=school-seal;object=tok-tsa-rsa;type=private"
static const struct {
	const char *name, *uri;
	bool personal;
} demo_keys[] = {
	{ "seal", "pkcs11:token=school-seal;object=tok-seal-rsa;type=private", false },
	{ "seal-ec", "pkcs11:token=school-seal;object=tok-seal-ec;type=private", false },
	{ "principal", "pkcs11:token=principal;object=tok-principal-rsa;type=private", true },
	{ "homeroom", "pkcs11:token=teacher;object=tok-homeroom-rsa;type=private", true },
	{ "teacher", "pkcs11:token=teacher;object=tok-teacher-rsa;type=private", true },
};

enum type { T_STR, T_BOOL, T_UINT, T_SIZE, T_SYNC, T_DIGESTS };

struct opt {
	const char *section, *name;
	enum type type;
	size_t off;
	unsigned long long min, max;
};

#define O(sec, nm, ty, field, lo, hi)                                    \
	{                                                                \
		sec, nm, ty, offsetof(struct ks_api_conf, field), lo, hi \
	}

static const struct opt opts[] = {
	O("server", "listen", T_STR, listen, 0, 0),
	O("server", "threads", T_UINT, threads, 1, 256),
	O("server", "max-body", T_SIZE, max_body, 1024, SIZE_LIMIT),
	O("server", "max-connections", T_UINT, max_connections, 4, 65536),
	O("server", "timeout", T_UINT, timeout_s, 1, 3600),
	O("server", "drain", T_UINT, drain_s, 0, 600),
	O("server", "tls-cert", T_STR, tls_cert, 0, 0),
	O("server", "tls-key", T_STR, tls_key, 0, 0),
	O("server", "openapi", T_STR, openapi, 0, 0),
	O("server", "trusted-proxies", T_STR, trusted_proxies, 0, 0),
	O("state", "dir", T_STR, dir, 0, 0),
	O("state", "store", T_STR, store, 0, 0),
	O("state", "instance", T_STR, instance, 0, 0),
	O("state", "maintenance-file", T_STR, maintenance_file, 0, 0),
	O("state", "sync", T_SYNC, sync_full, 0, 0),
	O("state", "commit-delay", T_UINT, commit_delay_ms, 0, 100),
	O("signing", "prepared-ttl", T_UINT, prepared_ttl_s, 1, 86400),
	O("signing", "digests", T_DIGESTS, digests, 0, 0),
	O("signing", "activation-ttl-max", T_UINT, activation_ttl_max_s, 1, 86400),
	O("signing", "batch-max", T_UINT, batch_max, 1, KS_CONF_BATCH_MAX),
	O("signing", "session-ttl-max", T_UINT, session_ttl_max_s, 1, 7 * 86400),
	O("signing", "session-signatures-max", T_UINT, session_signatures_max, 1, 100000),
	O("signing", "retry-after", T_UINT, retry_after_s, 1, 3600),
	O("signing", "cert-warn-days", T_UINT, cert_warn_days, 0, 3650),
	O("signing", "keepalive", T_UINT, keepalive_s, 0, 86400),
	O("signing", "revocation", T_STR, revocation, 0, 0),
	O("verify", "trust", T_STR, trust, 0, 0),
	O("verify", "rate", T_UINT, rate, 1, 1000000),
	O("verify", "burst", T_UINT, burst, 1, 1000000),
	O("verify", "revocation", T_BOOL, verify_revocation, 0, 0),
	O("tsa", "key", T_STR, tsa_key, 0, 0),
	O("tsa", "key-file", T_STR, tsa_key_file, 0, 0),
	O("tsa", "cert", T_STR, tsa_cert, 0, 0),
	O("tsa", "chain", T_STR, tsa_chain, 0, 0),
	O("tsa", "listen", T_STR, tsa_listen, 0, 0),
	O("tsa", "url", T_STR, tsa_url, 0, 0),
	O("tsa", "policy", T_STR, tsa_policy, 0, 0),
	O("audit", "key", T_STR, audit_key, 0, 0),
	O("audit", "key-file", T_STR, audit_key_file, 0, 0),
	O("audit", "cert", T_STR, audit_cert, 0, 0),
	O("audit", "checkpoint-keep", T_UINT, checkpoint_keep_s, 0, 86400),
	O("audit", "refusal-window", T_UINT, refusal_window_s, 1, 86400),
	O("audit", "refusal-rows", T_UINT, refusal_rows, 0, 1000000),
	O("audit", "refusal-rows-total", T_UINT, refusal_rows_total, 0, 10000000),
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

#define K(nm, ty, field)                                                     \
	{                                                                    \
		"key", nm, ty, offsetof(struct ks_api_key_conf, field), 0, 0 \
	}
static const struct opt key_opts[] = {
	K("uri", T_STR, uri),
	K("key-file", T_STR, key_file),
	K("cert", T_STR, cert),
	K("chain", T_STR, chain),
	K("personal", T_BOOL, personal),
	K("activation-key", T_STR, activation_key),
	K("session-activation", T_BOOL, session_activation),
};
#define N_KEY_OPTS (sizeof(key_opts) / sizeof(key_opts[0]))

static int set_str(char **field, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	free(*field);
	*field = d;
	return 0;
}

int ks_api_conf_defaults(struct ks_api_conf *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->threads = 32;
	c->max_body = (size_t)32 << 20;
	c->max_connections = 256;
	c->timeout_s = 30;
	c->drain_s = 10;
	c->sync_full = true;
	c->commit_delay_ms = 5;
	c->prepared_ttl_s = 300;
	c->digests = KS_CONF_SHA256 | KS_CONF_SHA384 | KS_CONF_SHA512;
	c->activation_ttl_max_s = 600;
	c->batch_max = 100;
	c->session_ttl_max_s = 8 * 3600;
	c->session_signatures_max = 200;
	c->retry_after_s = 2;
	c->cert_warn_days = 30;
	c->keepalive_s = 60;
	c->rate = 5;
	c->burst = 20;
	c->verify_revocation = true;
	c->checkpoint_keep_s = 60;
	c->refusal_window_s = 60;
	c->refusal_rows = 60;
	c->refusal_rows_total = 1000;
	if (set_str(&c->listen, "127.0.0.1:8340") < 0 || set_str(&c->dir, "./var") < 0 ||
	    set_str(&c->openapi, "docs/openapi.yaml") < 0 ||
	    set_str(&c->revocation, "prefer") < 0 || set_str(&c->instance, "kyso-1") < 0 ||
	    set_str(&c->trust, DEMO_TRUST) < 0 || set_str(&c->tsa_key, DEMO_TOKEN_TSA) < 0 ||
	    set_str(&c->tsa_listen, "127.0.0.1:0") < 0)
		return -1;
	for (i = 0; i < sizeof(demo_keys) / sizeof(demo_keys[0]); i++) {
		struct ks_api_key_conf *k = &c->keys[c->n_keys++];

		snprintf(k->name, sizeof(k->name), "%s", demo_keys[i].name);
		k->personal = demo_keys[i].personal;
		if (set_str(&k->uri, demo_keys[i].uri) < 0)
			return -1;
	}
	return 0;
}

void ks_api_conf_cleanup(struct ks_api_conf *c)
{
	size_t i, j;

	for (i = 0; i < N_OPTS; i++) {
		if (opts[i].type == T_STR) {
			char **f = (char **)(void *)((char *)c + opts[i].off);

			free(*f);
			*f = NULL;
		}
	}
	for (i = 0; i < c->n_keys; i++) {
		for (j = 0; j < N_KEY_OPTS; j++) {
			if (key_opts[j].type == T_STR) {
				char **f = (char **)(void *)((char *)&c->keys[i] + key_opts[j].off);

				free(*f);
				*f = NULL;
			}
		}
	}
	c->n_keys = 0;
}

static int parse_bool(const char *v, bool *b)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0)
		*b = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
		 strcasecmp(v, "off") == 0)
		*b = false;
	else
		return KS_SET(KS_ERR_PARSE, "expected yes or no");
	return 0;
}

/* Decimal, with a K, M or G suffix (powers of 1024) for sizes. */
static int parse_number(const char *v, bool size, unsigned long long *out)
{
	struct ks_cur c;
	uint64_t x = 0;
	uint8_t b;

	ks_cur_init(&c, v, strlen(v));
	if (ks_cur_peek(&c, &b) < 0 || b < '0' || b > '9' ||
	    ks_cur_decimal(&c, 12, 999999999999ULL, &x) < 0)
		return KS_SET(KS_ERR_PARSE, "expected a number");
	if (size && ks_cur_u8(&c, &b) == 0) {
		unsigned shift = b == 'K' || b == 'k'   ? 10
				 : b == 'M' || b == 'm' ? 20
				 : b == 'G' || b == 'g' ? 30
							: 0;

		if (shift == 0)
			return KS_SET(KS_ERR_PARSE, "a size takes the suffix K, M or G");
		if (x > (SIZE_LIMIT >> shift))
			return KS_SET(KS_ERR_PARSE, "size too large");
		x <<= shift;
	}
	if (!ks_cur_eof(&c))
		return KS_SET(KS_ERR_PARSE, "expected a number");
	*out = x;
	return 0;
}

static int parse_digests(const char *v, unsigned *bits)
{
	const char *p = v;

	*bits = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ", ");

		if (n == 6 && strncasecmp(p, "sha256", 6) == 0)
			*bits |= KS_CONF_SHA256;
		else if (n == 6 && strncasecmp(p, "sha384", 6) == 0)
			*bits |= KS_CONF_SHA384;
		else if (n == 6 && strncasecmp(p, "sha512", 6) == 0)
			*bits |= KS_CONF_SHA512;
		else if (n > 0)
			return KS_SET(KS_ERR_PARSE, "digests are sha256, sha384 and sha512");
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	if (*bits == 0)
		return KS_SET(KS_ERR_PARSE, "no digest allowed");
	return 0;
}

static int apply(const struct opt *o, void *base, const char *v)
{
	void *f = (char *)base + o->off;
	unsigned long long x = 0;

	switch (o->type) {
	case T_STR:
		if (*v == '\0')
			return KS_SET(KS_ERR_PARSE, "empty value");
		return set_str((char **)f, v);
	case T_BOOL:
		return parse_bool(v, (bool *)f);
	case T_SYNC:
		if (strcmp(v, "full") == 0)
			*(bool *)f = true;
		else if (strcmp(v, "normal") == 0)
			*(bool *)f = false;
		else
			return KS_SET(KS_ERR_PARSE, "expected full or normal");
		return 0;
	case T_DIGESTS:
		return parse_digests(v, (unsigned *)f);
	case T_UINT:
	case T_SIZE:
		if (parse_number(v, o->type == T_SIZE, &x) < 0)
			return -1;
		if (x < o->min || x > o->max)
			return KS_SET(KS_ERR_PARSE, "out of range (%llu to %llu)", o->min, o->max);
		if (o->type == T_SIZE)
			*(size_t *)f = (size_t)x;
		else
			*(unsigned *)f = (unsigned)x;
		return 0;
	}
	return KS_SET(KS_ERR_INTERNAL, "option type");
}

struct parser {
	struct ks_api_conf *c;
	const char *name;
	size_t line;
	char section[SECTION_MAX];
	struct ks_api_key_conf *key; /* in a [key "..."] section */
	bool seen[N_OPTS];
	bool key_seen[N_KEY_OPTS];
	bool keys_replaced;
	bool tsa_key_seen;
};

static bool is_space(uint8_t b)
{
	return b == ' ' || b == '\t';
}

/* [section] or [key "NAME"] */
static int section(struct parser *p, const char *s)
{
	size_t n = strlen(s);
	struct ks_api_key_conf *k;
	size_t i;

	if (n < 3 || s[n - 1] != ']')
		return KS_SET(KS_ERR_PARSE, "a section header is [name] or [key \"NAME\"]");
	p->key = NULL;
	if (strncmp(s, "[key \"", 6) == 0 && n > 8 && s[n - 2] == '"') {
		char name[KS_CONF_NAME_MAX];

		if (n - 8 >= sizeof(name))
			return KS_SET(KS_ERR_PARSE, "key name too long");
		memcpy(name, s + 6, n - 8);
		name[n - 8] = '\0';
		if (!ks_store_name_ok(name))
			return KS_SET(KS_ERR_PARSE, "a key name is letters, digits, '.', '_', '-'");
		if (!p->keys_replaced) {
			/* The file's keys replace the demo's. */
			struct ks_api_conf *c = p->c;

			while (c->n_keys > 0) {
				struct ks_api_key_conf *d = &c->keys[--c->n_keys];

				free(d->uri);
				free(d->key_file);
				free(d->cert);
				free(d->chain);
				free(d->activation_key);
				memset(d, 0, sizeof(*d));
			}
			p->keys_replaced = true;
		}
		for (i = 0; i < p->c->n_keys; i++)
			if (strcmp(p->c->keys[i].name, name) == 0)
				return KS_SET(KS_ERR_PARSE, "key \"%s\" defined twice", name);
		if (p->c->n_keys >= KS_CONF_KEYS_MAX)
			return KS_SET(KS_ERR_PARSE, "more than %d keys", KS_CONF_KEYS_MAX);
		k = &p->c->keys[p->c->n_keys++];
		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", name);
		p->key = k;
		memset(p->key_seen, 0, sizeof(p->key_seen));
		snprintf(p->section, sizeof(p->section), "key");
		return 0;
	}
	if (n - 2 >= sizeof(p->section))
		return KS_SET(KS_ERR_PARSE, "unknown section");
	memcpy(p->section, s + 1, n - 2);
	p->section[n - 2] = '\0';
	for (i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].section, p->section) == 0)
			return 0;
	return KS_SET(KS_ERR_PARSE, "unknown section [%s]", p->section);
}

static int assignment(struct parser *p, const char *s)
{
	const char *eq = strchr(s, '=');
	char name[64];
	const char *v;
	size_t n, i;

	if (eq == NULL)
		return KS_SET(KS_ERR_PARSE, "expected name = value");
	n = (size_t)(eq - s);
	while (n > 0 && is_space((uint8_t)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(name))
		return KS_SET(KS_ERR_PARSE, "expected name = value");
	memcpy(name, s, n);
	name[n] = '\0';
	v = eq + 1;
	while (is_space((uint8_t)*v))
		v++;
	if (p->section[0] == '\0')
		return KS_SET(KS_ERR_PARSE, "'%s' outside a section", name);
	if (p->key != NULL) {
		for (i = 0; i < N_KEY_OPTS; i++) {
			if (strcmp(key_opts[i].name, name) != 0)
				continue;
			if (p->key_seen[i])
				return KS_SET(KS_ERR_PARSE, "'%s' given twice", name);
			p->key_seen[i] = true;
			return apply(&key_opts[i], p->key, v);
		}
		return KS_SET(KS_ERR_PARSE, "unknown option '%s' in a key section", name);
	}
	for (i = 0; i < N_OPTS; i++) {
		if (strcmp(opts[i].section, p->section) != 0 || strcmp(opts[i].name, name) != 0)
			continue;
		if (p->seen[i])
			return KS_SET(KS_ERR_PARSE, "'%s' given twice", name);
		p->seen[i] = true;
		if (apply(&opts[i], p->c, v) < 0)
			return -1;
		/* a TSA key file replaces the demo's TSA token key */
		if (strcmp(p->section, "tsa") == 0 && strcmp(name, "key-file") == 0 &&
		    !p->tsa_key_seen) {
			free(p->c->tsa_key);
			p->c->tsa_key = NULL;
		}
		if (strcmp(p->section, "tsa") == 0 && strcmp(name, "key") == 0)
			p->tsa_key_seen = true;
		return 0;
	}
	return KS_SET(KS_ERR_PARSE, "unknown option '%s' in [%s]", name, p->section);
}

static int one_line(struct parser *p, struct ks_cur *l)
{
	char s[KS_CONF_LINE_MAX + 1];
	size_t i;

	/* trim */
	while (l->left > 0 && is_space(l->p[0]) && ks_cur_skip(l, 1) == 0)
		;
	while (l->left > 0 && (is_space(l->p[l->left - 1]) || l->p[l->left - 1] == '\r'))
		l->left--;
	if (l->left == 0 || l->p[0] == '#' || l->p[0] == ';')
		return 0;
	if (l->left > KS_CONF_LINE_MAX)
		return KS_SET(KS_ERR_PARSE, "line longer than %d bytes", KS_CONF_LINE_MAX);
	for (i = 0; i < l->left; i++)
		if (l->p[i] < 0x20 && l->p[i] != '\t')
			return KS_SET(KS_ERR_PARSE, "control character");
	memcpy(s, l->p, l->left);
	s[l->left] = '\0';
	return s[0] == '[' ? section(p, s) : assignment(p, s);
}

/* Complete what depends on other options; check combinations. */
static int finish(struct ks_api_conf *c)
{
	char buf[4200];
	size_t i;

	if (!ks_store_name_ok(c->instance))
		return KS_SET(KS_ERR_PARSE, "[state] instance: letters, digits, '.', '_', '-'");
	if (c->store == NULL) {
		snprintf(buf, sizeof(buf), "sqlite:%s/kyso.db", c->dir);
		if (set_str(&c->store, buf) < 0)
			return -1;
	}
	{
		struct ks_api_proxies px;

		if (ks_api_proxies_parse(c->trusted_proxies, &px) < 0)
			return KS_SET(KS_ERR_PARSE, "[server] %s", ks_err_msg());
	}
	if (c->maintenance_file == NULL) {
		snprintf(buf, sizeof(buf), "%s/maintenance", c->dir);
		if (set_str(&c->maintenance_file, buf) < 0)
			return -1;
	}
	if (c->audit_key == NULL && c->audit_key_file == NULL) {
		snprintf(buf, sizeof(buf), "%s/audit.key.pem", c->dir);
		if (set_str(&c->audit_key_file, buf) < 0)
			return -1;
		snprintf(buf, sizeof(buf), "%s/audit.cert.pem", c->dir);
		if (c->audit_cert == NULL && set_str(&c->audit_cert, buf) < 0)
			return -1;
	}
	if (c->audit_key != NULL && c->audit_key_file != NULL)
		return KS_SET(KS_ERR_PARSE, "[audit]: key or key-file, not both");
	if (c->tsa_key != NULL && c->tsa_key_file != NULL)
		return KS_SET(KS_ERR_PARSE, "[tsa]: key or key-file, not both");
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return KS_SET(KS_ERR_PARSE, "[server]: tls-cert and tls-key go together");
	for (i = 0; i < c->n_keys; i++) {
		struct ks_api_key_conf *k = &c->keys[i];

		if ((k->uri == NULL) == (k->key_file == NULL))
			return KS_SET(KS_ERR_PARSE, "key \"%s\": uri or key-file (exactly one)",
				      k->name);
		if (k->session_activation && !k->personal)
			return KS_SET(KS_ERR_PARSE,
				      "key \"%s\": session-activation is for personal keys",
				      k->name);
		if (k->personal && k->activation_key == NULL) {
			snprintf(buf, sizeof(buf), "%s/activation/%s.pub.pem", c->dir, k->name);
			if (set_str(&k->activation_key, buf) < 0)
				return -1;
		}
	}
	return 0;
}

int ks_api_conf_parse(const uint8_t *text, size_t n, const char *name, struct ks_api_conf *c)
{
	struct parser p;
	struct ks_cur all, l;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.name = name != NULL ? name : "configuration";
	if (n > KS_CONF_FILE_MAX)
		return KS_SET(KS_ERR_LIMIT, "%s: larger than %zu bytes", p.name, KS_CONF_FILE_MAX);
	ks_cur_init(&all, text, n);
	while (!ks_cur_eof(&all)) {
		size_t len = 0;

		while (len < all.left && all.p[len] != '\n')
			len++;
		if (ks_cur_sub(&all, len, &l) < 0)
			return -1;
		if (!ks_cur_eof(&all) && ks_cur_skip(&all, 1) < 0)
			return -1;
		p.line++;
		if (memchr(l.p, '\0', l.left) != NULL) {
			KS_SET(KS_ERR_PARSE, "NUL byte");
			goto bad;
		}
		if (one_line(&p, &l) < 0)
			goto bad;
	}
	if (finish(c) < 0)
		return KS_SET(KS_ERR_PARSE, "%s: %.200s", p.name, ks_err_msg());
	return 0;
bad:
	return KS_SET(KS_ERR_PARSE, "%s, line %zu: %.200s", p.name, p.line, ks_err_msg());
}

int ks_api_conf_load(const char *path, struct ks_api_conf *c)
{
	struct ks_buf text;
	int rc = -1;

	ks_buf_init(&text, KS_CONF_FILE_MAX);
	KS_GUARD(ks_api_conf_defaults(c));
	if (path == NULL) {
		rc = finish(c);
		goto out;
	}
	KS_GUARD(ks_file_read(path, KS_CONF_FILE_MAX, &text));
	KS_GUARD(ks_api_conf_parse(text.data, text.len, path, c));
	rc = 0;
out:
	ks_buf_cleanup(&text);
	return rc;
}

const struct ks_api_key_conf *ks_api_conf_key(const struct ks_api_conf *c, const char *name)
{
	size_t i, n;

	if (name == NULL)
		return NULL;
	for (i = 0; i < c->n_keys; i++)
		if (strcmp(c->keys[i].name, name) == 0)
			return &c->keys[i];
	/* a URI as configured, its query (PIN source, module) left out */
	for (i = 0; i < c->n_keys; i++) {
		const char *u = c->keys[i].uri;

		if (u == NULL || strncasecmp(name, "pkcs11:", 7) != 0)
			continue;
		n = strcspn(u, "?");
		if (strlen(name) == n && strncmp(name, u, n) == 0)
			return &c->keys[i];
	}
	return NULL;
}
