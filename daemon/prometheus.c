/* prometheus.c - sample lines and the XDP counters' names. */
#include <string.h>
#include "names.h"
#include "prometheus.h"

void prom_sample(FILE *f, const char *prev, const char *name, const char *labels,
		 unsigned long long value)
{
	size_t len = strlen(name);

	if (!prev || strcmp(prev, name) != 0)
		fprintf(f, "# TYPE %s %s\n", name,
			len > 6 && strcmp(name + len - 6, "_total") == 0 ? "counter" : "gauge");
	fprintf(f, "%s%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", value);
}

void prom_xdp(const struct rg_stats *s, metric_cb cb, void *arg)
{
	char lab[48];

	cb(arg, "rcptguard_dropped_packets_total", "",
	   s->packets[RG_DROP_EXACT] + s->packets[RG_DROP_PREFIX]);
	cb(arg, "rcptguard_dropped_bytes_total", "", s->bytes[RG_DROP_EXACT] + s->bytes[RG_DROP_PREFIX]);
	/* What the dropped packets would have cost: themselves, and as much
	 * again in the server's answers (docs/control.md). */
	cb(arg, "rcptguard_bandwidth_saved_bytes_estimate", "",
	   2 * (s->bytes[RG_DROP_EXACT] + s->bytes[RG_DROP_PREFIX]));
	/* ban_action = rst: banned SYNs answered, and dropped over a cap. */
	cb(arg, "rcptguard_rst_sent_total", "", s->rst_sent);
	cb(arg, "rcptguard_rst_suppressed_total", "", s->rst_suppressed);
	for (unsigned i = 0; i < RG_COUNTER_MAX; i++) {
		snprintf(lab, sizeof(lab), "counter=\"%s\"", counter_name(i));
		cb(arg, "rcptguard_xdp_packets_total", lab, s->packets[i]);
	}
	for (unsigned i = 0; i < RG_COUNTER_MAX; i++) {
		snprintf(lab, sizeof(lab), "counter=\"%s\"", counter_name(i));
		cb(arg, "rcptguard_xdp_bytes_total", lab, s->bytes[i]);
	}
}
