/* Unit tests for formats/xml: the raw scan and its refusals, the safe
 * parse and the ID index, canonicalization (W3C C14N examples), and
 * XAdES signing and the verification facts in-process with the test PKI
 * (`make pki`). */
#include "ks_test.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "formats/xml/ks_xades.h"
#include "formats/xml/ks_xml.h"
#include "formats/xml/ks_xmldsig.h"
#include "ks_buf.h"
#include "ks_codec.h"
#include "ks_key.h"

static const char record[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- sổ điểm -->\n"
    "<SoDiem xmlns=\"urn:kyso:test:sodiem\" lop=\"10A2\">\n"
    "  <HocSinh Id=\"hs1\"><HoTen>Phạm Minh Đức</HoTen><Diem mon=\"Toán\">7.5</Diem></HocSinh>\n"
    "  <HocSinh Id=\"hs2\"><HoTen>Vũ Thu Hà</HoTen><Diem mon=\"Toán\">9.0</Diem></HocSinh>\n"
    "</SoDiem>\n";

static int scan_str(const char *s)
{
	struct ks_xml_scan sc;

	return ks_xml_scan((const uint8_t *)s, strlen(s), &sc);
}

static struct ks_xml_doc *parse_str(const char *s)
{
	struct ks_xml_doc *d = NULL;

	assert_ok(ks_xml_parse((const uint8_t *)s, strlen(s), &d));
	return d;
}

/* ---- scan ---- */

static void test_scan_refuses_doctype(void **state)
{
	static const char *const bad[] = {
		"<!DOCTYPE r><r/>",
		"<?xml version=\"1.0\"?>\n<!-- c -->\n<?pi x?>\n<!DOCTYPE r [<!ENTITY x "
		"\"y\">]><r>&x;</r>",
		"\xef\xbb\xbf<!DOCTYPE r SYSTEM \"http://127.0.0.1/x.dtd\"><r/>",
		"<!doctype r><r/>",
		"<r><!ENTITY x \"y\"></r>",
		"<r/><!DOCTYPE r>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_fails_with(scan_str(bad[i]), KS_ERR_XML);
		assert_non_null(strstr(ks_err_msg(), "refused"));
	}
	/* the same bytes inside a comment, CDATA or an attribute are text */
	assert_ok(scan_str("<!-- <!DOCTYPE x> --><r a='<!DOCTYPE'><![CDATA[<!DOCTYPE y>]]></r>"));
}

static void test_scan_encoding(void **state)
{
	(void)state;
	assert_ok(scan_str("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><r>ệ</r>"));
	assert_ok(scan_str("<?xml version='1.0' encoding='US-ASCII'?><r/>"));
	assert_fails_with(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>"),
			  KS_ERR_XML);
	assert_non_null(strstr(ks_err_msg(), "UTF-8"));
	assert_fails_with(
	    ks_xml_scan((const uint8_t *)"\xff\xfe<\0r\0/\0>\0", 10, &(struct ks_xml_scan){ 0 }),
	    KS_ERR_XML);
	assert_fails_with(ks_xml_scan((const uint8_t *)"<r>\0</r>", 8, &(struct ks_xml_scan){ 0 }),
			  KS_ERR_XML);
}

static char *repeat(const char *open, const char *close, size_t times)
{
	size_t a = strlen(open), b = strlen(close), i;
	char *s = malloc((a + b) * times + 1), *p = s;

	assert_non_null(s);
	for (i = 0; i < times; i++, p += a)
		memcpy(p, open, a);
	for (i = 0; i < times; i++, p += b)
		memcpy(p, close, b);
	*p = '\0';
	return s;
}

static void test_scan_limits(void **state)
{
	char *s;
	size_t n, i;
	struct ks_buf b;

	(void)state;
	s = repeat("<a>", "</a>", KS_XML_DEPTH_MAX);
	assert_ok(scan_str(s));
	free(s);
	s = repeat("<a>", "</a>", KS_XML_DEPTH_MAX + 1);
	assert_fails_with(scan_str(s), KS_ERR_LIMIT);
	assert_non_null(strstr(ks_err_msg(), "nested deeper"));
	free(s);
	s = repeat("<a>", "</a>", 10000);
	assert_fails_with(scan_str(s), KS_ERR_LIMIT);
	free(s);

	ks_buf_init(&b, KS_XML_DOC_MAX);
	assert_ok(ks_buf_append_str(&b, "<r"));
	for (i = 0; i <= KS_XML_ATTRS_MAX; i++)
		assert_ok(ks_buf_printf(&b, " a%zu='%zu'", i, i));
	assert_ok(ks_buf_append_str(&b, "/>"));
	assert_fails_with(ks_xml_scan(b.data, b.len, &(struct ks_xml_scan){ 0 }), KS_ERR_LIMIT);
	assert_non_null(strstr(ks_err_msg(), "attributes"));

	/* one text node past the limit, split by a CDATA section too */
	n = KS_XML_TEXT_MAX / 2 + 16;
	ks_buf_reset(&b);
	assert_ok(ks_buf_append_str(&b, "<r>"));
	assert_ok(ks_buf_reserve(&b, 2 * n + 64));
	memset(b.data + b.len, 'x', n);
	b.len += n;
	assert_ok(ks_buf_append_str(&b, "<![CDATA["));
	memset(b.data + b.len, 'y', n);
	b.len += n;
	assert_ok(ks_buf_append_str(&b, "]]></r>"));
	assert_fails_with(ks_xml_scan(b.data, b.len, &(struct ks_xml_scan){ 0 }), KS_ERR_LIMIT);
	assert_non_null(strstr(ks_err_msg(), "text node"));
	ks_buf_cleanup(&b);

	/* more nodes than the limit */
	s = repeat("<a/>", "", KS_XML_NODES_MAX + 1);
	ks_buf_init(&b, KS_XML_DOC_MAX);
	assert_ok(ks_buf_append_str(&b, "<r>"));
	assert_ok(ks_buf_append_str(&b, s));
	assert_ok(ks_buf_append_str(&b, "</r>"));
	assert_fails_with(ks_xml_scan(b.data, b.len, &(struct ks_xml_scan){ 0 }), KS_ERR_LIMIT);
	ks_buf_cleanup(&b);
	free(s);
}

static void test_scan_structure(void **state)
{
	struct ks_xml_scan sc;
	const char *s = "<?xml version=\"1.0\"?><ns:root a=\"x>y\">t<b/></ns:root><!-- end -->\n";
	const char *e = "<root  a='1' />";

	(void)state;
	assert_ok(ks_xml_scan((const uint8_t *)s, strlen(s), &sc));
	assert_int_equal(sc.root_name_len, 7);
	assert_memory_equal(s + sc.root_name_off, "ns:root", 7);
	assert_memory_equal(s + sc.root_end, "</ns:root>", 10);
	assert_false(sc.root_empty);
	assert_ok(ks_xml_scan((const uint8_t *)e, strlen(e), &sc));
	assert_true(sc.root_empty);
	assert_memory_equal(e + sc.root_end, "/>", 2);
	assert_fails_with(scan_str("<r><!-- open </r>"), KS_ERR_XML);
	assert_fails_with(scan_str("<r><a></a>"), KS_ERR_XML);
	assert_fails_with(scan_str("<r/><s/>"), KS_ERR_XML);
	assert_fails_with(scan_str("just text"), KS_ERR_XML);
	assert_fails_with(scan_str("<r a=1/>"), KS_ERR_XML);
	assert_fails_with(scan_str(""), KS_ERR_XML);
}

/* ---- parse and IDs ---- */

static void test_parse_ids(void **state)
{
	struct ks_xml_doc *d;
	bool dup = true;
	char id[64];

	(void)state;
	d = parse_str(record);
	assert_string_equal(d->dup_id, "");
	assert_true(ks_xml_is(ks_xml_by_id(d, "hs2", &dup), "urn:kyso:test:sodiem", "HocSinh"));
	assert_false(dup);
	assert_null(ks_xml_by_id(d, "hs3", &dup));
	assert_fails_with(ks_xml_add_id(d, "hs1", ks_xml_root(d)), KS_ERR_ARG);
	assert_ok(ks_xml_new_id(d, "xmldsig", id, sizeof(id)));
	assert_int_equal(strncmp(id, "xmldsig-", 8), 0);
	assert_int_equal(strlen(id), 8 + 16);
	ks_xml_doc_free(d);

	/* Id, ID, id and xml:id share one space of values */
	d = parse_str("<r><a Id='x'/><b xml:id='x'/><c ID='y' id='y'/></r>");
	assert_string_equal(d->dup_id, "x");
	assert_null(ks_xml_by_id(d, "x", &dup));
	assert_true(dup);
	assert_non_null(ks_xml_by_id(d, "y", &dup)); /* one element, two attributes */
	ks_xml_doc_free(d);
}

static void test_parse_refusals(void **state)
{
	struct ks_xml_doc *d = NULL;
	const char *undef = "<r>&ent;</r>", *bad = "<r><a></b></r>";

	(void)state;
	assert_fails_with(ks_xml_parse((const uint8_t *)undef, strlen(undef), &d), KS_ERR_XML);
	assert_non_null(strstr(ks_err_msg(), "not well-formed"));
	assert_null(d);
	assert_fails_with(ks_xml_parse((const uint8_t *)bad, strlen(bad), &d), KS_ERR_XML);
	assert_null(strchr(ks_err_msg(), '\n'));
}

static void test_path(void **state)
{
	struct ks_xml_doc *d = parse_str(record);
	struct ks_buf b;
	bool dup;

	(void)state;
	ks_buf_init(&b, 1024);
	assert_ok(ks_xml_path(ks_xml_by_id(d, "hs2", &dup), &b));
	assert_ok(ks_buf_append_byte(&b, 0));
	assert_string_equal((const char *)b.data, "/SoDiem/HocSinh[2]");
	ks_buf_cleanup(&b);
	ks_xml_doc_free(d);
}

/* ---- canonicalization ---- */

static char *c14n(const struct ks_xml_doc *d, const xmlNode *apex, enum ks_c14n alg,
		  const char *prefixes, bool comments)
{
	struct ks_c14n_set set;
	struct ks_buf b;

	memset(&set, 0, sizeof(set));
	set.apex = apex;
	set.comments = comments;
	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_c14n_buf(d, &set, alg, prefixes, &b));
	assert_ok(ks_buf_append_byte(&b, 0));
	return (char *)b.data;
}

static void test_c14n(void **state)
{
	/* W3C C14N 1.0 3.1-3.3: declarations dropped, attributes sorted and
	 * quoted, empty elements expanded, character references resolved,
	 * comments kept only by the WithComments forms. */
	const char *in = "<?xml version=\"1.0\"?>\n<!--c1-->\n<doc xmlns:p=\"urn:p\" "
			 "xmlns=\"urn:d\"><e b='2'   a=\"1\"/><p:f>&#x1EC7;&amp;&lt;</p:f>"
			 "<!--c2--><g xmlns:q=\"urn:q\"><h/></g></doc>";
	struct ks_xml_doc *d = parse_str(in);
	xmlNodePtr root = ks_xml_root(d), g = ks_xml_first(root, "urn:d", "g");
	char *s;

	(void)state;
	s = c14n(d, NULL, KS_C14N_10, NULL, false);
	assert_string_equal(s, "<doc xmlns=\"urn:d\" xmlns:p=\"urn:p\"><e a=\"1\" b=\"2\"></e>"
			       "<p:f>ệ&amp;&lt;</p:f><g xmlns:q=\"urn:q\"><h></h></g></doc>");
	free(s);
	s = c14n(d, NULL, KS_C14N_10_COMMENTS, NULL, true);
	assert_non_null(strstr(s, "<!--c1-->\n<doc"));
	assert_non_null(strstr(s, "<!--c2-->"));
	free(s);
	/* a subset: inclusive C14N carries the inherited namespaces to the
	 * apex, exclusive only those it uses, plus the PrefixList */
	s = c14n(d, g, KS_C14N_10, NULL, false);
	assert_string_equal(s,
			    "<g xmlns=\"urn:d\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><h></h></g>");
	free(s);
	s = c14n(d, g, KS_C14N_EXC, NULL, false);
	assert_string_equal(s, "<g xmlns=\"urn:d\"><h></h></g>");
	free(s);
	s = c14n(d, g, KS_C14N_EXC, "p #default", false);
	assert_string_equal(s, "<g xmlns=\"urn:d\" xmlns:p=\"urn:p\"><h></h></g>");
	free(s);
	s = c14n(d, g, KS_C14N_11, NULL, false);
	assert_string_equal(s,
			    "<g xmlns=\"urn:d\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><h></h></g>");
	free(s);
	ks_xml_doc_free(d);
}

static void test_c14n_uris(void **state)
{
	enum ks_c14n a;

	(void)state;
	assert_true(ks_c14n_parse("http://www.w3.org/2001/10/xml-exc-c14n#", &a));
	assert_int_equal(a, KS_C14N_EXC);
	assert_true(ks_c14n_parse("http://www.w3.org/2006/12/xml-c14n11#WithComments", &a));
	assert_int_equal(a, KS_C14N_11_COMMENTS);
	assert_false(ks_c14n_parse("http://www.w3.org/TR/1999/REC-xslt-19991116", &a));
	assert_false(ks_c14n_parse(NULL, &a));
	assert_string_equal(ks_c14n_uri(KS_C14N_10),
			    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315");
}

/* ---- XAdES in-process ---- */

static struct ks_key *file_key(const char *entity)
{
	char k[4200], c[4200], ch[4200];
	struct ks_key *key = NULL;
	const char *base = ks_test_pki(entity);

	assert_non_null(base);
	assert_true(strlen(base) < 4096);
	snprintf(k, sizeof(k), "%.4096s.key.pem", base);
	snprintf(c, sizeof(c), "%.4096s.cert.pem", base);
	snprintf(ch, sizeof(ch), "%.4096s.chain.pem", base);
	assert_ok(ks_filekey_open(k, c, ch, NULL, &key));
	return key;
}

static void sign_rec(struct ks_key *key, const struct ks_xades_sign_opts *o, struct ks_buf *out)
{
	ks_buf_init(out, KS_XADES_OUT_MAX);
	assert_ok(ks_xades_sign(key, (const uint8_t *)record, strlen(record), o, out));
}

static void verify_buf(const struct ks_buf *b, struct ks_xades_result *r)
{
	ks_xades_result_init(r);
	assert_ok(ks_xades_verify_mem(b->data, b->len, NULL, r));
	assert_false(r->unreadable);
}

static void test_xades_facts(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	struct ks_xades_sign_opts o;
	struct ks_xades_result r;
	struct ks_buf out;
	const struct ks_xades_sig_facts *f;

	(void)state;
	ks_xades_sign_opts_init(&o);
	o.signing_time = 1767225600; /* 2026-01-01T00:00:00Z */
	o.role = "Hiệu trưởng";
	o.policy_id = "urn:oid:2.16.704.1.2.3";
	o.policy_digest = (const uint8_t *)"0123456789abcdef0123456789abcdef";
	o.policy_digest_len = 32;
	sign_rec(key, &o, &out);
	assert_non_null(strstr((const char *)out.data, "<xades:SigningTime>2026-01-01T00:00:00Z"));
	verify_buf(&out, &r);
	assert_int_equal(r.n, 1);
	f = &r.sigs[0];
	assert_int_equal(f->sub, KS_SUB_NONE);
	assert_true(f->xades);
	assert_true(f->signer_bound);
	assert_true(f->value_checked && f->value_ok);
	assert_int_equal(X509_cmp(f->signer, key->cert), 0);
	assert_int_equal(f->place, KS_XADES_PLACE_ENVELOPED);
	assert_int_equal(f->n_refs, 2);
	assert_int_equal(f->refs[0].role, KS_XADES_REF_DATA);
	assert_int_equal(f->refs[0].kind, KS_DSIG_REF_DOCUMENT);
	assert_true(f->refs[0].enveloped);
	assert_string_equal(f->refs[0].path, "/SoDiem");
	assert_int_equal(f->refs[0].status, KS_XADES_REF_MATCH);
	assert_int_equal(f->refs[1].role, KS_XADES_REF_SIGNED_PROPS);
	assert_true(f->has_signing_time);
	assert_int_equal(f->signing_time, 1767225600);
	assert_string_equal(f->role, "Hiệu trưởng");
	assert_string_equal(f->policy, "urn:oid:2.16.704.1.2.3");
	assert_int_equal(sk_X509_num(f->certs), 2); /* signer and Government CA */
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);
	ks_key_free(key);
}

/* Replace the first occurrence of `from` in out by `to`. */
static void patch(struct ks_buf *b, const char *from, const char *to)
{
	char *hit;
	size_t a = strlen(from), z = strlen(to), tail;

	assert_ok(ks_buf_append_byte(b, 0));
	b->len--;
	hit = strstr((char *)b->data, from);
	assert_non_null(hit);
	assert_ok(ks_buf_reserve(b, z + 1));
	hit = strstr((char *)b->data, from);
	tail = b->len - (size_t)(hit + a - (char *)b->data);
	memmove(hit + z, hit + a, tail + 1);
	memcpy(hit, to, z);
	b->len = b->len - a + z;
}

static void test_xades_tamper(void **state)
{
	struct ks_key *key = file_key("teacher-ec");
	struct ks_xades_sign_opts o;
	struct ks_xades_result r;
	struct ks_buf out;

	(void)state;
	ks_xades_sign_opts_init(&o);
	o.scheme = KS_SIG_ECDSA;
	sign_rec(key, &o, &out);
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_NONE);
	ks_xades_result_cleanup(&r);

	patch(&out, ">9.0<", ">9.5<");
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_HASH_FAILURE);
	assert_int_equal(r.sigs[0].refs[0].status, KS_XADES_REF_MISMATCH);
	ks_xades_result_cleanup(&r);
	patch(&out, ">9.5<", ">9.0<");

	/* the claimed time is signed */
	patch(&out, "<xades:SigningTime>2", "<xades:SigningTime>1");
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_HASH_FAILURE);
	assert_int_equal(r.sigs[1 - 1].refs[1].status, KS_XADES_REF_MISMATCH);
	ks_xades_result_cleanup(&r);
	patch(&out, "<xades:SigningTime>1", "<xades:SigningTime>2");

	/* a transform outside the profile */
	patch(&out, "xmldsig#enveloped-signature", "xmldsig#base64");
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_FORMAT_FAILURE);
	assert_non_null(strstr(r.sigs[0].detail, "outside kyso's profile"));
	ks_xades_result_cleanup(&r);
	patch(&out, "xmldsig#base64", "xmldsig#enveloped-signature");

	/* QualifyingProperties pointing at another signature */
	patch(&out, "Target=\"#", "Target=\"#x");
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_FORMAT_FAILURE);
	assert_non_null(strstr(r.sigs[0].detail, "Target"));
	ks_xades_result_cleanup(&r);
	patch(&out, "Target=\"#x", "Target=\"#");

	/* a remote reference is never fetched */
	patch(&out, "URI=\"\"", "URI=\"http://127.0.0.1:9/x.xml\"");
	verify_buf(&out, &r);
	assert_true(r.sigs[0].sub == KS_SUB_FORMAT_FAILURE ||
		    r.sigs[0].sub == KS_SUB_SIGNED_DATA_NOT_FOUND);
	ks_xades_result_cleanup(&r);

	ks_buf_cleanup(&out);
	ks_key_free(key);
}

static void test_xades_keyvalue(void **state)
{
	struct ks_key *key = file_key("seal-rsa"), *other = file_key("teacher-rsa");
	struct ks_xades_sign_opts o;
	struct ks_xades_result r;
	struct ks_buf out, kv, m;
	BIGNUM *n = NULL;

	(void)state;
	ks_xades_sign_opts_init(&o);
	sign_rec(key, &o, &out);
	/* a KeyValue of another key in KeyInfo (KeyInfo is not signed) */
	assert_int_equal(EVP_PKEY_get_bn_param(X509_get0_pubkey(other->cert), "n", &n), 1);
	ks_buf_init(&m, 4096);
	ks_buf_init(&kv, 8192);
	assert_ok(ks_buf_reserve(&m, (size_t)BN_num_bytes(n)));
	m.len = (size_t)BN_bn2bin(n, m.data);
	assert_ok(ks_buf_append_str(&kv, "<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>"));
	assert_ok(ks_base64_encode(m.data, m.len, &kv));
	assert_ok(ks_buf_append_str(&kv, "</ds:Modulus><ds:Exponent>AQAB</ds:Exponent>"
					 "</ds:RSAKeyValue></ds:KeyValue>"));
	assert_ok(ks_buf_append_byte(&kv, 0));
	patch(&out, "<ds:KeyInfo>", (const char *)kv.data);
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_FORMAT_FAILURE);
	assert_non_null(strstr(r.sigs[0].detail, "KeyValue"));
	ks_xades_result_cleanup(&r);
	BN_free(n);
	ks_buf_cleanup(&m);
	ks_buf_cleanup(&kv);
	ks_buf_cleanup(&out);
	ks_key_free(key);
	ks_key_free(other);
}

static void test_xades_modes(void **state)
{
	struct ks_key *key = file_key("homeroom-rsa");
	struct ks_xades_sign_opts o;
	struct ks_xades_verify_opts vo;
	struct ks_xades_result r;
	struct ks_buf out, out2;

	(void)state;
	ks_xades_sign_opts_init(&o);
	o.mode = KS_XADES_ENVELOPING;
	o.scheme = KS_SIG_RSA_PSS;
	o.md = KS_MD_SHA384;
	sign_rec(key, &o, &out);
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_NONE);
	assert_int_equal(r.sigs[0].place, KS_XADES_PLACE_ENVELOPING);
	assert_int_equal(r.sigs[0].scheme, KS_SIG_RSA_PSS);
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);

	o.mode = KS_XADES_DETACHED;
	o.detached_uri = "sodiem.xml";
	sign_rec(key, &o, &out);
	memset(&vo, 0, sizeof(vo));
	vo.content = (const uint8_t *)record;
	vo.content_len = strlen(record);
	ks_xades_result_init(&r);
	assert_ok(ks_xades_verify_mem(out.data, out.len, &vo, &r));
	assert_int_equal(r.sigs[0].sub, KS_SUB_NONE);
	assert_int_equal(r.sigs[0].place, KS_XADES_PLACE_DETACHED);
	ks_xades_result_cleanup(&r);
	vo.content_len--;
	assert_ok(ks_xades_verify_mem(out.data, out.len, &vo, &r));
	assert_int_equal(r.sigs[0].sub, KS_SUB_HASH_FAILURE);
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);

	/* parallel, then a counter-signature by Id */
	o.mode = KS_XADES_ENVELOPED;
	o.parallel = true;
	o.md = KS_MD_SHA256;
	o.scheme = KS_SIG_RSA_PKCS1;
	sign_rec(key, &o, &out);
	ks_buf_init(&out2, KS_XADES_OUT_MAX);
	o.parallel = false;
	assert_ok(ks_xades_sign(key, out.data, out.len, &o, &out2));
	verify_buf(&out2, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sigs[0].sub, KS_SUB_NONE);
	assert_int_equal(r.sigs[1].sub, KS_SUB_NONE);
	assert_true(r.sigs[1].refs[0].exclude_sigs);
	ks_xades_result_cleanup(&r);
	ks_buf_reset(&out);
	o.counter_sign = true;
	assert_ok(ks_xades_sign(key, out2.data, out2.len, &o, &out));
	verify_buf(&out, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.sigs[2].place, KS_XADES_PLACE_COUNTER);
	assert_int_equal(r.sigs[2].parent, 1);
	assert_int_equal(r.sigs[2].refs[0].role, KS_XADES_REF_COUNTERSIGNED);
	assert_int_equal(r.sigs[2].sub, KS_SUB_NONE);
	assert_true((r.sigs[1].unsigned_props & KS_XADES_U_COUNTER_SIG) != 0);
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&out2);
	ks_key_free(key);
}

static int add_prop(void *arg, struct ks_xml_doc *d, xmlNodePtr sig)
{
	xmlNodePtr usp;
	struct ks_buf *sv = arg;

	if (ks_xades_usp(sig, &usp) < 0 || ks_xades_sigvalue_c14n(d, sig, sv) < 0)
		return -1;
	return xmlNewChild(usp, usp->ns, (const xmlChar *)"SignatureTimeStamp", NULL) == NULL ? -1
											      : 0;
}

static void test_xades_unsigned_hook(void **state)
{
	struct ks_key *key = file_key("seal-ec");
	struct ks_xades_sign_opts o;
	struct ks_xades_result r;
	struct ks_buf out, sv;

	(void)state;
	ks_buf_init(&sv, 4096);
	ks_xades_sign_opts_init(&o);
	o.scheme = KS_SIG_ECDSA;
	o.unsigned_fn = add_prop;
	o.unsigned_arg = &sv;
	sign_rec(key, &o, &out);
	assert_non_null(strstr((const char *)sv.data, "<ds:SignatureValue xmlns:ds="));
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_NONE);
	assert_true((r.sigs[0].unsigned_props & KS_XADES_U_SIG_TIMESTAMP) != 0);
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&sv);
	ks_buf_cleanup(&out);
	ks_key_free(key);
}

/* Two-phase signing: the key is elsewhere (core/ks_extkey.c).  With the
 * signing time and the signature Id fixed, both phases build the same
 * SignedInfo; the client's signature of the pending digest completes it. */
static void test_xades_external_key(void **state)
{
	struct ks_key *signer = file_key("principal-ec"), *ext = NULL;
	struct ks_xades_sign_opts o;
	struct ks_xades_result r;
	struct ks_buf out, digest, sig;
	enum ks_sig_scheme scheme;
	enum ks_md md;

	(void)state;
	ks_buf_init(&out, KS_XADES_OUT_MAX);
	ks_buf_init(&digest, 64);
	ks_buf_init(&sig, 512);
	assert_ok(ks_extkey_new(signer->cert, signer->chain, "agent", &ext));
	ks_xades_sign_opts_init(&o);
	o.scheme = KS_SIG_ECDSA;
	o.signing_time = 1767225600;
	o.sig_id = "sig-hocba-1";
	assert_fails_with(ks_xades_sign(ext, (const uint8_t *)record, strlen(record), &o, &out),
			  KS_ERR_PENDING);
	assert_ok(ks_extkey_pending(ext, &scheme, &md, &digest));
	assert_ok(ks_key_sign(signer, scheme, md, digest.data, digest.len, &sig));
	assert_ok(
	    ks_extkey_set_signature(ext, scheme, md, digest.data, digest.len, sig.data, sig.len));
	ks_buf_reset(&out);
	assert_ok(ks_xades_sign(ext, (const uint8_t *)record, strlen(record), &o, &out));
	assert_ok(ks_buf_append_byte(&out, 0));
	assert_non_null(strstr((const char *)out.data, "Id=\"sig-hocba-1\""));
	out.len--;
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].sub, KS_SUB_NONE);
	ks_xades_result_cleanup(&r);
	/* another signing time changes SignedInfo: the supplied signature
	 * does not fit and nothing is written */
	o.signing_time++;
	ks_buf_reset(&out);
	assert_fails_with(ks_xades_sign(ext, (const uint8_t *)record, strlen(record), &o, &out),
			  KS_ERR_ARG);
	o.sig_id = "1bad";
	assert_fails_with(ks_xades_sign(signer, (const uint8_t *)record, strlen(record), &o, &out),
			  KS_ERR_ARG);
	o.sig_id = "hs1";
	assert_fails_with(ks_xades_sign(signer, (const uint8_t *)record, strlen(record), &o, &out),
			  KS_ERR_ARG);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&digest);
	ks_buf_cleanup(&sig);
	ks_key_free(ext);
	ks_key_free(signer);
}

/* kyso extend's entry point: unsigned properties added to every
 * top-level signature of a signed record keep every signature valid. */
static void test_xades_extend(void **state)
{
	struct ks_key *key = file_key("teacher-rsa");
	struct ks_xades_sign_opts o;
	struct ks_xades_result r;
	struct ks_buf out, out2, sv;
	size_t i;

	(void)state;
	ks_buf_init(&sv, 1 << 16);
	ks_xades_sign_opts_init(&o);
	o.parallel = true;
	sign_rec(key, &o, &out);
	ks_buf_init(&out2, KS_XADES_OUT_MAX);
	assert_ok(ks_xades_sign(key, out.data, out.len, &o, &out2));
	ks_buf_reset(&out);
	assert_ok(ks_xades_extend(out2.data, out2.len, NULL, add_prop, &sv, &out));
	verify_buf(&out, &r);
	assert_int_equal(r.n, 2);
	for (i = 0; i < r.n; i++) {
		assert_int_equal(r.sigs[i].sub, KS_SUB_NONE);
		assert_true((r.sigs[i].unsigned_props & KS_XADES_U_SIG_TIMESTAMP) != 0);
	}
	ks_xades_result_cleanup(&r);
	ks_buf_reset(&out);
	assert_fails_with(ks_xades_extend(out2.data, out2.len, "nope", add_prop, &sv, &out),
			  KS_ERR_XML);
	assert_fails_with(
	    ks_xades_extend((const uint8_t *)record, strlen(record), NULL, add_prop, &sv, &out),
	    KS_ERR_XML);
	ks_buf_cleanup(&sv);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&out2);
	ks_key_free(key);
}

static void test_time(void **state)
{
	time_t t = 0;
	char buf[40];

	(void)state;
	assert_true(ks_xades_parse_time("2025-05-01T08:00:00+07:00", &t));
	assert_int_equal(t, 1746061200);
	assert_true(ks_xades_parse_time("2025-05-01T01:00:00.123Z", &t));
	assert_int_equal(t, 1746061200);
	assert_true(ks_xades_parse_time(" 2025-05-01T01:00:00 ", &t));
	assert_false(ks_xades_parse_time("2025-13-01T01:00:00Z", &t));
	assert_false(ks_xades_parse_time("2025-05-01 01:00:00Z", &t));
	assert_false(ks_xades_parse_time("2025-05-01T01:00:00Zjunk", &t));
	ks_xades_format_time(1746057600, buf, sizeof(buf));
	assert_string_equal(buf, "2025-05-01T00:00:00Z");
}

static void test_ecdsa_raw(void **state)
{
	/* SEQUENCE { INTEGER 1, INTEGER 0x80 } -> 00..01 || 00..80 */
	static const uint8_t der[] = { 0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80 };
	struct ks_buf raw;

	(void)state;
	ks_buf_init(&raw, 256);
	assert_ok(ks_dsig_ecdsa_der_to_raw(der, sizeof(der), 32, &raw));
	assert_int_equal(raw.len, 64);
	assert_int_equal(raw.data[31], 1);
	assert_int_equal(raw.data[63], 0x80);
	ks_buf_reset(&raw);
	assert_fails_with(ks_dsig_ecdsa_der_to_raw(der, sizeof(der) - 1, 32, &raw), KS_ERR_CRYPTO);
	ks_buf_cleanup(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_refuses_doctype),
		cmocka_unit_test(test_scan_encoding),
		cmocka_unit_test(test_scan_limits),
		cmocka_unit_test(test_scan_structure),
		cmocka_unit_test(test_parse_ids),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_c14n),
		cmocka_unit_test(test_c14n_uris),
		cmocka_unit_test(test_xades_facts),
		cmocka_unit_test(test_xades_tamper),
		cmocka_unit_test(test_xades_keyvalue),
		cmocka_unit_test(test_xades_modes),
		cmocka_unit_test(test_xades_unsigned_hook),
		cmocka_unit_test(test_xades_external_key),
		cmocka_unit_test(test_xades_extend),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_ecdsa_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
