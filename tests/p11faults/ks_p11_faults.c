/* A PKCS#11 module for tests: SoftHSM2's, with one failure injected on
 * request.  kyso loads it by path (KYSO_PKCS11_MODULE); the test dlopen()s
 * the same file, gets the same copy, and arms a failure with
 * ks_faults_arm(): the next call of that function returns the code given
 * instead of reaching SoftHSM2 (ks_faults_arm_times: the next `times`
 * calls).  With `close_all` the token's sessions are
 * closed first, as when a USB token is pulled out (PKCS#11 2.40 5.6: the
 * sessions and the login are gone on the token's side too).
 *
 * A test of another process (the daemon) arms a failure from outside: when
 * the file named by env KS_FAULTS_TRIGGER exists at a C_SignInit or
 * C_Sign, it is removed and that call fails with CKR_DEVICE_REMOVED after
 * the token's sessions are closed (the token pulled out for a moment);
 * KS_FAULTS_IDLE_TRIGGER does the same to an idle token at a
 * C_GetSessionInfo (f_get_session_info).
 *
 * ks_faults_pinpad(pin) plays a reader with a PIN pad: the token reports
 * CKF_PROTECTED_AUTHENTICATION_PATH, and a C_Login without a PIN logs in
 * with `pin` as if typed on the pad (ks_faults_pinpad_logins counts).
 * Another process (the agent) gets the same reader when env
 * KS_FAULTS_PINPAD_FILE names a file holding the PIN the pad types: the
 * PIN is then in no environment and on no command line of that process. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define KS_SOFTHSM_PATH "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"

enum ks_fault_fn {
	KS_FAULT_NONE = 0,
	KS_FAULT_SIGN_INIT,
	KS_FAULT_SIGN,
	KS_FAULT_OPEN_SESSION,
	KS_FAULT_LOGIN,
	KS_FAULT_TOKEN_INFO,
};

void ks_faults_arm(int fn, unsigned long rv, int close_all);
void ks_faults_arm_times(int fn, unsigned long rv, unsigned long times);
unsigned long ks_faults_fired(void);
void ks_faults_pinpad(const char *pin);
unsigned long ks_faults_pinpad_logins(void);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST real, shim;
static bool loaded;
static int armed_fn;
static CK_RV armed_rv;
static bool armed_close;
static unsigned long armed_times;
static unsigned long fired;
static char pad_pin[64];
static bool pad;
static unsigned long pad_logins;

void ks_faults_pinpad(const char *pin)
{
	pthread_mutex_lock(&lock);
	pad = pin != NULL;
	pad_logins = 0;
	if (pin != NULL) {
		strncpy(pad_pin, pin, sizeof(pad_pin) - 1);
		pad_pin[sizeof(pad_pin) - 1] = '\0';
	}
	pthread_mutex_unlock(&lock);
}

unsigned long ks_faults_pinpad_logins(void)
{
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = pad_logins;
	pthread_mutex_unlock(&lock);
	return n;
}

void ks_faults_arm(int fn, unsigned long rv, int close_all)
{
	pthread_mutex_lock(&lock);
	armed_fn = fn;
	armed_rv = (CK_RV)rv;
	armed_close = close_all != 0;
	armed_times = 1;
	pthread_mutex_unlock(&lock);
}

void ks_faults_arm_times(int fn, unsigned long rv, unsigned long times)
{
	pthread_mutex_lock(&lock);
	armed_fn = times > 0 ? fn : KS_FAULT_NONE;
	armed_rv = (CK_RV)rv;
	armed_close = false;
	armed_times = times;
	pthread_mutex_unlock(&lock);
}

unsigned long ks_faults_fired(void)
{
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = fired;
	pthread_mutex_unlock(&lock);
	return n;
}

/* Take the armed failure for fn, if any: its code, or CKR_OK. */
static CK_RV take(int fn, CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;
	CK_RV rv = CKR_OK;
	bool close_all = false;

	const char *trigger = getenv("KS_FAULTS_TRIGGER");

	pthread_mutex_lock(&lock);
	if (trigger != NULL && unlink(trigger) == 0) {
		armed_fn = fn;
		armed_rv = CKR_DEVICE_REMOVED;
		armed_close = true;
		armed_times = 1;
	}
	if (armed_fn == fn) {
		rv = armed_rv;
		close_all = armed_close;
		if (--armed_times == 0)
			armed_fn = KS_FAULT_NONE;
		fired++;
	}
	pthread_mutex_unlock(&lock);
	if (rv != CKR_OK && close_all && real.C_GetSessionInfo(s, &si) == CKR_OK)
		(void)real.C_CloseAllSessions(si.slotID);
	return rv;
}

static CK_RV f_sign_init(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	CK_RV rv = take(KS_FAULT_SIGN_INIT, s);

	return rv != CKR_OK ? rv : real.C_SignInit(s, m, k);
}

static CK_RV f_sign(CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR sig,
		    CK_ULONG_PTR siglen)
{
	CK_RV rv = take(KS_FAULT_SIGN, s);

	return rv != CKR_OK ? rv : real.C_Sign(s, d, n, sig, siglen);
}

/* A token pulled out and put back while idle: when the file named by env
 * KS_FAULTS_IDLE_TRIGGER exists at a C_GetSessionInfo (what a keep-alive
 * touch calls), it is removed and the token's sessions are closed first,
 * so the session asked about is gone as a real token's would be. */
static CK_RV f_get_session_info(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR info)
{
	const char *trigger = getenv("KS_FAULTS_IDLE_TRIGGER");
	CK_SESSION_INFO si;
	bool pull;

	pthread_mutex_lock(&lock);
	pull = trigger != NULL && unlink(trigger) == 0;
	if (pull)
		fired++;
	pthread_mutex_unlock(&lock);
	if (pull && real.C_GetSessionInfo(s, &si) == CKR_OK)
		(void)real.C_CloseAllSessions(si.slotID);
	return real.C_GetSessionInfo(s, info);
}

static CK_RV f_open_session(CK_SLOT_ID slot, CK_FLAGS fl, CK_VOID_PTR app, CK_NOTIFY notify,
			    CK_SESSION_HANDLE_PTR s)
{
	CK_RV rv = take(KS_FAULT_OPEN_SESSION, CK_INVALID_HANDLE);

	return rv != CKR_OK ? rv : real.C_OpenSession(slot, fl, app, notify, s);
}

static CK_RV f_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv = take(KS_FAULT_TOKEN_INFO, CK_INVALID_HANDLE);
	bool on;

	if (rv != CKR_OK)
		return rv;
	rv = real.C_GetTokenInfo(slot, info);
	pthread_mutex_lock(&lock);
	on = pad;
	pthread_mutex_unlock(&lock);
	if (rv == CKR_OK && on)
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	return rv;
}

static CK_RV f_login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	char typed[64];
	bool on;
	CK_RV rv = take(KS_FAULT_LOGIN, CK_INVALID_HANDLE);

	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lock);
	on = pad && pin == NULL;
	if (on) {
		memcpy(typed, pad_pin, sizeof(typed));
		pad_logins++;
	}
	pthread_mutex_unlock(&lock);
	if (!on)
		return real.C_Login(s, user, pin, len);
	return real.C_Login(s, user, (CK_UTF8CHAR_PTR)typed, (CK_ULONG)strlen(typed));
}

/* The reader of KS_FAULTS_PINPAD_FILE (with the lock held). */
static void pad_from_file(void)
{
	const char *path = getenv("KS_FAULTS_PINPAD_FILE");
	FILE *f;
	size_t n;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return;
	n = fread(pad_pin, 1, sizeof(pad_pin) - 1, f);
	fclose(f);
	while (n > 0 && (pad_pin[n - 1] == '\n' || pad_pin[n - 1] == '\r'))
		n--;
	pad_pin[n] = '\0';
	pad = n > 0;
	pad_logins = 0;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR r = NULL;
	void *h;
	CK_RV rv = CKR_OK;

	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lock);
	if (!loaded) {
		h = dlopen(KS_SOFTHSM_PATH, RTLD_NOW | RTLD_LOCAL);
		*(void **)(&get) = h != NULL ? dlsym(h, "C_GetFunctionList") : NULL;
		if (get == NULL || get(&r) != CKR_OK || r == NULL) {
			rv = CKR_GENERAL_ERROR;
		} else {
			real = *r;
			shim = *r;
			shim.C_SignInit = f_sign_init;
			shim.C_Sign = f_sign;
			shim.C_OpenSession = f_open_session;
			shim.C_GetTokenInfo = f_get_token_info;
			shim.C_Login = f_login;
			shim.C_GetSessionInfo = f_get_session_info;
			loaded = true;
			pad_from_file();
		}
	}
	pthread_mutex_unlock(&lock);
	if (rv == CKR_OK)
		*out = &shim;
	return rv;
}
