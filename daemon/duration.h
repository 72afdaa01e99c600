/* duration.h - "30s", "10m", "1h30m", "7d", "permanent". */
#ifndef RG_DURATION_H
#define RG_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Longest duration we accept: ten years, far beyond any sane ban. */
#define DURATION_MAX_SECS (10ULL * 366 * 86400)

/* Parse into seconds, at most DURATION_MAX_SECS; "permanent" gives 0, and
 * "0" or "0s" is an error. A bare number is seconds. Returns 0, or -1 with
 * a reason in err. Every duration that enters the program goes through it. */
int duration_parse(const char *s, uint64_t *secs, char *err, size_t errlen);

/* The CLOCK_MONOTONIC expiry of a ban secs from now (0: permanent), with
 * secs capped at DURATION_MAX_SECS so the nanoseconds cannot wrap. */
uint64_t duration_expiry_ns(uint64_t secs);

/* Two most significant units: "45s", "9m30s", "2h05m", "6d23h". */
void duration_format(uint64_t secs, char *buf, size_t len);

/* CLOCK_MONOTONIC in ns (the clock the kernel checks expiries against)
 * and wall-clock seconds. */
uint64_t mono_ns(void);
uint64_t wall_secs(void);

#endif
