/* test_migrate.c - migrate.c against real BPF maps (needs root and bpffs).
 * Property test: random old layouts (ban values of 40 to 96 bytes; exact
 * bans keyed by 16 bytes, split into a 4-byte IPv4 map, or all in one LPM
 * trie; allow values of 12 to 24 bytes) filled with random bans (live,
 * expired, permanent, with and without notes) and allow entries, carried
 * into maps of this build's layout: every live entry arrives whole, no
 * expired one does, and entries over a smaller capacity are counted as
 * refused. Then migrate_compare() against the skeleton's own maps. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addr.h"
#include "duration.h"
#include "log.h"
#include "maps.h"
#include "migrate.h"
#include "pins.h"
#include "rcptguard.skel.h"
#include "logcap.h"
#include "tap.h"

#define MAXE 300

struct ref {
	struct rg_lpm_key k;
	struct rg_ban b;
	char note[RG_NOTE_LEN];
	bool allow, expired;
	struct rg_allow a;
};

static char dir[256], newdir[300];

static int pinned(const char *name, enum bpf_map_type t, unsigned ks, unsigned vs, unsigned max)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char path[512];
	int fd = bpf_map_create(t, name, ks, vs, max, &o);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fd < 0 || bpf_obj_pin(fd, path) < 0) {
		printf("Bail out! cannot pin %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* This build's maps (the skeleton's), pinned under in, every exact-ban
 * map sized bans: whatever split of maps this build has. */
static struct rcptguard *skeleton(const char *in, unsigned bans, bool load)
{
	struct rcptguard *skel = rcptguard__open();
	struct bpf_map *m;
	char path[512];

	if (!skel)
		return NULL;
	bpf_object__for_each_map(m, skel->obj) {
		if (m == skel->maps.rst_bucket)
			continue;
		if (strncmp(bpf_map__name(m), "bans_", 5) == 0 && m != skel->maps.bans_prefix)
			bpf_map__set_max_entries(m, bans);
		snprintf(path, sizeof(path), "%s/%s", in, bpf_map__name(m));
		bpf_map__set_pin_path(m, path);
	}
	if (load && rcptguard__load(skel)) {
		rcptguard__destroy(skel);
		return NULL;
	}
	return skel;
}

/* The maps of this build to carry into, open in to. */
static struct rcptguard *new_maps(unsigned bans, struct rg_maps *to)
{
	struct rcptguard *skel = skeleton(newdir, bans, true);
	char err[256];

	if (!skel || maps_open(to, newdir, err, sizeof(err)) < 0) {
		printf("Bail out! cannot make this build's maps under %s\n", newdir);
		exit(1);
	}
	return skel;
}

static void drop_new_maps(struct rcptguard *skel, struct rg_maps *to)
{
	maps_close(to);
	rcptguard__destroy(skel);
	pins_clear(newdir);
}

static void clear(void)
{
	pins_clear(dir);
}

static void random_key(struct rg_lpm_key *k)
{
	bool v4 = rand() % 2;

	memset(k, 0, sizeof(*k));
	for (int i = 0; i < 16; i++)
		k->addr.a[i] = (unsigned char)rand();
	if (v4) {
		memset(k->addr.a, 0, 10);
		k->addr.a[10] = k->addr.a[11] = 0xff;
	}
	k->prefixlen = rand() % 3 ? 128 : (v4 ? 96 + 8 + rand() % 24 : 16 + rand() % 112);
	/* Host bits clear, as addr_parse leaves them. */
	for (unsigned i = k->prefixlen; i < 128; i++)
		k->addr.a[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

static uint64_t r64(void)
{
	return ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
}

static bool same_key(const struct rg_lpm_key *x, const struct rg_lpm_key *y)
{
	return x->prefixlen == y->prefixlen && !memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

/* One round: a random old layout, n random entries, carried into maps of
 * this build's layout whose exact-ban capacity is cap. */
static void round_trip(unsigned seed, unsigned cap)
{
	static struct ref e[MAXE];
	unsigned vsize = (unsigned[]){ 40, 44, 56, 64, 96 }[rand() % 5];
	unsigned asize = (unsigned[]){ 12, 16, 24 }[rand() % 3];
	int layout = rand() % 3;        /* 0: 16 + 20, 1: 4 + 16 + 20, 2: one trie */
	int v4 = -1, ex = -1, pre, aex, apre, notes;
	unsigned char key[20], val[128];
	size_t n = 1 + (size_t)rand() % MAXE, live_exact = 0, live_pre = 0, expired = 0,
	       allows = 0, notes_n = 0, live4 = 0, fit;
	uint64_t now = mono_ns();
	struct rg_maps to;
	struct rcptguard *skel;
	struct migrate_counts c;
	bool whole = true, none_expired = true, allow_whole = true;
	size_t present = 0;

	if (layout == 1)
		v4 = pinned("bans_v4", BPF_MAP_TYPE_HASH, 4, vsize, MAXE);
	if (layout < 2)
		ex = pinned("bans_exact", BPF_MAP_TYPE_HASH, 16, vsize, MAXE);
	pre = pinned(layout < 2 ? "bans_prefix" : "bans_all", BPF_MAP_TYPE_LPM_TRIE, 20, vsize, MAXE);
	aex = pinned("allow_exact", BPF_MAP_TYPE_HASH, 16, asize, MAXE);
	apre = pinned("allow_prefix", BPF_MAP_TYPE_LPM_TRIE, 20, asize, MAXE);
	notes = pinned("ban_notes", BPF_MAP_TYPE_HASH, 20, RG_NOTE_LEN, MAXE);
	for (size_t i = 0; i < n; i++) {
		struct ref *r = &e[i];
		bool dup;

		r->allow = rand() % 5 == 0;
		do {
			random_key(&r->k);
			dup = false;
			for (size_t j = 0; j < i; j++)
				dup |= e[j].allow == r->allow && same_key(&e[j].k, &r->k);
		} while (dup);
		memset(val, 0xa5, sizeof(val));        /* what follows the fixed part is noise */
		r->note[0] = '\0';
		if (r->allow) {
			r->a = (struct rg_allow){ .created_unix = r64(), .origin = 1 + rand() % 2 };
			memcpy(val, &r->a, 12);
			memcpy(key, r->k.prefixlen == 128 ? (void *)&r->k.addr : (void *)&r->k, 20);
			bpf_map_update_elem(r->k.prefixlen == 128 ? aex : apre, key, val, BPF_ANY);
			allows++;
			continue;
		}
		memset(&r->b, 0, sizeof(r->b));
		r->b.expires_ns = rand() % 4 == 0 ? 0 : rand() % 4 == 0 ? now - 1 - rand() % 1000 :
			now + 1000000000ULL + r64() % 1000000000000ULL;
		r->b.created_unix = r64();
		r->b.packets = r64();
		r->b.bytes = r64();
		r->b.reason = 1 + rand() % (RG_REASON_MAX - 1);
		r->b.prefixlen = r->k.prefixlen;
		r->expired = r->b.expires_ns && r->b.expires_ns <= now;
		memcpy(val, &r->b, 40);
		if (rand() % 3 == 0) {
			struct rg_note t = { { 0 } };

			snprintf(r->note, sizeof(r->note), "note %u/%zu", seed, i);
			memcpy(t.text, r->note, strlen(r->note));
			bpf_map_update_elem(notes, &r->k, &t, BPF_ANY);
			notes_n += !r->expired;
		}
		if (r->k.prefixlen != 128 || layout == 2) {
			bpf_map_update_elem(pre, &r->k, val, BPF_ANY);
		} else if (layout == 1 && addr_is_v4(&r->k.addr)) {
			bpf_map_update_elem(v4, &r->k.addr.a[12], val, BPF_ANY);
		} else {
			bpf_map_update_elem(ex, &r->k.addr, val, BPF_ANY);
		}
		if (r->expired)
			expired++;
		else if (r->k.prefixlen == 128)
			live_exact++, live4 += addr_is_v4(&r->k.addr);
		else
			live_pre++;
	}
	/* max_bans sizes the IPv4 and the IPv6 exact map alike. */
	fit = (live4 < cap ? live4 : cap) + (live_exact - live4 < cap ? live_exact - live4 : cap);
	skel = new_maps(cap, &to);
	migrate_carry(dir, &to, &c);
	for (size_t i = 0; i < n; i++) {
		struct ref *r = &e[i];
		struct rg_ban b;
		struct rg_allow a;
		struct rg_note t = { { 0 } };

		if (r->allow) {
			allow_whole &= bpf_map_lookup_elem(r->k.prefixlen == 128 ? to.allow_exact :
							   to.allow_prefix,
							   r->k.prefixlen == 128 ? (void *)&r->k.addr :
							   (void *)&r->k, &a) == 0 &&
				       a.created_unix == r->a.created_unix && a.origin == r->a.origin;
			continue;
		}
		if (maps_get_ban(&to, &r->k, &b) < 0) {
			if (r->expired)
				continue;
			/* Only over the capacity may a live one be missing. */
			whole &= r->k.prefixlen == 128 && fit < live_exact;
			continue;
		}
		none_expired &= !r->expired;
		present += r->k.prefixlen == 128;
		bpf_map_lookup_elem(to.notes, &r->k, &t);
		whole &= b.expires_ns == r->b.expires_ns && b.created_unix == r->b.created_unix &&
			 b.packets == r->b.packets && b.bytes == r->b.bytes &&
			 b.reason == r->b.reason && b.prefixlen == r->b.prefixlen &&
			 strcmp(t.text, r->note) == 0;
	}
	ok(whole && none_expired && allow_whole,
	   "seed %u: layout %d, ban value %u, allow value %u: %zu live bans and %zu allow entries "
	   "carried whole, %zu expired left behind", seed, layout, vsize, asize,
	   live_exact + live_pre, allows, expired);
	if (fit == live_exact)
		ok(c.bans == live_exact && c.prefixes == live_pre && c.allows == allows &&
		   c.expired == expired && c.refused == 0 && !c.unreadable &&
		   c.notes == notes_n, "seed %u: counted %zu/%zu/%zu/%zu expired %zu", seed,
		   c.bans, c.prefixes, c.allows, c.notes, c.expired);
	else {
		char line[96];

		snprintf(line, sizeof(line), "event=maps_migrate_refused what=bans count=%zu ",
			 c.refused);
		ok(c.bans == fit && present == c.bans &&
		   c.bans + c.refused == live_exact && c.prefixes == live_pre &&
		   logcap_has(line, "fix=\"raise max_bans"),
		   "seed %u: maps of %u for %zu exact bans: %zu carried, %zu refused and logged",
		   seed, cap, live_exact, c.bans, c.refused);
	}
	drop_new_maps(skel, &to);
	for (int i = 0, fds[] = { v4, ex, pre, aex, apre, notes }; i < 6; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	clear();
}

/* Maps no rule reads are refused whole, counted and said, and mark the
 * migration as one the state file must complete. */
static void unreadable(void)
{
	struct rg_maps to;
	struct rcptguard *skel = new_maps(8, &to);
	int odd = pinned("bans_odd", BPF_MAP_TYPE_HASH, 8, 40, 8);
	int notes = pinned("ban_notes", BPF_MAP_TYPE_HASH, 20, 32, 8);
	int short_allow = pinned("allow_exact", BPF_MAP_TYPE_HASH, 16, 8, 8);
	int pcpu = pinned("bans_pcpu", BPF_MAP_TYPE_PERCPU_HASH, 16, 40, 8);
	/* r0 = XDP_PASS; exit: a program pinned where a ban map could be. */
	struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", pass, 2, NULL);
	unsigned char *pcpu_val;
	char path[512];
	unsigned char key[20] = { 0 }, val[40] = { 0 };
	struct migrate_counts c;

	for (unsigned char i = 0; i < 3; i++) {
		key[0] = i;
		bpf_map_update_elem(odd, key, val, BPF_ANY);
	}
	snprintf(path, sizeof(path), "%s/bans_prog", dir);
	if (prog < 0 || bpf_obj_pin(prog, path) < 0)
		printf("Bail out! cannot pin a program at %s: %s\n", path, strerror(errno)), exit(1);
	/* A per-CPU map's value holds one per possible CPU. */
	pcpu_val = calloc((size_t)libbpf_num_possible_cpus(), 40);
	if (!pcpu_val || bpf_map_update_elem(pcpu, key, pcpu_val, BPF_ANY) < 0)
		printf("Bail out! cannot fill a per-CPU map\n"), exit(1);
	free(pcpu_val);
	migrate_carry(dir, &to, &c);
	ok(c.unreadable && c.bans == 0 &&
	   logcap_has("event=maps_migrate_refused map=bans_odd entries=3 key_size=8 value_size=40 ",
		      "why=\"its key is not an address\"") &&
	   logcap_has("event=maps_migrate_refused map=allow_exact entries=0 key_size=16 "
		      "value_size=8 ", "why=\"its value is shorter than the fixed part\"") &&
	   logcap_has("event=maps_migrate_refused map=ban_notes key_size=20 value_size=32 ", "") &&
	   logcap_has("event=maps_migrate_refused map=bans_pcpu entries=unknown key_size=16 "
		      "value_size=40 ", "why=\"its type is not a hash or LPM trie\"") &&
	   logcap_has("event=maps_migrate_refused map=bans_prog entries=unknown "
		      "error=\"not a BPF map\"", ""),
	   "a ban map keyed by 8 bytes, an allow value of 8 bytes, notes of 32, a per-CPU ban "
	   "map, a program named like a ban map: refused, said");
	drop_new_maps(skel, &to);
	close(odd);
	close(notes);
	close(short_allow);
	close(pcpu);
	close(prog);
	clear();
}

static void compare(void)
{
	struct rcptguard *pinner, *other;
	char why[256];
	int fd;

	pinner = skeleton(dir, 64, false);
	ok(pinner && migrate_compare(pinner->obj, dir, true, why, sizeof(why)) == LAYOUT_NONE,
	   "nothing pinned: none");
	rcptguard__destroy(pinner);
	pinner = skeleton(dir, 64, true);
	ok(pinner && migrate_compare(pinner->obj, dir, true, why, sizeof(why)) == LAYOUT_SAME,
	   "the skeleton's own maps: the same");
	other = skeleton(dir, 128, false);
	ok(other && migrate_compare(other->obj, dir, true, why, sizeof(why)) == LAYOUT_OTHER &&
	   strncmp(why, "bans_", 5) == 0 && strstr(why, " max_entries 64, this build 128"),
	   "another max_bans: another layout (%s)", why);
	ok(other && migrate_compare(other->obj, dir, false, why, sizeof(why)) == LAYOUT_SAME,
	   "another max_bans, sizes only (the CLI): the same");
	fd = pinned("bans_v9", BPF_MAP_TYPE_HASH, 4, 40, 4);
	ok(migrate_compare(pinner->obj, dir, true, why, sizeof(why)) == LAYOUT_OTHER &&
	   strcmp(why, "bans_v9 is not a map of this build") == 0,
	   "a pinned map this build lacks: another layout (%s)", why);
	close(fd);
	clear();
	fd = pinned("bans_v6", BPF_MAP_TYPE_HASH, 16, 40, 64);
	ok(migrate_compare(pinner->obj, dir, true, why, sizeof(why)) == LAYOUT_OTHER &&
	   strcmp(why, "bans_v6 value_size 40, this build 64") == 0,
	   "a ban value of another size: another layout (%s)", why);
	close(fd);
	clear();
	rcptguard__destroy(pinner);
	rcptguard__destroy(other);
}

int main(int argc, char **argv)
{
	unsigned seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : (unsigned)getpid();

	log_init("test_migrate");
	logcap_start();
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/rgu-migrate-%d", (int)getpid());
	snprintf(newdir, sizeof(newdir), "%s-new", dir);
	if (mkdir(dir, 0700) < 0 || mkdir(newdir, 0700) < 0) {
		printf("Bail out! cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	printf("# seed %u\n", seed);
	srand(seed);
	for (unsigned i = 0; i < 40; i++)
		round_trip(seed + i, i % 4 == 3 ? 1 + (unsigned)rand() % 40 : MAXE);
	unreadable();
	compare();
	pins_clear(dir);
	rmdir(dir);
	rmdir(newdir);
	logcap_end();
	return tap_done();
}
