/* log.h - one line per event on stderr, "key=value" after the program name.
 * multilog, journald and syslog collectors all take stderr lines. */
#ifndef RG_LOG_H
#define RG_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Under systemd (JOURNAL_STREAM is our stderr) lines carry "<N>" priorities. */
void log_init(const char *progname);
/* log_debug lines are written only while this is on (log_level = debug). */
void log_set_debug(bool on);
/* From now on only warnings and errors: for a simulation (rcptguard
 * replay), whose bans are no events. */
void log_quiet(void);
/* From now on log to /dev/log, facility mail (a backgrounded daemon, or
 * log = syslog); never blocks: lines syslogd cannot take yet wait in the
 * bounded queue like stderr's. -1 (stderr stays) if there is no syslog. */
int log_to_syslog(void);
/* For the daemon: stderr lines never block. What the reader cannot take
 * waits in a bounded queue (log_flush() retries); a line that does not fit
 * is dropped and counted. 0, or -1 if stderr cannot be made non-blocking. */
int log_nonblocking(void);
void log_flush(void);
/* At exit: wait up to timeout_ms for the reader to take what is queued,
 * and say what was lost. */
void log_drain(unsigned timeout_ms);
/* Lines lost since start because the reader did not keep up. */
unsigned long long log_dropped(void);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Untrusted text as a quoted log value: "..." with quotes, backslashes
 * and bytes outside printable ASCII escaped, cut to fit buf. */
const char *log_quote(char *buf, size_t len, const char *s);

#endif
