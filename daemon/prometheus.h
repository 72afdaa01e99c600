/* prometheus.h - metrics in the Prometheus text format, shared by the
 * daemon (the metrics_textfile) and the CLI (stats --prometheus). */
#ifndef RG_PROMETHEUS_H
#define RG_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>
#include "rcptguard.h"

/* One sample of the family name; help says what the family counts (the
 * same for each of its samples, which come one after another). */
typedef void (*metric_cb)(void *arg, const char *name, const char *help, const char *labels,
			  unsigned long long value);

/* One sample; "# HELP" and "# TYPE" lines first when name differs from
 * prev (NULL for the first). Names ending in _total are counters, others
 * gauges. */
void prom_sample(FILE *f, const char *prev, const char *name, const char *help,
		 const char *labels, unsigned long long value);

/* key="value" with value escaped as the text format wants (backslash,
 * quote, newline); a value too long for len is cut inside the quotes. */
void prom_label(char *buf, size_t len, const char *key, const char *value);

/* The drop path's counters: rcptguard_dropped_{packets,bytes}_total, the
 * bandwidth estimate and rcptguard_filter_{packets,bytes}_total
 * {counter="..."} with those counters the backend keeps (caps: its
 * BACKEND_* bits): each one with BACKEND_COUNTS_PASSES, else the drops
 * and allowed passes, none when it drops nothing. */
void prom_drops(const struct rg_stats *s, unsigned caps, metric_cb cb, void *arg);

#endif
