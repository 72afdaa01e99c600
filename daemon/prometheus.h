/* prometheus.h - metrics in the Prometheus text format, shared by the
 * daemon (the metrics_textfile) and the CLI (stats --prometheus). */
#ifndef RG_PROMETHEUS_H
#define RG_PROMETHEUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "rcptguard.h"

/* One sample of the family name; help says what the family counts (the
 * same for each of its samples, which come one after another). A name
 * ending in _bucket, _sum or _count is a sample of a histogram, whose
 * family is the name without it; no other name ends so. */
typedef void (*metric_cb)(void *arg, const char *name, const char *help, const char *labels,
			  double value);

/* One sample; "# HELP" and "# TYPE" lines first when its family differs
 * from prev's (NULL for the first). Names ending in _total are counters,
 * histograms as above, others gauges. */
void prom_sample(FILE *f, const char *prev, const char *name, const char *help,
		 const char *labels, double value);

/* value as the text format writes it: a whole number in full, others to
 * nine digits. */
#define PROM_VALUE_LEN 32
const char *prom_value(char *buf, size_t len, double value);

/* Reaction times in seconds, in fixed buckets from 100 us to 1 s. */
#define PROM_BUCKETS 9
struct prom_histogram {
	uint64_t bucket[PROM_BUCKETS];  /* observations at most prom_bounds[i] */
	uint64_t count;
	double sum;
};
/* n observations of secs each. */
void prom_observe(struct prom_histogram *h, double secs, uint64_t n);
/* name_bucket{le=...}, name_sum and name_count. */
void prom_histogram(const struct prom_histogram *h, const char *name, const char *help,
		    metric_cb cb, void *arg);

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
