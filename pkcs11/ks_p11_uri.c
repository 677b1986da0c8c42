/* RFC 7512 PKCS#11 URIs: strict parser, formatter and matcher.
 *
 * The text is untrusted (command line, configuration, API requests): it
 * is read through a ks_cur, every value is pct-decoded with validated
 * escapes into a bounded buffer, and the sizes and attribute count are
 * limited (KS_P11_URI_*). */
#include "ks_p11.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_size.h"
#include "ks_utf8.h"

void ks_p11_uri_init(struct ks_p11_uri *u)
{
	memset(u, 0, sizeof(*u));
	ks_buf_init(&u->id, KS_P11_URI_VALUE_MAX);
	ks_buf_init_secret(&u->pin_value, KS_P11_URI_VALUE_MAX);
}

void ks_p11_uri_cleanup(struct ks_p11_uri *u)
{
	char **strs[] = { &u->token,           &u->manufacturer,         &u->serial,
			  &u->model,           &u->library_manufacturer, &u->library_description,
			  &u->library_version, &u->slot_description,     &u->slot_manufacturer,
			  &u->object,          &u->pin_source,           &u->module_name,
			  &u->module_path };
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	ks_buf_cleanup(&u->id);
	ks_buf_cleanup(&u->pin_value);
	u->has_id = false;
	u->has_pin_value = false;
	u->has_slot_id = false;
	u->has_unknown = false;
	u->slot_id = 0;
	u->type = KS_P11_OBJ_ANY;
}

/* RFC 3986 2.3 unreserved. */
static bool is_unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 7512 2.3: pk11-res-avail, the sub-delims and ':' '[' ']' '@' that a
 * value may carry literally in both components. */
static bool is_res_avail(uint8_t c)
{
	return c != 0 && strchr(":[]@!$'()*+,=", c) != NULL;
}

/* pk11-pchar: path value characters ("&" allowed; ";" separates). */
static bool is_pchar(uint8_t c)
{
	return is_unreserved(c) || is_res_avail(c) || c == '&';
}

/* pk11-qchar: query value characters ("/" "?" "|" allowed; "&"
 * separates). */
static bool is_qchar(uint8_t c)
{
	return is_unreserved(c) || is_res_avail(c) || c == '/' || c == '?' || c == '|';
}

/* pk11-v-attr-nm-char, the characters of any attribute name. */
static bool is_name_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Pct-decode `val` (already split off, characters checked by `ok`) into
 * out.  RFC 3986 2.1: "%" must be followed by two hex digits. */
static int pct_decode(struct ks_cur *val, bool (*ok)(uint8_t), const char *name, struct ks_buf *out)
{
	uint8_t c, h, l;

	while (!ks_cur_eof(val)) {
		if (ks_cur_u8(val, &c) < 0)
			return -1;
		if (c == '%') {
			if (ks_cur_u8(val, &h) < 0 || ks_cur_u8(val, &l) < 0 ||
			    ks_hex_value(h) < 0 || ks_hex_value(l) < 0)
				return KS_SET(KS_ERR_PARSE,
					      "PKCS#11 URI: bad %%-escape in attribute '%s'", name);
			c = (uint8_t)(ks_hex_value(h) << 4 | ks_hex_value(l));
		} else if (!ok(c)) {
			return KS_SET(KS_ERR_PARSE,
				      "PKCS#11 URI: character 0x%02x not allowed in attribute '%s' "
				      "(pct-encode it)",
				      c, name);
		}
		if (ks_buf_append_byte(out, c) < 0) {
			if (ks_err_code() == KS_ERR_LIMIT)
				return KS_SET(KS_ERR_LIMIT,
					      "PKCS#11 URI: attribute '%s' longer than %d bytes",
					      name, KS_P11_URI_VALUE_MAX);
			return -1;
		}
	}
	return 0;
}

/* A decoded string attribute: UTF-8, no NUL. */
static int to_string(struct ks_buf *b, const char *name, char **out)
{
	const char *s;

	if (!ks_utf8_valid(b->data, b->len))
		return KS_SET(KS_ERR_ENCODING, "PKCS#11 URI: attribute '%s' is not valid UTF-8",
			      name);
	if (b->len > 0 && memchr(b->data, 0, b->len) != NULL)
		return KS_SET(KS_ERR_PARSE, "PKCS#11 URI: attribute '%s' contains a NUL byte",
			      name);
	if (ks_buf_cstr(b, &s) < 0)
		return -1;
	*out = strdup(s);
	if (*out == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

static bool name_is(const struct ks_cur *name, const char *lit)
{
	return ks_cur_is(name, lit, strlen(lit));
}

/* library-version = 1*DIGIT [ "." 1*DIGIT ] (RFC 7512 2.3). */
static int check_version(const char *v)
{
	struct ks_cur c;
	uint64_t major, minor;

	ks_cur_init(&c, v, strlen(v));
	if (ks_cur_decimal(&c, 3, 255, &major) < 0)
		goto bad;
	if (ks_cur_accept(&c, ".", 1) && ks_cur_decimal(&c, 3, 255, &minor) < 0)
		goto bad;
	if (!ks_cur_eof(&c))
		goto bad;
	return 0;
bad:
	return KS_SET(KS_ERR_PARSE, "PKCS#11 URI: library-version must be M or M.N, got '%.32s'",
		      v);
}

static int parse_type(const char *v, enum ks_p11_objtype *t)
{
	static const struct {
		const char *name;
		enum ks_p11_objtype type;
	} types[] = {
		{ "private", KS_P11_OBJ_PRIVATE }, { "public", KS_P11_OBJ_PUBLIC },
		{ "cert", KS_P11_OBJ_CERT },       { "secret-key", KS_P11_OBJ_SECRET },
		{ "data", KS_P11_OBJ_DATA },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(v, types[i].name) == 0) {
			*t = types[i].type;
			return 0;
		}
	}
	return KS_SET(KS_ERR_PARSE,
		      "PKCS#11 URI: type must be private, public, cert, secret-key or data, got "
		      "'%.32s'",
		      v);
}

/* The string members named by path attributes, in one table so that
 * duplicates are found the same way for all of them. */
static char **path_string_slot(struct ks_p11_uri *u, const struct ks_cur *name)
{
	if (name_is(name, "token"))
		return &u->token;
	if (name_is(name, "manufacturer"))
		return &u->manufacturer;
	if (name_is(name, "serial"))
		return &u->serial;
	if (name_is(name, "model"))
		return &u->model;
	if (name_is(name, "library-manufacturer"))
		return &u->library_manufacturer;
	if (name_is(name, "library-description"))
		return &u->library_description;
	if (name_is(name, "library-version"))
		return &u->library_version;
	if (name_is(name, "slot-description"))
		return &u->slot_description;
	if (name_is(name, "slot-manufacturer"))
		return &u->slot_manufacturer;
	if (name_is(name, "object"))
		return &u->object;
	return NULL;
}

/* Copy an attribute name into a short C string for messages. */
static void name_text(const struct ks_cur *name, char *out, size_t n)
{
	struct ks_cur t = *name;
	size_t len = name->left < n - 1 ? name->left : n - 1;

	if (ks_cur_copy(&t, out, len) < 0)
		len = 0;
	out[len] = '\0';
}

static bool name_in(const char *nm, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(nm, *list) == 0)
			return true;
	return false;
}

static int parse_attr(struct ks_p11_uri *u, struct ks_cur *attr, bool query, bool *seen_type)
{
	/* RFC 7512 2.3: which component each standard attribute belongs to.
	 * Given in the other one it would be ignored (query) or unknown
	 * (path), and the URI would select something else than meant. */
	static const char *const path_only[] = { "token",
						 "manufacturer",
						 "serial",
						 "model",
						 "library-manufacturer",
						 "library-description",
						 "library-version",
						 "object",
						 "type",
						 "id",
						 "slot-description",
						 "slot-manufacturer",
						 "slot-id",
						 NULL };
	static const char *const query_only[] = { "pin-value", "pin-source", "module-name",
						  "module-path", NULL };
	struct ks_cur name, val;
	struct ks_buf dec;
	char nm[40];
	size_t nlen = 0;
	char **slot;
	int rc = -1;

	/* Secret: the value may be a pin-value. */
	ks_buf_init_secret(&dec, KS_P11_URI_VALUE_MAX);
	KS_ENSURE(ks_cur_find(attr, "=", 1, &nlen), KS_ERR_PARSE,
		  "PKCS#11 URI: attribute without '='");
	KS_ENSURE(nlen > 0, KS_ERR_PARSE, "PKCS#11 URI: empty attribute name");
	KS_GUARD(ks_cur_sub(attr, nlen, &name));
	KS_GUARD(ks_cur_skip(attr, 1));
	val = *attr;
	{
		struct ks_cur n2 = name;

		KS_ENSURE(ks_cur_skip_while(&n2, is_name_char) == name.left, KS_ERR_PARSE,
			  "PKCS#11 URI: bad character in an attribute name");
	}
	name_text(&name, nm, sizeof(nm));
	if (query && name_in(nm, path_only))
		KS_BAIL(KS_ERR_PARSE, "PKCS#11 URI: '%s' belongs in the path (before '?')", nm);
	if (!query && name_in(nm, query_only))
		KS_BAIL(KS_ERR_PARSE, "PKCS#11 URI: '%s' belongs in the query (after '?')", nm);
	KS_GUARD(pct_decode(&val, query ? is_qchar : is_pchar, nm, &dec));

	if (!query) {
		slot = path_string_slot(u, &name);
		if (slot != NULL) {
			/* RFC 7512 2.3: a path attribute appears at most once. */
			KS_ENSURE(*slot == NULL, KS_ERR_PARSE,
				  "PKCS#11 URI: attribute '%s' given twice", nm);
			KS_GUARD(to_string(&dec, nm, slot));
			if (slot == &u->library_version)
				KS_GUARD(check_version(u->library_version));
		} else if (name_is(&name, "id")) {
			KS_ENSURE(!u->has_id, KS_ERR_PARSE,
				  "PKCS#11 URI: attribute 'id' given twice");
			/* The id is raw bytes: any value, NUL included. */
			KS_GUARD(ks_buf_set(&u->id, dec.data, dec.len));
			u->has_id = true;
		} else if (name_is(&name, "type")) {
			const char *s;

			KS_ENSURE(!*seen_type, KS_ERR_PARSE,
				  "PKCS#11 URI: attribute 'type' given twice");
			KS_ENSURE(dec.len == 0 || memchr(dec.data, 0, dec.len) == NULL,
				  KS_ERR_PARSE, "PKCS#11 URI: NUL in type");
			KS_GUARD(ks_buf_cstr(&dec, &s));
			KS_GUARD(parse_type(s, &u->type));
			*seen_type = true;
		} else if (name_is(&name, "slot-id")) {
			struct ks_cur d;
			uint64_t v;

			KS_ENSURE(!u->has_slot_id, KS_ERR_PARSE,
				  "PKCS#11 URI: attribute 'slot-id' given twice");
			ks_cur_init(&d, dec.data, dec.len);
			if (ks_cur_decimal(&d, 20, (uint64_t)(unsigned long)-1, &v) < 0 ||
			    !ks_cur_eof(&d))
				KS_BAIL(KS_ERR_PARSE,
					"PKCS#11 URI: slot-id must be a decimal number");
			u->slot_id = (unsigned long)v;
			u->has_slot_id = true;
		} else {
			/* RFC 7512 2.3: an unknown path attribute (vendor "x-" or
			 * from a later revision) must not be ignored: the URI then
			 * matches nothing we can see. */
			u->has_unknown = true;
		}
	} else {
		if (name_is(&name, "pin-value")) {
			KS_ENSURE(!u->has_pin_value, KS_ERR_PARSE,
				  "PKCS#11 URI: attribute 'pin-value' given twice");
			KS_ENSURE(dec.len == 0 || memchr(dec.data, 0, dec.len) == NULL,
				  KS_ERR_PARSE, "PKCS#11 URI: NUL in pin-value");
			KS_GUARD(ks_buf_set(&u->pin_value, dec.data, dec.len));
			u->has_pin_value = true;
		} else if (name_is(&name, "pin-source") || name_is(&name, "module-name") ||
			   name_is(&name, "module-path")) {
			char **q = name_is(&name, "pin-source")    ? &u->pin_source
				   : name_is(&name, "module-name") ? &u->module_name
								   : &u->module_path;

			KS_ENSURE(*q == NULL, KS_ERR_PARSE,
				  "PKCS#11 URI: attribute '%s' given twice", nm);
			KS_GUARD(to_string(&dec, nm, q));
		}
		/* Unknown query attributes are ignored (RFC 7512 2.3). */
	}
	rc = 0;
out:
	ks_buf_cleanup(&dec);
	return rc;
}

/* Split the component at `sep` and parse each attribute. */
static int parse_component(struct ks_p11_uri *u, struct ks_cur *comp, uint8_t sep, bool query,
			   size_t *nattrs, bool *seen_type)
{
	while (!ks_cur_eof(comp)) {
		struct ks_cur attr;
		size_t n = 0;

		if (!ks_cur_find(comp, &sep, 1, &n))
			n = comp->left;
		if (ks_cur_sub(comp, n, &attr) < 0)
			return -1;
		if (!ks_cur_eof(comp)) {
			if (ks_cur_skip(comp, 1) < 0)
				return -1;
			/* A trailing separator would hide an empty attribute. */
			if (ks_cur_eof(comp))
				return KS_SET(KS_ERR_PARSE,
					      "PKCS#11 URI: empty attribute after '%c'", sep);
		}
		if (++*nattrs > KS_P11_URI_ATTRS_MAX)
			return KS_SET(KS_ERR_LIMIT, "PKCS#11 URI: more than %d attributes",
				      KS_P11_URI_ATTRS_MAX);
		if (parse_attr(u, &attr, query, seen_type) < 0)
			return -1;
	}
	return 0;
}

int ks_p11_uri_parse_mem(const uint8_t *text, size_t n, struct ks_p11_uri *u)
{
	struct ks_cur c, path, query;
	size_t plen = 0, nattrs = 0;
	bool seen_type = false;
	int rc = -1;

	ks_p11_uri_init(u);
	KS_ENSURE(n <= KS_P11_URI_MAX, KS_ERR_LIMIT, "PKCS#11 URI longer than %d bytes",
		  KS_P11_URI_MAX);
	ks_cur_init(&c, text, n);
	/* RFC 3986 3.1: the scheme is case-insensitive. */
	{
		static const char scheme[] = "pkcs11:";
		size_t i;

		KS_ENSURE(c.left >= sizeof(scheme) - 1, KS_ERR_PARSE,
			  "not a PKCS#11 URI (must start with 'pkcs11:')");
		for (i = 0; i < sizeof(scheme) - 1; i++) {
			uint8_t ch = 0;

			KS_GUARD(ks_cur_peek_at(&c, i, &ch));
			if (ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			KS_ENSURE(ch == (uint8_t)scheme[i], KS_ERR_PARSE,
				  "not a PKCS#11 URI (must start with 'pkcs11:')");
		}
		KS_GUARD(ks_cur_skip(&c, sizeof(scheme) - 1));
	}
	if (!ks_cur_find(&c, "?", 1, &plen))
		plen = c.left;
	KS_GUARD(ks_cur_sub(&c, plen, &path));
	KS_GUARD(parse_component(u, &path, ';', false, &nattrs, &seen_type));
	if (!ks_cur_eof(&c)) {
		KS_GUARD(ks_cur_skip(&c, 1)); /* '?' */
		query = c;
		KS_GUARD(parse_component(u, &query, '&', true, &nattrs, &seen_type));
	}
	/* Two PIN sources would leave it to us to pick one: refused. */
	KS_ENSURE(!(u->has_pin_value && u->pin_source != NULL), KS_ERR_PARSE,
		  "PKCS#11 URI: pin-value and pin-source are mutually exclusive");
	rc = 0;
out:
	if (rc < 0)
		ks_p11_uri_cleanup(u);
	return rc;
}

int ks_p11_uri_parse(const char *text, struct ks_p11_uri *u)
{
	size_t n = strnlen(text, (size_t)KS_P11_URI_MAX + 1);

	if (n > KS_P11_URI_MAX) {
		ks_p11_uri_init(u);
		return KS_SET(KS_ERR_LIMIT, "PKCS#11 URI longer than %d bytes", KS_P11_URI_MAX);
	}
	return ks_p11_uri_parse_mem((const uint8_t *)text, n, u);
}

/* ---- formatting ---------------------------------------------------- */

static int put_value(struct ks_buf *out, const uint8_t *v, size_t n, bool encode_all)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!encode_all && is_unreserved(v[i])) {
			if (ks_buf_append_byte(out, v[i]) < 0)
				return -1;
		} else {
			char e[3] = { '%', ks_hex_digit(v[i] >> 4, true),
				      ks_hex_digit(v[i], true) };

			if (ks_buf_append(out, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}

static int put_attr(struct ks_buf *out, bool *first, const char *name, const char *v)
{
	if (v == NULL || *v == '\0')
		return 0;
	if ((!*first && ks_buf_append_byte(out, ';') < 0) || ks_buf_append_str(out, name) < 0 ||
	    ks_buf_append_byte(out, '=') < 0 ||
	    put_value(out, (const uint8_t *)v, strlen(v), false))
		return -1;
	*first = false;
	return 0;
}

static const char *type_name(enum ks_p11_objtype t)
{
	switch (t) {
	case KS_P11_OBJ_PRIVATE:
		return "private";
	case KS_P11_OBJ_PUBLIC:
		return "public";
	case KS_P11_OBJ_CERT:
		return "cert";
	case KS_P11_OBJ_SECRET:
		return "secret-key";
	case KS_P11_OBJ_DATA:
		return "data";
	case KS_P11_OBJ_ANY:
		break;
	}
	return NULL;
}

int ks_p11_uri_format(const char *token, const char *manufacturer, const char *serial,
		      const char *model, const char *object, const uint8_t *id, size_t idlen,
		      enum ks_p11_objtype type, struct ks_buf *out)
{
	bool first = true;

	if (ks_buf_append_str(out, "pkcs11:") < 0 || put_attr(out, &first, "model", model) < 0 ||
	    put_attr(out, &first, "manufacturer", manufacturer) < 0 ||
	    put_attr(out, &first, "serial", serial) < 0 ||
	    put_attr(out, &first, "token", token) < 0 ||
	    put_attr(out, &first, "object", object) < 0)
		return -1;
	if (id != NULL && idlen > 0) {
		/* The id is binary: every byte escaped (RFC 7512 2.3, example). */
		if ((!first && ks_buf_append_byte(out, ';') < 0) ||
		    ks_buf_append_str(out, "id=") < 0 || put_value(out, id, idlen, true) < 0)
			return -1;
		first = false;
	}
	return put_attr(out, &first, "type", type_name(type));
}

/* ---- matching ------------------------------------------------------ */

/* An absent attribute matches anything; a present one matches exactly
 * (RFC 7512 2.3: values are compared after the padding is removed). */
static bool str_match(const char *want, const char *have)
{
	return want == NULL || strcmp(want, have) == 0;
}

static bool version_match(const char *want, unsigned major, unsigned minor)
{
	unsigned long wmaj, wmin = 0;
	char *end;

	if (want == NULL)
		return true;
	wmaj = strtoul(want, &end, 10);
	if (*end == '.')
		wmin = strtoul(end + 1, &end, 10);
	return wmaj == major && wmin == minor;
}

bool ks_p11_uri_match_token(const struct ks_p11_uri *u, const struct ks_p11_token_info *t)
{
	if (u->has_unknown)
		return false;
	return str_match(u->token, t->label) && str_match(u->manufacturer, t->manufacturer) &&
	       str_match(u->serial, t->serial) && str_match(u->model, t->model) &&
	       str_match(u->library_manufacturer, t->library_manufacturer) &&
	       str_match(u->library_description, t->library_description) &&
	       version_match(u->library_version, t->library_major, t->library_minor) &&
	       str_match(u->slot_description, t->slot_description) &&
	       str_match(u->slot_manufacturer, t->slot_manufacturer) &&
	       (!u->has_slot_id || u->slot_id == t->slot_id);
}

bool ks_p11_uri_match_object(const struct ks_p11_uri *u, const char *label, const uint8_t *id,
			     size_t idlen, enum ks_p11_objtype type)
{
	if (u->has_unknown)
		return false;
	if (u->type != KS_P11_OBJ_ANY && u->type != type)
		return false;
	if (!str_match(u->object, label != NULL ? label : ""))
		return false;
	if (u->has_id &&
	    (u->id.len != idlen || (idlen > 0 && CRYPTO_memcmp(u->id.data, id, idlen) != 0)))
		return false;
	return true;
}
