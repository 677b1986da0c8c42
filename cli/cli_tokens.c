/* kyso tokens: the PKCS#11 tokens present, from p11-kit's registered
 * modules and KYSO_PKCS11_MODULE. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include "ks_buf.h"
#include "pkcs11/ks_p11.h"
#include "cli/ks_cli.h"

static const struct {
	unsigned long flag;
	const char *name;
} token_flags[] = {
	{ CKF_RNG, "rng" },
	{ CKF_WRITE_PROTECTED, "write-protected" },
	{ CKF_LOGIN_REQUIRED, "login-required" },
	{ CKF_USER_PIN_INITIALIZED, "user-pin-initialized" },
	{ CKF_PROTECTED_AUTHENTICATION_PATH, "protected-authentication-path" },
	{ CKF_TOKEN_INITIALIZED, "token-initialized" },
	{ CKF_USER_PIN_COUNT_LOW, "user-pin-count-low" },
	{ CKF_USER_PIN_FINAL_TRY, "user-pin-final-try" },
	{ CKF_USER_PIN_LOCKED, "user-pin-locked" },
	{ CKF_USER_PIN_TO_BE_CHANGED, "user-pin-to-be-changed" },
	{ CKF_SO_PIN_LOCKED, "so-pin-locked" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kyso tokens [--uri pkcs11:...] [--json]\n"
		   "  lists the PKCS#11 tokens present (modules registered with p11-kit,\n"
		   "  plus KYSO_PKCS11_MODULE=/path/module.so)\n");
}

static int token_uri(const struct ks_p11_token_info *t, struct ks_buf *out)
{
	return ks_p11_uri_format(t->label, t->manufacturer, t->serial, t->model, NULL, NULL, 0,
				 KS_P11_OBJ_ANY, out);
}

static int print_text(const struct ks_p11_token_info *v, size_t n)
{
	struct ks_buf uri;
	size_t i, j;

	ks_buf_init(&uri, KS_P11_URI_MAX);
	for (i = 0; i < n; i++) {
		const char *s = "";

		ks_buf_reset(&uri);
		if (token_uri(&v[i], &uri) < 0 || ks_buf_cstr(&uri, &s) < 0) {
			ks_buf_cleanup(&uri);
			return -1;
		}
		printf("%stoken '%s'\n", i > 0 ? "\n" : "", v[i].label);
		printf("  manufacturer: %s\n", v[i].manufacturer);
		printf("  model:        %s\n", v[i].model);
		printf("  serial:       %s\n", v[i].serial);
		printf("  slot:         %lu\n", v[i].slot_id);
		printf("  flags:       ");
		for (j = 0; j < sizeof(token_flags) / sizeof(token_flags[0]); j++)
			if (v[i].flags & token_flags[j].flag)
				printf(" %s", token_flags[j].name);
		printf("\n  access:       %s\n", v[i].serial_access ? "serial" : "parallel");
		printf("  module:       %s\n", v[i].module);
		printf("  uri:          %s\n", s);
	}
	if (n == 0)
		printf("no tokens present\n");
	ks_buf_cleanup(&uri);
	return 0;
}

static int print_json(const struct ks_p11_token_info *v, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	struct ks_buf uri;
	size_t i, j;
	int rc = -1;

	ks_buf_init(&uri, KS_P11_URI_MAX);
	if (root == NULL || arr == NULL || json_object_set_new(root, "tokens", arr) < 0) {
		json_decref(arr);
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		json_t *o = json_object(), *fl = json_array();
		const char *s = "";

		ks_buf_reset(&uri);
		if (o == NULL || fl == NULL || json_array_append_new(arr, o) < 0) {
			json_decref(o);
			json_decref(fl);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
		KS_GUARD(token_uri(&v[i], &uri));
		KS_GUARD(ks_buf_cstr(&uri, &s));
		for (j = 0; j < sizeof(token_flags) / sizeof(token_flags[0]); j++)
			if (v[i].flags & token_flags[j].flag)
				json_array_append_new(fl, json_string(token_flags[j].name));
		/* Token fields are UTF-8 by PKCS#11; json_string() refuses
		 * invalid UTF-8, and then the field is left null. */
		json_object_set_new(o, "label", json_string(v[i].label));
		json_object_set_new(o, "manufacturer", json_string(v[i].manufacturer));
		json_object_set_new(o, "model", json_string(v[i].model));
		json_object_set_new(o, "serial", json_string(v[i].serial));
		json_object_set_new(o, "slot", json_integer((json_int_t)v[i].slot_id));
		json_object_set_new(o, "flags", fl);
		json_object_set_new(o, "serial_access", json_boolean(v[i].serial_access));
		json_object_set_new(o, "module", json_string(v[i].module));
		json_object_set_new(o, "uri", json_string(s));
	}
	KS_ENSURE(json_dumpf(root, stdout, JSON_INDENT(2)) == 0, KS_ERR_IO, "writing JSON");
	printf("\n");
	rc = 0;
out:
	json_decref(root);
	ks_buf_cleanup(&uri);
	return rc;
}

int ks_cli_tokens(int argc, char **argv)
{
	struct ks_p11_token_info *v = NULL;
	const char *uri = NULL;
	bool json = false;
	size_t n = 0;
	int rc;

	rc = ks_cli_list_opts("tokens", argc, argv, usage, &uri, &json);
	if (rc >= 0)
		return rc;
	rc = KS_EXIT_USAGE;
	if (ks_p11_init() < 0 || ks_p11_list_tokens(uri, &v, &n) < 0) {
		ks_cli_error("tokens");
		goto out;
	}
	if ((json ? print_json(v, n) : print_text(v, n)) < 0) {
		ks_cli_error("tokens");
		goto out;
	}
	rc = KS_EXIT_OK;
out:
	free(v);
	ks_p11_shutdown();
	return rc;
}
