/* prometheus.h - metrics in the Prometheus text format, shared by the
 * daemon (the metrics_textfile) and the CLI (stats --prometheus). */
#ifndef RG_PROMETHEUS_H
#define RG_PROMETHEUS_H

#include <stdio.h>
#include "rcptguard.h"

typedef void (*metric_cb)(void *arg, const char *name, const char *labels,
			  unsigned long long value);

/* One sample; a "# TYPE" line first when name differs from prev (NULL
 * for the first). Names ending in _total are counters, others gauges. */
void prom_sample(FILE *f, const char *prev, const char *name, const char *labels,
		 unsigned long long value);

/* The XDP program's counters as rcptguard_xdp_{packets,bytes}_total
 * {counter="..."} and the dropped totals. */
void prom_xdp(const struct rg_stats *s, metric_cb cb, void *arg);

#endif
