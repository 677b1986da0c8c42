/* Where a PIN comes from: the URI (pin-value, pin-source), env KYSO_PIN,
 * or the terminal without echo.  The PIN only ever lives in secret
 * buffers (wiped), and no message carries it. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "ks_log.h"
#include "ks_p11_int.h"

/* Remove one trailing "\n" or "\r\n" (a PIN file written by echo). */
static void chomp(struct ks_buf *pin)
{
	if (pin->len > 0 && pin->data[pin->len - 1] == '\n')
		ks_buf_truncate(pin, pin->len - 1);
	if (pin->len > 0 && pin->data[pin->len - 1] == '\r')
		ks_buf_truncate(pin, pin->len - 1);
}

/* RFC 7512 2.3 pin-source: a "file:" URI, or (as p11-kit accepts) a plain
 * absolute path.  Programs ("|cmd") are not run. */
static int pin_file_path(const char *src, const char **path)
{
	if (strncmp(src, "file://", 7) == 0) {
		src += 7;
		/* RFC 8089: file://localhost/path or file:///path */
		if (strncmp(src, "localhost/", 10) == 0)
			src += 9;
	} else if (strncmp(src, "file:", 5) == 0) {
		src += 5;
	} else if (src[0] == '|') {
		return KS_SET(KS_ERR_UNSUPPORTED,
			      "pin-source programs are not supported; use file:PATH");
	}
	if (src[0] != '/')
		return KS_SET(KS_ERR_ARG, "pin-source must be file:/absolute/path");
	*path = src;
	return 0;
}

static int pin_from_file(const char *src, struct ks_buf *pin)
{
	const char *path = NULL;
	uint8_t chunk[KS_P11_PIN_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = -1, rc = -1;

	KS_GUARD(pin_file_path(src, &path));
	/* open/read rather than stdio: no unwiped FILE buffer.  O_NONBLOCK:
	 * a FIFO without a writer is refused below instead of waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	KS_ENSURE(fd >= 0, KS_ERR_PIN, "cannot open PIN file '%s': %s", path, strerror(errno));
	KS_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), KS_ERR_PIN,
		  "PIN file '%s' is not a regular file; give pin-source=file: a regular file",
		  path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		ks_log(KS_LOG_WARN, "PIN file '%s' is readable by other users (chmod 600 it)",
		       path);
	for (;;) {
		n = read(fd, chunk + got, sizeof(chunk) - got);
		if (n < 0 && errno == EINTR)
			continue;
		KS_ENSURE(n >= 0, KS_ERR_PIN, "reading PIN file '%s': %s", path, strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
		KS_ENSURE(got < sizeof(chunk), KS_ERR_LIMIT,
			  "PIN file '%s' is longer than %d bytes", path, KS_P11_PIN_MAX);
	}
	KS_GUARD(ks_buf_set(pin, chunk, got));
	chomp(pin);
	rc = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* While echo is off, a signal that ends or stops the process first gives
 * the terminal its settings back (tcsetattr is async-signal-safe), then
 * takes its default action. */
static volatile sig_atomic_t prompt_fd = -1;
static struct termios prompt_saved;
static const int prompt_signals[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP };
#define N_PROMPT_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static void prompt_signal(int sig)
{
	int saved = errno;

	if (prompt_fd >= 0)
		(void)tcsetattr((int)prompt_fd, TCSAFLUSH, &prompt_saved);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
	errno = saved;
}

static void prompt_guard(int fd, const struct termios *saved, struct sigaction *old)
{
	struct sigaction sa;
	size_t i;

	prompt_saved = *saved;
	prompt_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		(void)sigaction(prompt_signals[i], &sa, &old[i]);
}

static void prompt_unguard(const struct sigaction *old)
{
	size_t i;

	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		(void)sigaction(prompt_signals[i], &old[i], NULL);
	prompt_fd = -1;
}

/* Ask on the controlling terminal with echo off. */
static int pin_prompt(const struct ks_p11_token_info *t, struct ks_buf *pin)
{
	struct sigaction saved_sa[N_PROMPT_SIGNALS];
	struct termios old, quiet;
	bool restore = false;
	uint8_t c;
	char prompt[128];
	int fd, rc = -1, len;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return KS_SET(KS_ERR_PIN,
			      "no PIN for token '%s': give pin-source=file:... in the URI or set "
			      "KYSO_PIN (no terminal to ask on)",
			      t->label);
	KS_ENSURE(tcgetattr(fd, &old) == 0, KS_ERR_PIN, "cannot read terminal settings");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	prompt_guard(fd, &old, saved_sa);
	restore = true;
	KS_ENSURE(tcsetattr(fd, TCSAFLUSH, &quiet) == 0, KS_ERR_PIN,
		  "cannot turn terminal echo off");
	len = snprintf(prompt, sizeof(prompt), "PIN for token '%s': ", t->label);
	if (len > 0 && write(fd, prompt, (size_t)len) < 0)
		KS_BAIL(KS_ERR_PIN, "cannot write to terminal");
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		KS_ENSURE(n >= 0, KS_ERR_PIN, "reading PIN: %s", strerror(errno));
		if (n == 0 || c == '\n' || c == '\r')
			break;
		KS_ENSURE(pin->len < KS_P11_PIN_MAX, KS_ERR_LIMIT, "PIN longer than %d bytes",
			  KS_P11_PIN_MAX);
		KS_GUARD(ks_buf_append_byte(pin, c));
	}
	c = 0;
	rc = 0;
out:
	if (restore) {
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		prompt_unguard(saved_sa);
		if (write(fd, "\n", 1) < 0) {
			/* nothing to do: the prompt line stays open */
		}
	}
	close(fd);
	return rc;
}

int ks_p11_pin_obtain(const struct ks_p11_uri *u, const struct ks_p11_token_info *t, bool prompt,
		      struct ks_buf *pin)
{
	const char *env;

	ks_buf_reset(pin);
	if (u != NULL && u->has_pin_value) {
		if (ks_buf_set(pin, u->pin_value.data, u->pin_value.len) < 0)
			return -1;
	} else if (u != NULL && u->pin_source != NULL) {
		if (pin_from_file(u->pin_source, pin) < 0)
			return -1;
	} else if ((env = getenv("KYSO_PIN")) != NULL) {
		if (ks_buf_set(pin, env, strlen(env)) < 0)
			return -1;
	} else if (prompt) {
		if (pin_prompt(t, pin) < 0) {
			ks_buf_reset(pin);
			return -1;
		}
	} else {
		return 1;
	}
	if (pin->len == 0)
		return KS_SET(KS_ERR_PIN, "empty PIN for token '%s'", t->label);
	return 0;
}
