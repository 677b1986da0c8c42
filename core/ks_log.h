/* ks_log: leveled logging to stderr (or a sink set by the daemon).
 *
 * Secrets never reach the log: ks_log_buf() refuses a buffer marked
 * secret, and callers log PINs, keys and tokens only by name. */
#ifndef KS_LOG_H
#define KS_LOG_H

#include <stdio.h>

#include "ks_buf.h"

enum ks_log_level { KS_LOG_DEBUG, KS_LOG_INFO, KS_LOG_WARN, KS_LOG_ERROR, KS_LOG_OFF };

void ks_log_set_level(enum ks_log_level level);
enum ks_log_level ks_log_get_level(void);
/* Parse "debug|info|warn|error|off"; -1 on anything else. */
KS_WUR int ks_log_level_parse(const char *s, enum ks_log_level *level);
/* Where lines go; NULL restores stderr.  Not owned. */
void ks_log_set_stream(FILE *f);

void ks_log(enum ks_log_level level, const char *fmt, ...) KS_PRINTF(2, 3);
/* Log the current thread error (code, message, file:line) at `level`. */
void ks_log_err(enum ks_log_level level, const char *what);
/* Log a buffer as hex with a label.  A secret buffer is refused: nothing
 * of it is written, KS_ERR_SECRET is recorded and -1 returned. */
KS_WUR int ks_log_buf(enum ks_log_level level, const char *label, const struct ks_buf *b);

#endif
