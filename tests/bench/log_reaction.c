/* log_reaction.c - a log watcher's reaction time: for each of N clients,
 * append four validrcptto rejections to the watched log, then the fifth,
 * and time from that write to the client's ban appearing in the kernel:
 * rcptguard's pinned XDP map (-p), or an nftables set (-s, where
 * rcptguard's nft backend or fail2ban's nftables action puts bans).
 * Prints p50/p99 over the clients.
 *
 *   log_reaction -f LOGFILE (-p PIN_DIR | -s TABLE:SET) [-n CLIENTS] [-w MAX_SECONDS]
 *
 * Lines carry a BSD syslog header with the current time (fail2ban wants
 * a date; rcptguard reads either). Clients are 10.99.0.0 upwards. */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "load_util.h"
#include "nft.h"
#include "rcptguard.h"

struct probe {
	const char *table, *set;
	uint8_t ip[4];
};

static void build_get(struct nlmsghdr *nlh, void *arg)
{
	const struct probe *p = arg;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	nftnl_set_set_str(s, NFTNL_SET_TABLE, p->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, p->set);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, p->ip, 4);
	nftnl_set_elem_add(s, e);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
}

static int found_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh, (void)arg;
	return MNL_CB_OK;
}

/* Is ip in the kernel yet? */
static int banned(int map, struct nft *nft, struct probe *p)
{
	if (nft)
		return nft_request(nft, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_ACK, build_get,
				   found_cb, p) == 0;

	struct rg_ban b;

	/* bans_v4 is keyed by the 4 address bytes. */
	return bpf_map_lookup_elem(map, p->ip, &b) == 0;
}

int main(int argc, char **argv)
{
	const char *log = NULL, *pins = NULL;
	char *set = NULL, path[4096], err[256];
	size_t n = 1000, late = 0;
	double *lat, wait = 1;
	struct nft *nft = NULL;
	struct probe p = { 0 };
	int opt, fd, map = -1;

	while ((opt = getopt(argc, argv, "f:p:s:n:w:")) != -1) {
		switch (opt) {
		case 'f': log = optarg; break;
		case 'p': pins = optarg; break;
		case 's': set = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'w': wait = atof(optarg); break;
		default: return 2;
		}
	}
	if (!log || !pins == !set || !n || n > 65000 || (set && !strchr(set, ':'))) {
		fprintf(stderr, "usage: log_reaction -f LOGFILE (-p PIN_DIR | -s TABLE:SET) "
			"[-n CLIENTS] [-w MAX_SECONDS]\n");
		return 2;
	}
	if (pins) {
		snprintf(path, sizeof(path), "%s/bans_v4", pins);
		map = bpf_obj_get(path);
	} else {
		p.table = set;
		p.set = strchr(set, ':') + 1;
		set[p.set - set - 1] = '\0';
		nft = nft_open(err, sizeof(err));
	}
	if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0 || (pins ? map < 0 : !nft)) {
		perror("log_reaction");
		return 2;
	}
	lat = calloc(n, sizeof(*lat));
	for (size_t c = 0; c < n; c++) {
		char stamp[32], line[200];
		time_t now = time(NULL);
		double t0 = 0;
		int len;

		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", localtime(&now));
		p.ip[0] = 10, p.ip[1] = 99, p.ip[2] = (uint8_t)(c >> 8), p.ip[3] = (uint8_t)c;
		for (int i = 1; i <= 5; i++) {
			len = snprintf(line, sizeof(line), "%s mx qmail-smtpd[%d]: not in validrcptto: "
				       "u%d@example.com at 10.99.%zu.%zu\n", stamp, 1000 + i, i,
				       c >> 8, c & 255);
			if (i == 5)
				t0 = mono_now();
			if (write(fd, line, (size_t)len) != len)
				return perror("write"), 2;
		}
		while (!banned(map, nft, &p)) {
			if (mono_now() - t0 > wait) {
				late++;
				break;
			}
			if (nft)        /* a netlink round trip per probe is enough load */
				usleep(200);
		}
		lat[c] = mono_now() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("bans=%zu late=%zu p50_us=%.0f p99_us=%.0f max_us=%.0f\n", n - late, late,
	       lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6, lat[n - 1] * 1e6);
	if (nft)
		nft_close(nft);
	return late ? 1 : 0;
}
