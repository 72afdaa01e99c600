/* prometheus.c - sample lines and the drop path's counters. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unicode/utf8.h>
#include "backend.h"
#include "names.h"
#include "prometheus.h"

/* HELP text escapes backslash and newline (it reaches the CLI through
 * the control socket, so it is not trusted to have neither). */
static void help_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '\n')
			fputc('\\', f);
		fputc(*s == '\n' ? 'n' : *s, f);
	}
}

/* The length of name's family: without a histogram sample's suffix. */
static size_t family_len(const char *name)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && strcmp(name + len - n, suffixes[i]) == 0)
			return len - n;
	}
	return len;
}

void prom_sample(FILE *f, const char *prev, const char *name, const char *help,
		 const char *labels, double value)
{
	size_t len = strlen(name), fam = family_len(name);
	char v[PROM_VALUE_LEN];

	if (!prev || family_len(prev) != fam || strncmp(prev, name, fam) != 0) {
		fprintf(f, "# HELP %.*s ", (int)fam, name);
		help_text(f, help);
		fprintf(f, "\n# TYPE %.*s %s\n", (int)fam, name, fam < len ? "histogram" :
			len > 6 && strcmp(name + len - 6, "_total") == 0 ? "counter" : "gauge");
	}
	fprintf(f, "%s%s%s%s %s\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		prom_value(v, sizeof(v), value));
}

const char *prom_value(char *buf, size_t len, double value)
{
	/* 2^64: the cast is defined below it. */
	if (value >= 0 && value < 18446744073709551616.0 && value == (double)(uint64_t)value)
		snprintf(buf, len, "%llu", (unsigned long long)value);
	else
		snprintf(buf, len, "%.9g", value);
	return buf;
}

static const double bounds[PROM_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05, 0.25, 1,
};

void prom_observe(struct prom_histogram *h, double secs, uint64_t n)
{
	for (unsigned i = 0; i < PROM_BUCKETS; i++)
		if (secs <= bounds[i])
			h->bucket[i] += n;
	h->count += n;
	h->sum += secs * (double)n;
}

void prom_histogram(const struct prom_histogram *h, const char *name, const char *help,
		    metric_cb cb, void *arg)
{
	char sample[96], lab[32];

	snprintf(sample, sizeof(sample), "%s_bucket", name);
	for (unsigned i = 0; i < PROM_BUCKETS; i++) {
		snprintf(lab, sizeof(lab), "le=\"%g\"", bounds[i]);
		cb(arg, sample, help, lab, (double)h->bucket[i]);
	}
	cb(arg, sample, help, "le=\"+Inf\"", (double)h->count);
	snprintf(sample, sizeof(sample), "%s_sum", name);
	cb(arg, sample, help, "", h->sum);
	snprintf(sample, sizeof(sample), "%s_count", name);
	cb(arg, sample, help, "", (double)h->count);
}

/* The length of the well-formed UTF-8 character at s (ICU's reading: no
 * overlong form, no surrogate), or 0. */
static size_t utf8_seq(const char *s)
{
	int32_t i = 0;
	UChar32 c;

	U8_NEXT(s, i, (int32_t)strnlen(s, 4), c);
	return c < 0 ? 0 : (size_t)i;
}

void prom_label(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = (size_t)snprintf(buf, len, "%s=\"", key);

	if (n + 2 > len) {
		buf[0] = '\0';
		return;
	}
	/* A long value is cut, but the label stays whole (room is kept for
	 * the closing quote and the NUL) and so does a UTF-8 sequence; a byte
	 * that starts no valid sequence is written as '?', so the exposition
	 * stays valid UTF-8 and no quote or newline hides in a sequence. */
	while (*value) {
		unsigned char c = (unsigned char)*value;
		size_t seq = utf8_seq(value);
		bool esc = c == '\\' || c == '"' || c == '\n';

		if (n + (esc ? 2 : seq ? seq : 1) + 2 > len)
			break;
		if (esc) {
			buf[n++] = '\\';
			buf[n++] = c == '\n' ? 'n' : (char)c;
		} else if (!seq) {
			buf[n++] = '?';
		} else {
			memcpy(buf + n, value, seq);
			n += seq;
		}
		value += seq ? seq : 1;
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

/* Does a backend with caps keep counter i? A zero it does not keep would
 * claim that nothing happened. */
static bool kept(unsigned caps, unsigned i)
{
	if (caps & BACKEND_COUNTS_PASSES)
		return true;
	return (caps & BACKEND_DROPS) &&
	       (i == RG_DROP_EXACT || i == RG_DROP_PREFIX || i == RG_PASS_ALLOWED);
}

void prom_drops(const struct rg_stats *s, unsigned caps, metric_cb cb, void *arg)
{
	static const char pkts[] = "Packets the enforcement filter counted, by what it did "
				   "with them (inspected, drop_exact, pass_port, ...)";
	static const char bytes[] = "Bytes of the packets the enforcement filter counted, "
				    "by what it did with them";
	uint64_t dropped = s->bytes[RG_DROP_EXACT] + s->bytes[RG_DROP_PREFIX];
	char lab[48];

	cb(arg, "rcptguard_dropped_packets_total", "Packets from banned clients dropped", "",
	   s->packets[RG_DROP_EXACT] + s->packets[RG_DROP_PREFIX]);
	cb(arg, "rcptguard_dropped_bytes_total", "Bytes of the packets dropped", "", dropped);
	/* What the dropped packets would have cost: themselves, and as much
	 * again in the server's answers (docs/control.md). */
	cb(arg, "rcptguard_bandwidth_saved_estimated_bytes_total",
	   "Bandwidth the drops saved, estimated as twice the dropped bytes (a floor)", "",
	   2 * dropped);
	/* ban_action = rst: banned SYNs answered, and dropped over a cap. */
	cb(arg, "rcptguard_rst_sent_total", "Banned clients' SYNs answered with a RST", "",
	   s->rst_sent);
	cb(arg, "rcptguard_rst_suppressed_total",
	   "Banned clients' SYNs dropped, not answered, over the RST caps", "", s->rst_suppressed);
	for (int b = 0; b < 2; b++)
		for (unsigned i = 0; i < RG_COUNTER_MAX; i++) {
			if (!kept(caps, i))
				continue;
			snprintf(lab, sizeof(lab), "counter=\"%s\"", counter_name(i));
			cb(arg, b ? "rcptguard_filter_bytes_total" : "rcptguard_filter_packets_total",
			   b ? bytes : pkts, lab, b ? s->bytes[i] : s->packets[i]);
		}
}
