/* oldpins.c - test only: pin the maps of an earlier release's layout (a
 * tests/system/oldlayout*.bpf.o), fill them, and attach its program the
 * way that release did (a pinned bpf_link and an ifaces record), so
 * migrate.bats can start today's daemon on top of a running old install.
 *
 *   oldpins OBJ DIR [IFNAME] < entries
 *
 * Maps are pinned as DIR/NAME; with IFNAME the program is attached in
 * native mode, its link pinned as DIR/links/IFNAME. Entry lines:
 *   ban ADDR[/LEN] SECS REASON PACKETS BYTES CREATED [NOTE]
 *   allow ADDR[/LEN] ORIGIN CREATED
 * SECS 0 is permanent, a negative SECS ended that long ago. Keys are laid
 * out by the map's key size (4, 16 or 20 bytes), values by the ABI's
 * fixed prefixes; the rest of a value stays zero. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "addr.h"
#include "rcptguard.h"

static void die(const char *what, const char *why)
{
	fprintf(stderr, "oldpins: %s: %s\n", what, why);
	exit(1);
}

static int map_fd(struct bpf_object *obj, const char *name, __u32 *key_size, __u32 *val_size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m)
		die(name, "no such map in the object");
	*key_size = bpf_map__key_size(m);
	*val_size = bpf_map__value_size(m);
	return bpf_map__fd(m);
}

/* The key of k in a map whose keys have key_size bytes. */
static void put_key(unsigned char *key, __u32 key_size, const struct rg_lpm_key *k)
{
	if (key_size == 4)
		memcpy(key, &k->addr.a[12], 4);
	else if (key_size == sizeof(struct rg_addr))
		memcpy(key, &k->addr, sizeof(k->addr));
	else
		memcpy(key, k, sizeof(*k));
}

static void entry(struct bpf_object *obj, char *line)
{
	char what[8], addr[80], note[RG_NOTE_LEN] = "", err[128];
	unsigned char key[32], val[256];
	struct rg_lpm_key k;
	long long secs;
	unsigned long long reason, packets, bytes, created;
	__u32 ks, vs;
	int fd, n;

	memset(val, 0, sizeof(val));
	if (sscanf(line, "%7s %79s", what, addr) != 2 || addr_parse(addr, &k, err, sizeof(err)) < 0)
		die(line, "not an entry line");
	if (strcmp(what, "allow") == 0) {
		struct rg_allow a = { 0 };

		if (sscanf(line, "%*s %*s %llu %llu", &reason, &created) != 2)
			die(line, "allow ADDR ORIGIN CREATED");
		fd = map_fd(obj, k.prefixlen == 128 ? "allow_exact" : "allow_prefix", &ks, &vs);
		a.created_unix = created;
		a.origin = (__u32)reason;
		memcpy(val, &a, 12);
	} else {
		struct rg_ban b = { 0 };
		struct timespec now;

		n = sscanf(line, "%*s %*s %lld %llu %llu %llu %llu %63[^\n]", &secs, &reason, &packets,
			   &bytes, &created, note);
		if (n < 5)
			die(line, "ban ADDR SECS REASON PACKETS BYTES CREATED [NOTE]");
		clock_gettime(CLOCK_MONOTONIC, &now);
		b.expires_ns = secs ? (uint64_t)((now.tv_sec + secs) * 1000000000LL + now.tv_nsec) : 0;
		b.created_unix = created;
		b.packets = packets;
		b.bytes = bytes;
		b.reason = (__u32)reason;
		b.prefixlen = k.prefixlen;
		memcpy(val, &b, 40);
		fd = map_fd(obj, k.prefixlen == 128 ? "bans_exact" : "bans_prefix", &ks, &vs);
		if (*note) {
			struct rg_note t = { { 0 } };
			__u32 nks, nvs;
			int nfd = map_fd(obj, "ban_notes", &nks, &nvs);

			snprintf(t.text, sizeof(t.text), "%s", note);
			if (bpf_map_update_elem(nfd, &k, &t, BPF_ANY) < 0)
				die(line, strerror(errno));
		}
	}
	if (ks > sizeof(key) || vs > sizeof(val))
		die(line, "key or value too large");
	put_key(key, ks, &k);
	if (bpf_map_update_elem(fd, key, val, BPF_ANY) < 0)
		die(line, strerror(errno));
}

static void attach(struct bpf_object *obj, const char *dir, const char *ifname)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	struct rg_iface rec = { .mode = RG_MODE_NATIVE, .attached_unix = (__u64)time(NULL) };
	char path[4096];
	__u32 ks, vs;
	int fd;

	rec.ifindex = if_nametoindex(ifname);
	if (!rec.ifindex)
		die(ifname, "no such interface");
	snprintf(rec.name, sizeof(rec.name), "%s", ifname);
	fd = bpf_link_create(bpf_program__fd(prog), (int)rec.ifindex, BPF_XDP, &opts);
	if (fd < 0)
		die("bpf_link_create", strerror(errno));
	snprintf(path, sizeof(path), "%s/links", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/links/%s", dir, ifname);
	if (bpf_obj_pin(fd, path) < 0)
		die(path, strerror(errno));
	if (bpf_map_update_elem(map_fd(obj, "ifaces", &ks, &vs), &rec.ifindex, &rec, BPF_ANY) < 0)
		die("ifaces", strerror(errno));
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_map *m;
	char line[512], path[4096];

	if (argc < 3 || argc > 4)
		die("usage", "oldpins OBJ DIR [IFNAME] < entries");
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj) < 0)
		die(argv[1], "cannot open or load");
	mkdir(argv[2], 0700);
	bpf_object__for_each_map(m, obj) {
		snprintf(path, sizeof(path), "%s/%s", argv[2], bpf_map__name(m));
		if (bpf_map__pin(m, path) < 0)
			die(path, strerror(errno));
	}
	while (fgets(line, sizeof(line), stdin))
		if (line[0] != '#' && line[0] != '\n')
			entry(obj, line);
	if (argc == 4)
		attach(obj, argv[2], argv[3]);
	return 0;
}
