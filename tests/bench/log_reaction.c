/* log_reaction.c - the log path's reaction time: for each of N clients,
 * append four validrcptto rejections to a followed log, then the fifth,
 * and time from that write to the client's ban appearing in the pinned
 * XDP map. Prints p50/p99 over the clients.
 *
 *   log_reaction -f LOGFILE -p PIN_DIR [-n CLIENTS] */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rcptguard.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *log = NULL, *pins = NULL;
	size_t n = 1000, late = 0;
	char path[4096];
	double *lat;
	int opt, fd, map;

	while ((opt = getopt(argc, argv, "f:p:n:")) != -1) {
		switch (opt) {
		case 'f': log = optarg; break;
		case 'p': pins = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!log || !pins || !n || n > 65000) {
		fprintf(stderr, "usage: log_reaction -f LOGFILE -p PIN_DIR [-n CLIENTS]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bans_exact", pins);
	if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0 || (map = bpf_obj_get(path)) < 0) {
		perror("log_reaction");
		return 2;
	}
	lat = calloc(n, sizeof(*lat));
	for (size_t c = 0; c < n; c++) {
		struct rg_addr a = { { 0 } };
		struct rg_ban b;
		char line[160];
		double t0;
		int len;

		a.a[10] = a.a[11] = 0xff;
		a.a[12] = 10, a.a[13] = 99, a.a[14] = (unsigned char)(c >> 8), a.a[15] = (unsigned char)c;
		for (int i = 1; i <= 5; i++) {
			len = snprintf(line, sizeof(line), "qmail-smtpd: not in validrcptto: "
				       "u%d@example.com at 10.99.%zu.%zu\n", i, c >> 8, c & 255);
			if (i == 5)
				t0 = now();
			if (write(fd, line, (size_t)len) != len)
				return perror("write"), 2;
		}
		while (bpf_map_lookup_elem(map, &a, &b) != 0) {
			if (now() - t0 > 1) {
				late++;
				break;
			}
		}
		lat[c] = now() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_d);
	printf("bans=%zu late=%zu p50_us=%.0f p99_us=%.0f max_us=%.0f\n", n - late, late,
	       lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6, lat[n - 1] * 1e6);
	return late ? 1 : 0;
}
