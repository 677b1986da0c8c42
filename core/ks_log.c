#include "ks_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "ks_codec.h"

static enum ks_log_level log_level = KS_LOG_WARN;
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

void ks_log_set_level(enum ks_log_level level)
{
	log_level = level;
}

enum ks_log_level ks_log_get_level(void)
{
	return log_level;
}

int ks_log_level_parse(const char *s, enum ks_log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level = (enum ks_log_level)i;
			return 0;
		}
	}
	return KS_SET(KS_ERR_ARG, "unknown log level '%.32s'", s);
}

void ks_log_set_stream(FILE *f)
{
	log_stream = f;
}

static KS_PRINTF(2, 0) void log_line(enum ks_log_level level, const char *fmt, va_list ap)
{
	FILE *f = log_stream ? log_stream : stderr;
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		stamp[0] = '\0';
	pthread_mutex_lock(&log_lock);
	fprintf(f, "%s kyso %s: ", stamp, level_names[level]);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&log_lock);
}

void ks_log(enum ks_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < log_level || level >= KS_LOG_OFF)
		return;
	va_start(ap, fmt);
	log_line(level, fmt, ap);
	va_end(ap);
}

void ks_log_err(enum ks_log_level level, const char *what)
{
	ks_log(level, "%s: %s [%s] (%s:%d)", what, ks_err_msg(), ks_err_name(ks_err_code()),
	       ks_err_file(), ks_err_line());
}

int ks_log_buf(enum ks_log_level level, const char *label, const struct ks_buf *b)
{
	struct ks_buf hex;
	const char *s;
	int rc = -1;

	ks_buf_init(&hex, KS_BUF_DEFAULT_MAX);
	if (b->secret) {
		ks_log(KS_LOG_WARN, "%s: <secret, %zu bytes, not logged>", label, b->len);
		KS_BAIL(KS_ERR_SECRET, "refusing to log secret buffer '%s'", label);
	}
	if (level < log_level || level >= KS_LOG_OFF) {
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_hex_encode(b->data, b->len, &hex));
	KS_GUARD(ks_buf_cstr(&hex, &s));
	ks_log(level, "%s (%zu bytes): %s", label, b->len, s);
	rc = 0;
out:
	ks_buf_cleanup(&hex);
	return rc;
}
