/* The audit log (api/ks_audit.h): RFC 9162 hashing against the known
 * answers of RFC 6962's test data, compact ranges, inclusion proofs and
 * their checks, checkpoints, appends over the store, and the detection
 * of rows edited, deleted, reordered or added behind the log's back. */
#include "ks_test.h"

#include <openssl/pem.h>
#include <sqlite3.h>
#include <unistd.h>

#include "api/ks_audit.h"
#include "signer/ks_record_ref.h"
#include "ks_codec.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kyso-audit-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void unhex(const char *h, uint8_t *out, size_t n)
{
	struct ks_buf b;

	ks_buf_init(&b, 256);
	assert_ok(ks_hex_decode(h, strlen(h), false, &b));
	assert_int_equal(b.len, n);
	memcpy(out, b.data, n);
	ks_buf_cleanup(&b);
}

/* RFC 6962 (certificate-transparency) test leaves and the roots of the
 * trees of their first 1..8 leaves. */
static const char *const kat_leaves[] = { "",
					  "00",
					  "10",
					  "2021",
					  "3031",
					  "40414243",
					  "5051525354555657",
					  "606162636465666768696a6b6c6d6e6f" };
static const char *const kat_roots[] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void test_known_roots(void **state)
{
	uint8_t leaves[8][32], root[32], want[32], data[16];
	struct ks_audit_range r;
	size_t i;

	(void)state;
	ks_audit_range_init(&r);
	ks_audit_range_root(&r, root);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
	assert_memory_equal(root, want, 32);
	for (i = 0; i < 8; i++) {
		size_t n = strlen(kat_leaves[i]) / 2;

		if (n > 0)
			unhex(kat_leaves[i], data, n);
		ks_audit_leaf_hash(data, n, leaves[i]);
		ks_audit_range_push(&r, leaves[i]);
		unhex(kat_roots[i], want, 32);
		ks_audit_range_root(&r, root);
		assert_memory_equal(root, want, 32);
		ks_audit_root((const uint8_t(*)[32])leaves, i + 1, root);
		assert_memory_equal(root, want, 32);
	}
}

static void test_proofs(void **state)
{
	uint8_t leaves[70][32], root[32], bad[32];
	struct ks_audit_range r;
	struct ks_buf path;
	size_t n, i;

	(void)state;
	ks_buf_init(&path, 64 * 32);
	for (i = 0; i < 70; i++) {
		uint8_t b = (uint8_t)i;

		ks_audit_leaf_hash(&b, 1, leaves[i]);
	}
	ks_audit_range_init(&r);
	for (n = 1; n <= 70; n++) {
		ks_audit_range_push(&r, leaves[n - 1]);
		ks_audit_range_root(&r, root);
		ks_audit_root((const uint8_t(*)[32])leaves, n, bad);
		assert_memory_equal(root, bad, 32); /* range == recursion */
		for (i = 0; i < n; i++) {
			ks_buf_reset(&path);
			assert_ok(
			    ks_audit_inclusion_proof((const uint8_t(*)[32])leaves, n, i, &path));
			assert_ok(
			    ks_audit_inclusion_check(i, n, leaves[i], path.data, path.len, root));
			/* another leaf, index or size does not pass */
			assert_fails_with(ks_audit_inclusion_check(i, n, leaves[(i + 1) % 70],
								   path.data, path.len, root),
					  KS_ERR_VERIFY);
			if (n > 1)
				assert_fails_with(ks_audit_inclusion_check((i + 1) % n, n,
									   leaves[i], path.data,
									   path.len, root),
						  KS_ERR_VERIFY);
			/* (a larger size with the same root can pass: the signed
			 * checkpoint binds size and root together) */
			if (path.len > 0) {
				path.data[0] ^= 1;
				assert_fails_with(ks_audit_inclusion_check(
						      i, n, leaves[i], path.data, path.len, root),
						  KS_ERR_VERIFY);
				path.data[0] ^= 1;
				assert_fails_with(ks_audit_inclusion_check(i, n, leaves[i],
									   path.data, path.len - 32,
									   root),
						  KS_ERR_VERIFY);
			}
		}
	}
	assert_fails_with(ks_audit_inclusion_proof((const uint8_t(*)[32])leaves, 5, 5, &path),
			  KS_ERR_ARG);
	assert_fails_with(ks_audit_inclusion_check(3, 3, leaves[0], path.data, 0, root),
			  KS_ERR_VERIFY);
	ks_buf_cleanup(&path);
}

static void test_checkpoint_text(void **state)
{
	struct ks_audit_checkpoint c, back;
	struct ks_buf t;
	static const char *const bad[] = {
		"kyso audit checkpoint v2\ninstance a\nsize 1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-06-01T08:00:00Z\n",
		"kyso audit checkpoint v1\ninstance a\nsize 01\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-06-01T08:00:00Z\n",
		"kyso audit checkpoint v1\ninstance a\nsize 1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\ntime 2025-06-01T08:00:00Z\n",
		"kyso audit checkpoint v1\ninstance a b\nsize 1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-06-01T08:00:00Z\n",
		"kyso audit checkpoint v1\ninstance a\nsize 1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-13-01T08:00:00Z\n",
		"kyso audit checkpoint v1\ninstance a\nsize 1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-06-01T08:00:00Z\nx",
		"kyso audit checkpoint v1\ninstance a\nsize 1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-06-01T08:00:00Z",
		"kyso audit checkpoint v1\ninstance a\nsize -1\nroot "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2025-06-01T08:00:00Z\n",
		"",
	};
	size_t i;

	(void)state;
	ks_buf_init(&t, 1024);
	memset(&c, 0, sizeof(c));
	snprintf(c.instance, sizeof(c.instance), "kyso-1");
	c.size = 1234567;
	memset(c.root, 0xab, 32);
	c.time = 1767225600;
	assert_ok(ks_audit_checkpoint_text(&c, &t));
	assert_ok(ks_audit_checkpoint_parse(t.data, t.len, &back));
	assert_string_equal(back.instance, "kyso-1");
	assert_int_equal(back.size, 1234567);
	assert_memory_equal(back.root, c.root, 32);
	assert_int_equal(back.time, c.time);
	assert_ok(ks_buf_append_byte(&t, 0));
	assert_non_null(strstr((const char *)t.data, "time 2026-01-01T00:00:00Z\n"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_fails_with(
		    ks_audit_checkpoint_parse((const uint8_t *)bad[i], strlen(bad[i]), &back),
		    KS_ERR_PARSE);
	ks_buf_cleanup(&t);
}

static struct ks_key *audit_key(void)
{
	const char *pki = getenv("KYSO_PKI_DIR");
	char k[4200], c[4200];
	struct ks_key *key = NULL;

	if (pki == NULL)
		pki = "build/pki";
	snprintf(k, sizeof(k), "%s/seal-ec.key.pem", pki);
	snprintf(c, sizeof(c), "%s/seal-ec.cert.pem", pki);
	assert_ok(ks_filekey_open(k, c, NULL, NULL, &key));
	return key;
}

/* The public key alone, as a third party has it. */
static EVP_PKEY *public_key(struct ks_key *key)
{
	char p[160];
	FILE *f;
	EVP_PKEY *pub = NULL;

	snprintf(p, sizeof(p), "%s/audit.pub.pem", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, X509_get0_pubkey(key->cert)), 1);
	fclose(f);
	assert_ok(ks_audit_pubkey_load(p, &pub));
	return pub;
}

static struct ks_store *new_log(const char *name, struct ks_key *key, size_t rows)
{
	struct ks_audit_signer sg = { key, "kyso-1", 0, 0 };
	struct ks_audit_event ev[7];
	struct ks_store *s = NULL;
	char url[200], dig[7][65];
	size_t i, j;

	snprintf(url, sizeof(url), "sqlite:%s/%s.db", dir, name);
	assert_ok(ks_store_open(url, NULL, &s));
	for (i = 0; i < rows; i += 7) {
		size_t n = rows - i < 7 ? rows - i : 7;

		for (j = 0; j < n; j++) {
			snprintf(dig[j], sizeof(dig[j]), "%064zx", i + j + 1);
			ev[j] = (struct ks_audit_event){ .op = "sign",
							 .client = "platform",
							 .key = "seal",
							 .digest = dig[j],
							 .level = "B-B",
							 .outcome = "ok",
							 .request = "r1" };
		}
		/* keep every third checkpoint */
		sg.keep_interval = (i / 7) % 3 == 0 ? 0 : 3600;
		assert_ok(ks_audit_append(s, &sg, ev, n, NULL));
	}
	return s;
}

struct problems {
	int n;
	char first[300];
	char all[2000];
};

static void on_problem(void *arg, uint64_t seq, const char *what)
{
	struct problems *p = arg;
	size_t used = strlen(p->all);

	(void)seq;
	if (p->n++ == 0)
		snprintf(p->first, sizeof(p->first), "%s", what);
	snprintf(p->all + used, sizeof(p->all) - used, "%s\n", what);
}

static int check_log(struct ks_store *s, EVP_PKEY *pub, struct problems *p)
{
	struct ks_audit_summary sum;

	memset(p, 0, sizeof(*p));
	assert_ok(ks_audit_verify(s, "kyso-1", pub, on_problem, p, &sum));
	assert_int_equal((int)sum.problems, p->n);
	return p->n;
}

static void tamper(const char *name, const char *sql)
{
	char path[200];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_log_and_proofs(void **state)
{
	struct ks_key *key = audit_key();
	EVP_PKEY *pub = public_key(key);
	struct ks_store *s = new_log("good", key, 40);
	struct ks_audit_summary sum;
	struct ks_audit_checkpoint cp;
	struct problems p;
	struct ks_buf doc, entry;
	char *at;

	(void)state;
	ks_buf_init(&doc, KS_AUDIT_DOC_MAX);
	ks_buf_init(&entry, 4096);
	assert_int_equal(check_log(s, pub, &p), 0);
	assert_ok(ks_audit_verify(s, "kyso-1", pub, NULL, NULL, &sum));
	assert_int_equal(sum.entries, 40);
	assert_int_equal(sum.covered, 40);
	assert_true(sum.checkpoints >= 3);

	/* a proof for the 23rd document, checked with the public key alone */
	assert_ok(ks_audit_proof(s, "kyso-1",
				 "0000000000000000000000000000000000000000000000000000000000000017",
				 0, &doc));
	assert_ok(ks_audit_proof_check(
	    doc.data, doc.len, pub,
	    "0000000000000000000000000000000000000000000000000000000000000017", &cp, &entry));
	assert_int_equal(cp.size, 40);
	assert_fails_with(ks_audit_proof_check(doc.data, doc.len, pub,
					       "00000000000000000000000000000000000000000000000"
					       "00000000000000018",
					       &cp, &entry),
			  KS_ERR_VERIFY);
	/* a claim for another place in the log fails */
	assert_ok(ks_buf_append_byte(&doc, 0));
	at = strstr((char *)doc.data, "\"index\": 22");
	assert_non_null(at);
	at[10] = '3';
	assert_int_equal(ks_audit_proof_check(doc.data, doc.len - 1, pub, NULL, &cp, &entry), -1);
	assert_fails_with(ks_audit_proof(s, "kyso-1", "ff", 0, &doc), KS_ERR_NOT_FOUND);
	ks_store_close(s);

	/* a valid log checked with another key */
	{
		struct ks_key *other = NULL;
		const char *pki = getenv("KYSO_PKI_DIR");
		char k[4200], c[4200];
		EVP_PKEY *opub;

		pki = pki != NULL ? pki : "build/pki";
		snprintf(k, sizeof(k), "%s/principal-ec.key.pem", pki);
		snprintf(c, sizeof(c), "%s/principal-ec.cert.pem", pki);
		assert_ok(ks_filekey_open(k, c, NULL, NULL, &other));
		opub = X509_get_pubkey(other->cert);
		s = new_log("good2", key, 5);
		assert_true(check_log(s, opub, &p) > 0);
		assert_non_null(strstr(p.first, "not signed by the audit key"));
		ks_store_close(s);
		EVP_PKEY_free(opub);
		ks_key_free(other);
	}
	ks_buf_cleanup(&doc);
	ks_buf_cleanup(&entry);
	EVP_PKEY_free(pub);
	ks_key_free(key);
}

static struct ks_store *reopen(const char *name)
{
	struct ks_store *s = NULL;
	char url[200];

	snprintf(url, sizeof(url), "sqlite:%s/%s.db", dir, name);
	assert_ok(ks_store_open(url, NULL, &s));
	return s;
}

/* An entry names a session activation only when there is one: the
 * entries of other signatures keep their bytes. */
static void test_entry_session(void **state)
{
	struct ks_audit_event ev = { .op = "sign",
				     .client = "p",
				     .key = "teacher",
				     .digest = "ab",
				     .level = "B-B",
				     .outcome = "ok",
				     .request = "r" };
	struct ks_buf a, b;

	(void)state;
	ks_buf_init(&a, 4096);
	ks_buf_init(&b, 4096);
	assert_ok(ks_audit_entry_encode(&ev, "kyso-1", 7, 0, &a));
	ev.session = "";
	assert_ok(ks_audit_entry_encode(&ev, "kyso-1", 7, 0, &b));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_ok(ks_buf_append_byte(&a, 0));
	assert_null(strstr((const char *)a.data, "session"));
	ks_buf_reset(&b);
	ev.session = "0123456789abcdef0123456789abcdef";
	assert_ok(ks_audit_entry_encode(&ev, "kyso-1", 7, 0, &b));
	assert_ok(ks_buf_append_byte(&b, 0));
	assert_non_null(
	    strstr((const char *)b.data, "\"session\":\"0123456789abcdef0123456789abcdef\""));
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
}

static void test_tampering(void **state)
{
	static const struct {
		const char *name, *sql, *expect;
	} cases[] = {
		{ "edited",
		  "UPDATE audit SET entry=replace(entry,'\"outcome\":\"ok\"','\"outcome\":\"no\"') "
		  "WHERE seq=9",
		  "does not match the rows" },
		{ "edited-digest", "UPDATE audit SET digest='00' WHERE seq=12", "digest column" },
		{ "deleted", "DELETE FROM audit WHERE seq=17", "missing (deleted)" },
		{ "deleted-tail", "DELETE FROM audit WHERE seq>=28",
		  "rows at the end were deleted" },
		{ "reordered",
		  "UPDATE audit SET seq=-1 WHERE seq=5; UPDATE audit SET seq=5 WHERE seq=6;"
		  "UPDATE audit SET seq=6 WHERE seq=-1",
		  "rows were reordered" },
		{ "reordered-entries",
		  "UPDATE audit SET entry=(SELECT entry FROM audit WHERE seq=21), "
		  "digest=(SELECT digest FROM audit WHERE seq=21) WHERE seq=20",
		  "holds the entry of" },
		{ "inserted",
		  "INSERT INTO audit(instance,seq,digest,entry) SELECT instance,31,digest,"
		  "replace(entry,'\"seq\":30','\"seq\":31') FROM audit WHERE seq=30",
		  "not covered by the latest checkpoint" },
		{ "checkpoint-deleted", "DELETE FROM checkpoints WHERE latest=1",
		  "latest checkpoint is missing" },
	};
	struct ks_key *key = audit_key();
	EVP_PKEY *pub = public_key(key);
	struct ks_audit_event ev = { .op = "sign",
				     .client = "p",
				     .key = "seal",
				     .digest = "",
				     .level = "B-B",
				     .outcome = "ok",
				     .request = "r" };
	struct ks_audit_signer sg = { key, "kyso-1", 0, 0 };
	struct problems p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ks_store *s = new_log(cases[i].name, key, 30);

		assert_int_equal(check_log(s, pub, &p), 0);
		ks_store_close(s);
		tamper(cases[i].name, cases[i].sql);
		s = reopen(cases[i].name);
		if (check_log(s, pub, &p) == 0)
			fail_msg("%s: not detected", cases[i].name);
		if (strstr(p.all, cases[i].expect) == NULL)
			fail_msg("%s: problems:\n%s", cases[i].name, p.all);
		/* no new row is appended to a log that does not end where its
		 * latest checkpoint says */
		if (strcmp(cases[i].name, "deleted-tail") == 0 ||
		    strcmp(cases[i].name, "inserted") == 0 ||
		    strcmp(cases[i].name, "checkpoint-deleted") == 0)
			assert_fails_with(ks_audit_append(s, &sg, &ev, 1, NULL), KS_ERR_VERIFY);
		ks_store_close(s);
	}
	EVP_PKEY_free(pub);
	ks_key_free(key);
}

static bool buf_has(const struct ks_buf *b, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; n <= b->len && i <= b->len - n; i++)
		if (memcmp(b->data + i, s, n) == 0)
			return true;
	return false;
}

/* What a record id lookup returns, row by row. */
struct rows {
	uint64_t seq[8];
	char entry[8][600];
	size_t n;
};

static int on_row(void *arg, uint64_t seq, const char *digest, const uint8_t *entry, size_t n)
{
	struct rows *r = arg;

	(void)digest;
	assert_true(r->n < 8 && n < sizeof(r->entry[0]));
	r->seq[r->n] = seq;
	memcpy(r->entry[r->n], entry, n);
	r->entry[r->n][n] = '\0';
	r->n++;
	return 0;
}

/* A signature's row holds the record id, the signed document's digest and
 * the signer; the store finds rows by exact id, newest first. */
static void test_record_rows(void **state)
{
	struct ks_key *key = audit_key();
	EVP_PKEY *pub = public_key(key);
	struct ks_audit_signer sg = { key, "kyso-1", 0, 0 };
	struct ks_audit_event ev[4];
	struct ks_store *s = NULL;
	struct ks_buf e;
	struct problems p;
	struct rows r;
	char url[200], in[64 + 1], out[64 + 1];
	char long_id[KS_RECORD_REF_MAX + 2];
	size_t i;

	(void)state;
	memset(in, 'a', 64);
	in[64] = '\0';
	memset(out, 'b', 64);
	out[64] = '\0';
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 4; i++) {
		ev[i].op = "sign";
		ev[i].client = "platform";
		ev[i].key = "seal";
		ev[i].digest = in;
		ev[i].level = "B-T";
		ev[i].outcome = "ok";
		ev[i].request = "r1";
		ev[i].signed_digest = out;
		ev[i].signer = "Trường THPT Nguyễn Trãi";
	}
	ev[0].record = "hb-5gddzp4f5ltze6xh";
	ev[1].record = "hb-5gddzp4f5ltze6xi"; /* another id, one letter apart */
	ev[2].record = "hb-5gddzp4f5ltze6xh";
	ev[3].record = ""; /* none: the fields are left out */
	ev[3].signed_digest = "";
	ev[3].signer = NULL;

	/* the entry's bytes: sorted keys, the new fields only when given */
	ks_buf_init(&e, KS_STORE_ENTRY_MAX);
	assert_ok(ks_audit_entry_encode(&ev[0], "kyso-1", 1, 0, &e));
	assert_true(buf_has(&e, "\"record\":\"hb-5gddzp4f5ltze6xh\",\"request\""));
	assert_true(buf_has(&e, "\"signer\":\"Trường THPT Nguyễn Trãi\",\"time\""));
	ks_buf_reset(&e);
	assert_ok(ks_audit_entry_encode(&ev[3], "kyso-1", 1, 0, &e));
	assert_false(buf_has(&e, "record"));
	assert_false(buf_has(&e, "signed"));
	assert_false(buf_has(&e, "signer"));
	/* a record id that is not one is refused, never written */
	ev[3].record = "hb-<x>";
	assert_fails_with(ks_audit_entry_encode(&ev[3], "kyso-1", 1, 0, &e), KS_ERR_ARG);
	ev[3].record = "";
	ks_buf_cleanup(&e);

	snprintf(url, sizeof(url), "sqlite:%s/records.db", dir);
	assert_ok(ks_store_open(url, NULL, &s));
	assert_ok(ks_audit_append(s, &sg, ev, 4, NULL));
	memset(&r, 0, sizeof(r));
	assert_ok(ks_store_audit_record(s, "kyso-1", "hb-5gddzp4f5ltze6xh", 8, on_row, &r));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.seq[0], 3); /* newest first */
	assert_int_equal(r.seq[1], 1);
	assert_non_null(strstr(r.entry[0], "\"signed\":\"bbbb"));
	memset(&r, 0, sizeof(r));
	assert_ok(ks_store_audit_record(s, "kyso-1", "hb-5gddzp4f5ltze6xh", 1, on_row, &r));
	assert_int_equal(r.n, 1);
	/* exact ids only: no prefix, no pattern, no other instance */
	memset(&r, 0, sizeof(r));
	assert_ok(ks_store_audit_record(s, "kyso-1", "hb-5gddzp4f5ltze6x", 8, on_row, &r));
	assert_ok(ks_store_audit_record(s, "kyso-1", "hb-5gddzp4f5ltze6x_", 8, on_row, &r));
	assert_ok(ks_store_audit_record(s, "kyso-2", "hb-5gddzp4f5ltze6xh", 8, on_row, &r));
	assert_int_equal(r.n, 0);
	assert_fails_with(ks_store_audit_record(s, "kyso-1", "hb-%", 8, on_row, &r), KS_ERR_ARG);
	assert_fails_with(ks_store_audit_record(s, "kyso-1", "", 8, on_row, &r), KS_ERR_ARG);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_fails_with(ks_store_audit_record(s, "kyso-1", long_id, 8, on_row, &r), KS_ERR_ARG);
	assert_fails_with(ks_store_audit_record(s, "kyso-1", "hb-1", 0, on_row, &r), KS_ERR_ARG);
	assert_fails_with(
	    ks_store_audit_record(s, "kyso-1", "hb-1", KS_STORE_RECORD_ROWS_MAX + 1, on_row, &r),
	    KS_ERR_ARG);
	/* the log with the new fields checks as before */
	assert_int_equal(check_log(s, pub, &p), 0);
	ks_store_close(s);
	EVP_PKEY_free(pub);
	ks_key_free(key);
}

/* A database of schema 1 (no record column) is migrated in place when
 * opened: its rows kept, the log still checks, new rows findable by id.
 * A schema newer than this kyso's is refused. */
static void test_schema_migration(void **state)
{
	struct ks_key *key = audit_key();
	EVP_PKEY *pub = public_key(key);
	struct ks_audit_signer sg = { key, "kyso-1", 0, 0 };
	struct ks_audit_event ev = { .op = "sign",
				     .client = "platform",
				     .key = "seal",
				     .digest = "",
				     .level = "B-B",
				     .outcome = "ok",
				     .request = "r2",
				     .record = "sd-xjidew2aagki5ozf",
				     .signed_digest = "",
				     .signer = "" };
	struct ks_store *s = NULL;
	struct problems p;
	struct rows r;
	sqlite3 *db;
	sqlite3_stmt *t;
	char path[200], url[220];

	(void)state;
	snprintf(path, sizeof(path), "%s/old.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_ok(ks_store_open(url, NULL, &s));
	assert_ok(ks_audit_append(s, &sg, &ev, 1, NULL));
	ks_store_close(s);
	/* back to what an older kyso made */
	tamper("old", "DROP INDEX audit_record; ALTER TABLE audit DROP COLUMN record;"
		      "UPDATE meta SET v='1' WHERE k='schema'");
	s = NULL;
	assert_ok(ks_store_open(url, NULL, &s));
	memset(&r, 0, sizeof(r));
	/* the old row has no record id: the column did not exist */
	assert_ok(ks_store_audit_record(s, "kyso-1", "sd-xjidew2aagki5ozf", 8, on_row, &r));
	assert_int_equal(r.n, 0);
	assert_ok(ks_audit_append(s, &sg, &ev, 1, NULL));
	assert_ok(ks_store_audit_record(s, "kyso-1", "sd-xjidew2aagki5ozf", 8, on_row, &r));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.seq[0], 2);
	assert_int_equal(check_log(s, pub, &p), 0);
	ks_store_close(s);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k='schema'", -1, &t, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(t), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(t, 0), "2");
	sqlite3_finalize(t);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM sqlite_master WHERE type='index' "
					    "AND name='audit_record'",
					    -1, &t, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(t), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(t, 0), 1);
	sqlite3_finalize(t);
	sqlite3_close(db);
	/* opened again: nothing to migrate */
	assert_ok(ks_store_open(url, NULL, &s));
	ks_store_close(s);
	tamper("old", "UPDATE meta SET v='3' WHERE k='schema'");
	s = NULL;
	assert_fails_with(ks_store_open(url, NULL, &s), KS_ERR_UNSUPPORTED);
	EVP_PKEY_free(pub);
	ks_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_roots),      cmocka_unit_test(test_proofs),
		cmocka_unit_test(test_checkpoint_text),  cmocka_unit_test(test_log_and_proofs),
		cmocka_unit_test(test_tampering),        cmocka_unit_test(test_record_rows),
		cmocka_unit_test(test_schema_migration), cmocka_unit_test(test_entry_session),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
