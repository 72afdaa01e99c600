/* duration.h - "30s", "10m", "1h30m", "7d", "permanent". */
#ifndef RG_DURATION_H
#define RG_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Longest duration we accept: ten years, far beyond any sane ban. */
#define DURATION_MAX_SECS (10ULL * 366 * 86400)

/* Parse into seconds; "permanent" (or "0") gives 0. Returns 0, or -1 with
 * a reason in err. */
int duration_parse(const char *s, uint64_t *secs, char *err, size_t errlen);

/* Two most significant units: "45s", "9m30s", "2h05m", "6d23h". */
void duration_format(uint64_t secs, char *buf, size_t len);

/* CLOCK_MONOTONIC in ns (the clock the kernel checks expiries against)
 * and wall-clock seconds. */
uint64_t mono_ns(void);
uint64_t wall_secs(void);

#endif
