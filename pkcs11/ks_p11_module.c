/* Module loading (p11-kit registry and explicit paths), token listing
 * and the registry of per-token state. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks_log.h"
#include "ks_p11_int.h"

static struct {
	pthread_mutex_t lock;
	bool initialized;
	bool no_module_path;
	CK_FUNCTION_LIST **registry; /* from p11_kit_modules_load_and_initialize */
	struct ks_p11_module *modules;
	struct ks_p11_token *tokens;
	unsigned max_sessions;
	unsigned long login_attempts;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER, .max_sessions = KS_P11_POOL_DEFAULT };

void ks_p11_global_lock(void)
{
	pthread_mutex_lock(&g.lock);
}

void ks_p11_global_unlock(void)
{
	pthread_mutex_unlock(&g.lock);
}

struct ks_p11_module *ks_p11_modules_locked(void)
{
	return g.modules;
}

unsigned long ks_p11_login_attempts_inc(void)
{
	return __atomic_add_fetch(&g.login_attempts, 1, __ATOMIC_SEQ_CST);
}

unsigned long ks_p11_login_attempts(void)
{
	return __atomic_load_n(&g.login_attempts, __ATOMIC_SEQ_CST);
}

void ks_p11_field(char *dst, size_t dstlen, const unsigned char *src, size_t srclen)
{
	size_t n = srclen;

	/* PKCS#11 2.40 3.2: character fields are blank padded, not NUL
	 * terminated; some modules NUL-terminate anyway. */
	if (dstlen == 0)
		return;
	for (size_t i = 0; i < srclen; i++) {
		if (src[i] == 0) {
			n = i;
			break;
		}
	}
	while (n > 0 && src[n - 1] == ' ')
		n--;
	if (n > dstlen - 1)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void module_free(struct ks_p11_module *m)
{
	if (m == NULL)
		return;
	if (m->owned && m->fl != NULL) {
		(void)p11_kit_module_finalize(m->fl);
		p11_kit_module_release(m->fl);
	}
	free(m->name);
	free(m->path);
	free(m);
}

/* Two module file names denote the same library? */
static bool same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	const char *ba, *bb;

	if (a == NULL || b == NULL)
		return false;
	if (realpath(a, ra) != NULL && realpath(b, rb) != NULL)
		return strcmp(ra, rb) == 0;
	/* Registry entries may name a module relative to p11-kit's module
	 * directory: compare the file names. */
	ba = strrchr(a, '/');
	bb = strrchr(b, '/');
	return strcmp(ba != NULL ? ba + 1 : a, bb != NULL ? bb + 1 : b) == 0;
}

static int module_add(CK_FUNCTION_LIST *fl, bool owned, const char *path)
{
	struct ks_p11_module *m = NULL, **tail;
	char *name = NULL;
	ck_rv_t rv;
	int rc = -1;

	m = calloc(1, sizeof(*m));
	KS_ENSURE(m != NULL, KS_ERR_NOMEM, "out of memory");
	m->fl = fl;
	m->owned = owned;
	m->path = p11_kit_module_get_filename(fl);
	if (m->path == NULL && path != NULL)
		m->path = strdup(path);
	name = p11_kit_module_get_name(fl);
	if (name == NULL) {
		const char *base = m->path != NULL ? strrchr(m->path, '/') : NULL;

		name = strdup(base != NULL ? base + 1 : (m->path != NULL ? m->path : "module"));
	}
	KS_ENSURE(name != NULL, KS_ERR_NOMEM, "out of memory");
	m->name = name;
	name = NULL;
	rv = fl->C_GetInfo(&m->info);
	KS_ENSURE(rv == CKR_OK, KS_ERR_PKCS11, "C_GetInfo on module '%s' failed: %s", m->name,
		  ks_p11_rv_name(rv));
	for (tail = &g.modules; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = m;
	m = NULL;
	rc = 0;
out:
	if (m != NULL) {
		m->owned = false; /* the caller still owns fl on failure */
		module_free(m);
	}
	free(name);
	return rc;
}

static struct ks_p11_module *module_by_path(const char *path)
{
	struct ks_p11_module *m;

	for (m = g.modules; m != NULL; m = m->next)
		if (same_file(m->path, path))
			return m;
	return NULL;
}

/* Load a module by path (p11_kit_module_load + _initialize), unless the
 * same library is already loaded.  Global lock held. */
static int module_load_path(const char *path, struct ks_p11_module **out)
{
	CK_FUNCTION_LIST *fl = NULL;
	ck_rv_t rv;

	/* p11-kit needs a path: a bare name is looked up nowhere. */
	if (path[0] != '/')
		return KS_SET(KS_ERR_ARG, "PKCS#11 module '%s' must be given by absolute path",
			      path);
	/* A missing file is an error here, not a match by file name with a
	 * registered module elsewhere. */
	if (access(path, R_OK) != 0)
		return KS_SET(KS_ERR_ARG, "PKCS#11 module '%s' cannot be read: %s", path,
			      strerror(errno));
	*out = module_by_path(path);
	if (*out != NULL)
		return 0;
	fl = p11_kit_module_load(path, 0);
	if (fl == NULL)
		return KS_SET(KS_ERR_PKCS11, "cannot load PKCS#11 module '%s': %s", path,
			      p11_kit_message() != NULL ? p11_kit_message() : "unknown error");
	/* p11-kit initialises with CKF_OS_LOCKING_OK: the module may be
	 * called from several threads. */
	rv = p11_kit_module_initialize(fl);
	if (rv != CKR_OK) {
		p11_kit_module_release(fl);
		return KS_SET(KS_ERR_PKCS11, "cannot initialise PKCS#11 module '%s': %s", path,
			      ks_p11_rv_name(rv));
	}
	if (module_add(fl, true, path) < 0) {
		(void)p11_kit_module_finalize(fl);
		p11_kit_module_release(fl);
		return -1;
	}
	*out = module_by_path(path);
	if (*out == NULL) /* p11-kit reported another file name: take the last */
		for (*out = g.modules; (*out)->next != NULL; *out = (*out)->next)
			;
	return 0;
}

static int env_unsigned(const char *name, unsigned max, unsigned *v)
{
	const char *s = getenv(name);
	char *end;
	unsigned long n;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > max)
		return KS_SET(KS_ERR_ARG, "%s must be a number from 1 to %u", name, max);
	*v = (unsigned)n;
	return 0;
}

/* Load and initialise the modules.  Global lock held. */
static int init_locked(void)
{
	const char *env;
	char *paths = NULL, *save = NULL, *p;
	struct ks_p11_module *m;
	unsigned maxs = g.max_sessions;
	int rc = -1;
	size_t i;

	if (g.initialized)
		return 0;
	KS_GUARD(env_unsigned("KYSO_P11_MAX_SESSIONS", KS_P11_POOL_MAX, &maxs));
	g.max_sessions = maxs;
	env = getenv("KYSO_PKCS11_REGISTRY");
	if (env == NULL || strcmp(env, "0") != 0) {
		/* The registry (pkcs11.conf(5), /usr/share/p11-kit/modules):
		 * modules the administrator installed, managed by p11-kit. */
		g.registry = p11_kit_modules_load_and_initialize(0);
		if (g.registry == NULL)
			ks_log(KS_LOG_WARN, "p11-kit registry: %s",
			       p11_kit_message() != NULL ? p11_kit_message() : "no modules");
		for (i = 0; g.registry != NULL && g.registry[i] != NULL; i++)
			if (module_add(g.registry[i], false, NULL) < 0)
				ks_log_err(KS_LOG_WARN, "skipping a registered PKCS#11 module");
	}
	env = getenv("KYSO_PKCS11_MODULE");
	if (env != NULL && *env != '\0') {
		paths = strdup(env);
		KS_ENSURE(paths != NULL, KS_ERR_NOMEM, "out of memory");
		/* Colon-separated like PATH (strtok_r, not the banned strtok). */
		for (p = strtok_r(paths, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save))
			KS_GUARD(module_load_path(p, &m));
	}
	g.initialized = true;
	rc = 0;
out:
	if (rc < 0) {
		while (g.modules != NULL) {
			m = g.modules;
			g.modules = m->next;
			module_free(m);
		}
		if (g.registry != NULL)
			p11_kit_modules_finalize_and_release(g.registry);
		g.registry = NULL;
	}
	free(paths);
	return rc;
}

int ks_p11_init(void)
{
	int rc;

	pthread_mutex_lock(&g.lock);
	rc = init_locked();
	pthread_mutex_unlock(&g.lock);
	return rc;
}

static void token_free(struct ks_p11_token *tok)
{
	pthread_mutex_destroy(&tok->lock);
	pthread_cond_destroy(&tok->cond);
	ks_buf_cleanup(&tok->pin);
	free(tok);
}

/* Close sessions, finalise modules, free state.  Global lock held. */
static void shutdown_locked(void)
{
	struct ks_p11_token *tok, *next;
	struct ks_p11_module *m;

	for (tok = g.tokens; tok != NULL; tok = next) {
		next = tok->next;
		pthread_mutex_lock(&tok->lock);
		if (!tok->dead && tok->mod != NULL) {
			while (tok->n_idle > 0)
				(void)tok->mod->fl->C_CloseSession(tok->idle[--tok->n_idle]);
		}
		tok->dead = true;
		tok->mod = NULL;
		tok->logged_in = false;
		tok->have_pin = false;
		ks_buf_cleanup(&tok->pin);
		tok->next = NULL;
		pthread_cond_broadcast(&tok->cond);
		pthread_mutex_unlock(&tok->lock);
		if (--tok->refs == 0)
			token_free(tok);
	}
	g.tokens = NULL;
	while (g.modules != NULL) {
		m = g.modules;
		g.modules = m->next;
		module_free(m);
	}
	if (g.registry != NULL)
		p11_kit_modules_finalize_and_release(g.registry);
	g.registry = NULL;
	g.initialized = false;
}

void ks_p11_shutdown(void)
{
	pthread_mutex_lock(&g.lock);
	shutdown_locked();
	pthread_mutex_unlock(&g.lock);
}

bool ks_p11_reload_if_idle(void)
{
	struct ks_p11_token *tok;
	bool idle = true;

	pthread_mutex_lock(&g.lock);
	if (!g.initialized) {
		pthread_mutex_unlock(&g.lock);
		return false;
	}
	/* Idle: no key holds a token (refs 1 = the list only) and no session
	 * is on loan. */
	for (tok = g.tokens; tok != NULL && idle; tok = tok->next) {
		pthread_mutex_lock(&tok->lock);
		idle = tok->refs == 1 && tok->n_open == tok->n_idle;
		pthread_mutex_unlock(&tok->lock);
	}
	if (idle) {
		shutdown_locked();
		if (init_locked() < 0) {
			ks_log_err(KS_LOG_WARN, "reloading the PKCS#11 modules");
			idle = false;
		}
	}
	pthread_mutex_unlock(&g.lock);
	return idle;
}

/* Set where an error may pass by itself (a token seen half-written);
 * thread-local, read and cleared by the caller that retries. */
static _Thread_local bool transient_seen;

void ks_p11_transient_note(void)
{
	transient_seen = true;
}

bool ks_p11_transient_take(void)
{
	bool v = transient_seen;

	transient_seen = false;
	return v;
}

int ks_p11_set_max_sessions(unsigned n)
{
	if (n == 0 || n > KS_P11_POOL_MAX)
		return KS_SET(KS_ERR_ARG, "sessions per token must be 1 to %d", KS_P11_POOL_MAX);
	pthread_mutex_lock(&g.lock);
	g.max_sessions = n;
	pthread_mutex_unlock(&g.lock);
	return 0;
}

void ks_p11_set_module_path_allowed(bool allowed)
{
	pthread_mutex_lock(&g.lock);
	g.no_module_path = !allowed;
	pthread_mutex_unlock(&g.lock);
}

/* The module's base name without "lib" and ".so": "softhsm2" for
 * .../libsofthsm2.so (RFC 7512 2.3, module-name). */
static bool module_name_matches(const struct ks_p11_module *m, const char *want)
{
	const char *base;
	size_t n;

	if (strcmp(m->name, want) == 0)
		return true;
	if (m->path == NULL)
		return false;
	base = strrchr(m->path, '/');
	base = base != NULL ? base + 1 : m->path;
	if (strncmp(base, "lib", 3) == 0 && strncmp(base + 3, want, strlen(want)) == 0)
		base += 3;
	n = strlen(want);
	return strncmp(base, want, n) == 0 && (base[n] == '\0' || strcmp(base + n, ".so") == 0);
}

int ks_p11_module_for_uri(const struct ks_p11_uri *u, struct ks_p11_module **only)
{
	struct ks_p11_module *m;
	struct ks_buf names;
	int rc = -1;

	*only = NULL;
	ks_buf_init(&names, 4096);
	pthread_mutex_lock(&g.lock);
	KS_ENSURE(g.initialized, KS_ERR_INTERNAL, "PKCS#11 layer not initialised");
	if (u->module_path != NULL) {
		/* RFC 7512 2.3: module-path names the library to load.  Loading
		 * a path runs its code: a daemon turns this off for URIs that
		 * come from requests. */
		KS_ENSURE(!g.no_module_path, KS_ERR_POLICY,
			  "module-path in a PKCS#11 URI is not allowed here; configure the module");
		KS_GUARD(module_load_path(u->module_path, only));
	} else if (u->module_name != NULL) {
		for (m = g.modules; m != NULL; m = m->next) {
			if (module_name_matches(m, u->module_name)) {
				*only = m;
				break;
			}
			if (ks_buf_printf(&names, "%s%s", names.len > 0 ? ", " : "", m->name) < 0)
				ks_err_clear(); /* the list is only for the message */
		}
		if (*only == NULL) {
			const char *s = "";

			if (ks_buf_cstr(&names, &s) < 0)
				s = "";
			KS_BAIL(KS_ERR_NOT_FOUND, "no PKCS#11 module named '%s' (loaded: %s)",
				u->module_name, *s != '\0' ? s : "none");
		}
	}
	rc = 0;
out:
	pthread_mutex_unlock(&g.lock);
	ks_buf_cleanup(&names);
	return rc;
}

int ks_p11_token_info_read(struct ks_p11_module *m, ck_slot_id_t slot, struct ks_p11_token_info *t,
			   bool *present)
{
	struct ck_slot_info si;
	struct ck_token_info ti;
	ck_rv_t rv;
	const char *env;
	const char *base;

	memset(t, 0, sizeof(*t));
	*present = false;
	rv = m->fl->C_GetSlotInfo(slot, &si);
	if (rv != CKR_OK)
		return KS_SET(KS_ERR_PKCS11, "C_GetSlotInfo(%lu) on '%s': %s", slot, m->name,
			      ks_p11_rv_name(rv));
	t->slot_id = slot;
	ks_p11_field(t->slot_description, sizeof(t->slot_description), si.slot_description,
		     sizeof(si.slot_description));
	ks_p11_field(t->slot_manufacturer, sizeof(t->slot_manufacturer), si.manufacturer_id,
		     sizeof(si.manufacturer_id));
	ks_p11_field(t->library_manufacturer, sizeof(t->library_manufacturer),
		     m->info.manufacturer_id, sizeof(m->info.manufacturer_id));
	ks_p11_field(t->library_description, sizeof(t->library_description),
		     m->info.library_description, sizeof(m->info.library_description));
	t->library_major = m->info.library_version.major;
	t->library_minor = m->info.library_version.minor;
	base = m->path != NULL ? m->path : m->name;
	snprintf(t->module, sizeof(t->module), "%s", base);
	if (!(si.flags & CKF_TOKEN_PRESENT))
		return 0;
	rv = m->fl->C_GetTokenInfo(slot, &ti);
	if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED ||
	    rv == CKR_DEVICE_REMOVED)
		return 0;
	if (rv != CKR_OK)
		return KS_SET(KS_ERR_PKCS11, "C_GetTokenInfo(%lu) on '%s': %s", slot, m->name,
			      ks_p11_rv_name(rv));
	ks_p11_field(t->label, sizeof(t->label), ti.label, sizeof(ti.label));
	ks_p11_field(t->manufacturer, sizeof(t->manufacturer), ti.manufacturer_id,
		     sizeof(ti.manufacturer_id));
	ks_p11_field(t->model, sizeof(t->model), ti.model, sizeof(ti.model));
	ks_p11_field(t->serial, sizeof(t->serial), ti.serial_number, sizeof(ti.serial_number));
	t->flags = ti.flags;
	t->max_sessions = ti.max_session_count;
	/* One operation at a time: a token that allows one session, a
	 * removable hardware device (a USB token behind a card reader
	 * serialises APDUs anyway), or the administrator says so
	 * (KYSO_P11_SERIAL=all or =<token label>). */
	t->serial_access = ti.max_session_count == 1 ||
			   ((si.flags & CKF_REMOVABLE_DEVICE) && (si.flags & CKF_HW_SLOT));
	env = getenv("KYSO_P11_SERIAL");
	if (env != NULL && (strcmp(env, "all") == 0 || strcmp(env, t->label) == 0))
		t->serial_access = true;
	*present = true;
	return 0;
}

/* Slots with a token present on module m; *slots malloc'd. */
static int slot_list(struct ks_p11_module *m, ck_slot_id_t **slots, unsigned long *n)
{
	ck_slot_id_t *list = NULL;
	unsigned long cnt = 0;
	ck_rv_t rv;
	int tries;

	*slots = NULL;
	*n = 0;
	/* The count may change between the two calls (a token plugged in):
	 * retry a few times on CKR_BUFFER_TOO_SMALL. */
	for (tries = 0; tries < 4; tries++) {
		rv = m->fl->C_GetSlotList(1, NULL, &cnt);
		if (rv != CKR_OK)
			return KS_SET(KS_ERR_PKCS11, "C_GetSlotList on '%s': %s", m->name,
				      ks_p11_rv_name(rv));
		if (cnt == 0)
			return 0;
		if (cnt > KS_P11_SLOTS_MAX)
			return KS_SET(KS_ERR_LIMIT, "module '%s' reports %lu slots (limit %d)",
				      m->name, cnt, KS_P11_SLOTS_MAX);
		free(list);
		list = calloc(cnt, sizeof(*list));
		if (list == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		rv = m->fl->C_GetSlotList(1, list, &cnt);
		if (rv == CKR_OK) {
			*slots = list;
			*n = cnt;
			return 0;
		}
		if (rv != CKR_BUFFER_TOO_SMALL)
			break;
	}
	free(list);
	return KS_SET(KS_ERR_PKCS11, "C_GetSlotList on '%s': %s", m->name, ks_p11_rv_name(rv));
}

/* Tokens of one module (or all) matching u; entries appended to *v.
 * Global lock held; modules stay loaded while it is. */
static int collect_tokens(struct ks_p11_module *only, const struct ks_p11_uri *u,
			  struct ks_p11_token_info **v, struct ks_p11_module ***mods, size_t *n)
{
	struct ks_p11_module *m;
	ck_slot_id_t *slots = NULL;
	unsigned long ns = 0, i;
	int rc = -1;

	for (m = g.modules; m != NULL; m = m->next) {
		if (only != NULL && m != only)
			continue;
		free(slots);
		slots = NULL;
		if (slot_list(m, &slots, &ns) < 0) {
			/* One broken module must not hide the others. */
			ks_log_err(KS_LOG_WARN, "listing slots");
			continue;
		}
		for (i = 0; i < ns; i++) {
			struct ks_p11_token_info t;
			bool present;
			void *nv;

			if (ks_p11_token_info_read(m, slots[i], &t, &present) < 0) {
				/* A token whose files another process is rewriting
				 * (SoftHSM2 during a login) reads as an error for a
				 * moment: a caller may try again. */
				ks_p11_transient_note();
				ks_log_err(KS_LOG_INFO, "reading token information");
				continue;
			}
			if (!present || (u != NULL && !ks_p11_uri_match_token(u, &t)))
				continue;
			KS_ENSURE(*n < KS_P11_SLOTS_MAX * 4, KS_ERR_LIMIT, "too many tokens");
			nv = realloc(*v, (*n + 1) * sizeof(**v));
			KS_ENSURE(nv != NULL, KS_ERR_NOMEM, "out of memory");
			*v = nv;
			if (mods != NULL) {
				nv = realloc(*mods, (*n + 1) * sizeof(**mods));
				KS_ENSURE(nv != NULL, KS_ERR_NOMEM, "out of memory");
				*mods = nv;
				(*mods)[*n] = m;
			}
			(*v)[*n] = t;
			(*n)++;
		}
	}
	rc = 0;
out:
	free(slots);
	return rc;
}

int ks_p11_tokens_matching(const struct ks_p11_uri *u, struct ks_p11_token_info **infos,
			   struct ks_p11_module ***mods, size_t *n)
{
	struct ks_p11_module *only = NULL;
	int rc = -1;

	*infos = NULL;
	*mods = NULL;
	*n = 0;
	KS_GUARD(ks_p11_init());
	if (u != NULL)
		KS_GUARD(ks_p11_module_for_uri(u, &only));
	pthread_mutex_lock(&g.lock);
	rc = collect_tokens(only, u, infos, mods, n);
	pthread_mutex_unlock(&g.lock);
out:
	if (rc < 0) {
		free(*infos);
		free(*mods);
		*infos = NULL;
		*mods = NULL;
		*n = 0;
	}
	return rc;
}

int ks_p11_list_tokens(const char *uri, struct ks_p11_token_info **out, size_t *n)
{
	struct ks_p11_uri u;
	struct ks_p11_module **mods = NULL;
	int rc = -1;

	ks_p11_uri_init(&u);
	*out = NULL;
	*n = 0;
	if (uri != NULL)
		KS_GUARD(ks_p11_uri_parse(uri, &u));
	KS_GUARD(ks_p11_tokens_matching(uri != NULL ? &u : NULL, out, &mods, n));
	rc = 0;
out:
	free(mods);
	ks_p11_uri_cleanup(&u);
	return rc;
}

static bool same_token(const struct ks_p11_token_info *a, const struct ks_p11_token_info *b)
{
	return strcmp(a->label, b->label) == 0 && strcmp(a->manufacturer, b->manufacturer) == 0 &&
	       strcmp(a->model, b->model) == 0 && strcmp(a->serial, b->serial) == 0;
}

int ks_p11_token_refind(struct ks_p11_token *tok)
{
	ck_slot_id_t *slots = NULL;
	unsigned long ns = 0, i;
	unsigned found = 0;
	struct ks_p11_token_info hit = { 0 };
	int rc = -1;

	KS_GUARD(slot_list(tok->mod, &slots, &ns));
	for (i = 0; i < ns; i++) {
		struct ks_p11_token_info t;
		bool present;

		if (ks_p11_token_info_read(tok->mod, slots[i], &t, &present) < 0 || !present)
			continue;
		if (same_token(&t, &tok->info)) {
			hit = t;
			found++;
		}
	}
	KS_ENSURE(found > 0, KS_ERR_TOKEN,
		  "token '%s' (serial %s) is not present: insert it and try again", tok->info.label,
		  tok->info.serial);
	KS_ENSURE(found == 1, KS_ERR_AMBIGUOUS,
		  "%u tokens look like '%s' (serial %s): remove all but one", found,
		  tok->info.label, tok->info.serial);
	tok->info.slot_id = hit.slot_id;
	tok->info.flags = hit.flags;
	tok->present = true;
	rc = 0;
out:
	free(slots);
	return rc;
}

int ks_p11_token_get(struct ks_p11_module *m, const struct ks_p11_token_info *t,
		     struct ks_p11_token **out)
{
	struct ks_p11_token *tok;
	unsigned max;
	int rc = -1;

	*out = NULL;
	pthread_mutex_lock(&g.lock);
	KS_ENSURE(g.initialized, KS_ERR_TOKEN, "PKCS#11 layer was shut down");
	for (tok = g.tokens; tok != NULL; tok = tok->next) {
		if (tok->mod == m && same_token(&tok->info, t)) {
			tok->refs++;
			*out = tok;
			rc = 0;
			goto out;
		}
	}
	tok = calloc(1, sizeof(*tok));
	KS_ENSURE(tok != NULL, KS_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&tok->lock, NULL);
	pthread_cond_init(&tok->cond, NULL);
	ks_buf_init_secret(&tok->pin, KS_P11_PIN_MAX);
	tok->mod = m;
	tok->info = *t;
	tok->present = true;
	tok->generation = 1; /* 0 is "no session has been closed by the token" */
	/* Pool size: our limit, the token's own (0 means effectively
	 * infinite, ~0 unknown), one for serialised tokens. */
	max = g.max_sessions;
	if (t->max_sessions != CK_EFFECTIVELY_INFINITE &&
	    t->max_sessions != CK_UNAVAILABLE_INFORMATION && t->max_sessions < max)
		max = (unsigned)t->max_sessions;
	if (t->serial_access)
		max = 1;
	tok->max = max;
	tok->refs = 2; /* the list and the caller */
	tok->next = g.tokens;
	g.tokens = tok;
	*out = tok;
	rc = 0;
out:
	pthread_mutex_unlock(&g.lock);
	return rc;
}

void ks_p11_token_put(struct ks_p11_token *tok)
{
	bool last;

	if (tok == NULL)
		return;
	pthread_mutex_lock(&g.lock);
	last = --tok->refs == 0;
	pthread_mutex_unlock(&g.lock);
	if (last)
		token_free(tok);
}

const char *ks_p11_rv_name(ck_rv_t rv)
{
	static const struct {
		ck_rv_t rv;
		const char *name;
	} names[] = {
		{ CKR_OK, "CKR_OK" },
		{ CKR_CANCEL, "CKR_CANCEL" },
		{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
		{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
		{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
		{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
		{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
		{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
		{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
		{ CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE" },
		{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
		{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
		{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
		{ CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED" },
		{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
		{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
		{ CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE" },
		{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
		{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
		{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
		{ CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID" },
		{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
		{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE" },
		{ CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED" },
		{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
		{ CKR_PIN_INVALID, "CKR_PIN_INVALID" },
		{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
		{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
		{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
		{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
		{ CKR_SESSION_COUNT, "CKR_SESSION_COUNT" },
		{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
		{ CKR_SESSION_PARALLEL_NOT_SUPPORTED, "CKR_SESSION_PARALLEL_NOT_SUPPORTED" },
		{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
		{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
		{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN" },
		{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
		{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
		{ CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID" },
		{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
		{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
		{ CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED" },
	};
	static __thread char other[32];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(other, sizeof(other), "CKR_0x%lx", rv);
	return other;
}
