/* bench_steps.c - where a packet's lookup time goes at a million bans:
 * each step of the verdict chain timed over many DISTINCT source
 * addresses (steps.bpf.c walks a key array inside one BPF_PROG_TEST_RUN,
 * every lookup waiting for the previous one).
 *
 *   bench_steps [BANS [ROUNDS]]     (default 1000000 bans, 5 rounds)
 *
 * Bans, prefixes and outside sources are spread over the whole IPv4 space
 * by a bijective mix of their index (distinct, no locality to exploit).
 * With 1 exact ban, then BANS, beside the same 1000 banned /24s and a few
 * allow entries, three key sets of BANS keys each (rounded down to a
 * multiple of the 8 chunks the steps take turns on):
 *   one      the same banned source every time (a single attacker)
 *   banned   every banned address once, shuffled (a botnet)
 *   outside  addresses that are not banned (legitimate senders)
 * Prints, per bans/set/step, the median over ROUNDS of ns per key, the
 * same minus the loop's own cost (step floor): a step's cost alone, and
 * for the chain_* steps and judge the cost of the last step in place
 * (this chain minus the one before; steps.h); judge_nopf is judge with
 * every prefilter bit set, as without the prefilters. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "duration.h"
#include "load_util.h"
#include "maps.h"
#include "rcptguard.h"
#include "steps.h"
#include "steps.skel.h"

#define MAX_KEYS (1u << 20)
#define CHUNKS 8

/* Besides the program's steps: judge with every prefilter bit set, as if
 * there were no prefilters (the bits are set for its turns only). */
#define JUDGE_NOPF STEP_MAX
#define NSTEPS (STEP_MAX + 1)
static const char *const step_names[NSTEPS] = {
	"floor", "prefilter", "exact", "exact16", "prefix", "allow",
	"chain_exact", "chain_prefix", "chain_allow", "judge", "judge_nopf",
};
enum { SET_ONE, SET_BANNED, SET_OUTSIDE, SET_MAX };
static const char *const set_names[SET_MAX] = { "one", "banned", "outside" };

/* A bijection of 32-bit integers (murmur3's finaliser): distinct indexes
 * give distinct addresses scattered over the whole space. */
static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

static struct rg_addr v4(uint32_t a)
{
	struct rg_addr r = { { 0 } };

	r.a[10] = r.a[11] = 0xff;
	r.a[12] = (uint8_t)(a >> 24);
	r.a[13] = (uint8_t)(a >> 16);
	r.a[14] = (uint8_t)(a >> 8);
	r.a[15] = (uint8_t)a;
	return r;
}

/* Address number i of the bans (i < MAX_KEYS), the outside sources
 * (MAX_KEYS + i) or the prefixes (2 * MAX_KEYS + i). */
static uint32_t nth(uint32_t i)
{
	return mix(i * 0x9e3779b1u + 0x7f4a7c15u);
}

static void update_batch(int fd, void *keys, void *vals, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);

	if (n && bpf_map_update_batch(fd, keys, vals, &n, &bo) < 0) {
		perror("bench_steps: bpf_map_update_batch");
		exit(1);
	}
}

/* The kernel's unreclaimable slab memory, where hash elements live. */
static long slab_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The steps program's maps as maps.c sees them (no notes, no counters). */
static struct rg_maps steps_maps(const struct steps_bpf *s)
{
	struct rg_maps m = MAPS_NONE;

	m.bans_v4 = bpf_map__fd(s->maps.bans_v4);
	m.bans_v6 = bpf_map__fd(s->maps.bans_v6);
	m.bans_prefix = bpf_map__fd(s->maps.bans_prefix);
	m.allow_exact = bpf_map__fd(s->maps.allow_exact);
	m.allow_prefix = bpf_map__fd(s->maps.allow_prefix);
	m.prefilter = bpf_map__fd(s->maps.prefilter_v4);
	m.prefilter_count = bpf_map__fd(s->maps.prefilter_v4_count);
	m.allow_prefilter = bpf_map__fd(s->maps.prefilter_allow_v4);
	m.allow_prefilter_count = bpf_map__fd(s->maps.prefilter_allow_v4_count);
	if (maps_mmap(&m) < 0) {
		perror("bench_steps: cannot map the prefilters");
		exit(1);
	}
	return m;
}

static void must(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "bench_steps: %s: %s\n", what, strerror(-rc));
		exit(1);
	}
}

/* The bans, the prefixes and the allow entries; returns the maps with
 * the prefilters mapped. */
static struct rg_maps ban_all(struct steps_bpf *s, uint32_t nbans)
{
	enum { BATCH = 8192 };
	static struct rg_addr keys[BATCH];
	static uint32_t keys4[BATCH];
	static struct rg_ban vals[BATCH];
	struct rg_maps m = steps_maps(s);
	uint64_t expires = mono_ns() + 3600000000000ULL;
	struct rg_ban b = { .expires_ns = expires, .reason = RG_REASON_MANUAL, .prefixlen = 128 };
	struct rg_lpm_key k = { .prefixlen = 104, .addr = v4(0x7f000000) };

	/* Each ban twice: in bans_v4 as the program has it, and IPv4-mapped in
	 * bans_v6, the 16-byte-key hash that held every exact ban before;
	 * in batches, so counted in the prefilter here. One map after the
	 * other, to tell the kernel memory each takes. */
	for (int v6 = 0; v6 < 2; v6++) {
		long before = slab_kb();

		for (uint32_t i = 0; i < nbans;) {
			uint32_t n = 0;

			for (; n < BATCH && i < nbans; n++, i++) {
				keys[n] = v4(nth(i));
				memcpy(&keys4[n], &keys[n].a[12], 4);
				if (!v6)
					maps_prefilter_add(&m, &keys4[n]);
				vals[n] = b;
			}
			if (v6)
				update_batch(m.bans_v6, keys, vals, n);
			else
				update_batch(m.bans_v4, keys4, vals, n);
		}
		if (nbans > 1)
			printf("# memory: %u bans in %s: %.0f bytes each (kernel slab growth)\n", nbans,
			       v6 ? "a 16-byte-key hash (as bans_v6)" : "bans_v4",
			       (double)(slab_kb() - before) * 1024 / nbans);
	}
	for (uint32_t i = 0; i < 1000; i++) {
		k = (struct rg_lpm_key){ .prefixlen = 120, .addr = v4(nth(2 * MAX_KEYS + i) & ~0xffu) };
		must(maps_ban(&m, &k, expires, RG_REASON_MANUAL, NULL), "prefix ban");
	}
	/* The usual config allowlist: loopback and one's own networks. */
	k = (struct rg_lpm_key){ .prefixlen = 104, .addr = v4(0x7f000000) };
	must(maps_allow_add(&m, &k, RG_ALLOW_CONFIG), "allow entry");
	for (uint32_t i = 0; i < 4; i++) {
		k = (struct rg_lpm_key){ .prefixlen = 112, .addr = v4(nth(3 * MAX_KEYS + i) & ~0xffffu) };
		must(maps_allow_add(&m, &k, RG_ALLOW_CONFIG), "allow entry");
		k = (struct rg_lpm_key){ .prefixlen = 128, .addr = v4(nth(3 * MAX_KEYS + 8 + i)) };
		must(maps_allow_add(&m, &k, RG_ALLOW_CONFIG), "allow entry");
	}
	return m;
}

static void load_keys(struct steps_bpf *s, int set, uint32_t nbans, uint32_t nkeys)
{
	static struct rg_addr keys[MAX_KEYS];
	static uint32_t idx[MAX_KEYS];
	uint32_t rnd = 12345;

	for (uint32_t i = 0; i < nkeys; i++) {
		if (set == SET_ONE)
			keys[i] = v4(nth(0));
		else if (set == SET_OUTSIDE)
			keys[i] = v4(nth(MAX_KEYS + i));
		else
			idx[i] = i % nbans;
	}
	if (set == SET_BANNED) {
		for (uint32_t i = nkeys - 1; i > 0; i--) {
			uint32_t j = (rnd = rnd * 1103515245u + 12345u) % (i + 1), t = idx[i];

			idx[i] = idx[j];
			idx[j] = t;
		}
		for (uint32_t i = 0; i < nkeys; i++)
			keys[i] = v4(nth(idx[i]));
	}
	for (uint32_t i = 0; i < nkeys;) {
		static uint32_t ix[8192];
		uint32_t n = 0, first = i;

		for (; n < 8192 && i < nkeys; n++, i++)
			ix[n] = i;
		update_batch(bpf_map__fd(s->maps.keys), ix, keys + first, n);
	}
}

/* ns over keys first..first+n-1. */
static double run_step(struct steps_bpf *s, int step, uint32_t first, uint32_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	static uint8_t frame[64];

	o.data_in = frame;
	o.data_size_in = sizeof(frame);
	s->bss->step = (uint32_t)step;
	s->bss->first = first;
	s->bss->nkeys = n;
	if (bpf_prog_test_run_opts(bpf_program__fd(s->progs.steps), &o) < 0) {
		perror("bench_steps: BPF_PROG_TEST_RUN");
		exit(1);
	}
	return (double)s->bss->ns;
}

/* One turn of JUDGE_NOPF: every prefilter bit set, then put back. */
static double run_nopf(struct steps_bpf *s, const struct rg_maps *m, uint32_t first, uint32_t n)
{
	static uint64_t bits[RG_PREFILTER_WORDS], abits[RG_ALLOW_PREFILTER_WORDS];
	double ns;

	memcpy(bits, m->pf_bits, sizeof(bits));
	memcpy(abits, m->apf_bits, sizeof(abits));
	memset(m->pf_bits, 0xff, sizeof(bits));
	memset(m->apf_bits, 0xff, sizeof(abits));
	ns = run_step(s, STEP_JUDGE, first, n);
	memcpy(m->pf_bits, bits, sizeof(bits));
	memcpy(m->apf_bits, abits, sizeof(abits));
	return ns;
}

/* The exact-ban steps must find every banned key and no outside one: a
 * benchmark of lookups that miss by mistake would be fast and wrong. */
static void check(const struct steps_bpf *s, int set, int step, uint32_t nkeys)
{
	uint64_t want = set == SET_OUTSIDE ? 0 : nkeys;

	if ((step == STEP_EXACT || step == STEP_EXACT16) &&
	    s->bss->found != want) {
		fprintf(stderr, "bench_steps: step %s on set %s found %llu of %u keys, not %llu\n",
			step_names[step], set_names[set], (unsigned long long)s->bss->found, nkeys,
			(unsigned long long)want);
		exit(1);
	}
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	uint32_t big = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	uint32_t nkeys = big / CHUNKS * CHUNKS, sizes[2] = { 1, big };

	if (big < CHUNKS || big > MAX_KEYS || rounds < 1 || rounds > 99) {
		fprintf(stderr, "usage: bench_steps [BANS (%u..%u) [ROUNDS (1..99)]]\n", CHUNKS,
			MAX_KEYS);
		return 2;
	}
	printf("%-8s %-8s %-12s %8s %8s %8s\n", "bans", "set", "step", "ns", "net_ns", "place_ns");
	for (int z = 0; z < 2; z++) {
		struct steps_bpf *s = steps_bpf__open();
		static double t[SET_MAX][NSTEPS][99];
		struct rg_maps m, mapped = MAPS_NONE;

		if (!s || bpf_map__set_max_entries(s->maps.keys, nkeys) ||
		    bpf_map__set_max_entries(s->maps.bans_v4, big) ||
		    bpf_map__set_max_entries(s->maps.bans_v6, big) || steps_bpf__load(s)) {
			fprintf(stderr, "bench_steps: cannot load steps.bpf.o (run as root)\n");
			return 1;
		}
		m = ban_all(s, sizes[z]);
		for (int r = 0; r < rounds; r++)
			for (int set = 0; set < SET_MAX; set++) {
				if (set == SET_BANNED && sizes[z] < 2)
					continue;       /* one ban: the same as "one" */
				load_keys(s, set, sizes[z], nkeys);
				for (int st = 0; st < NSTEPS; st++)
					t[set][st][r] = 0;
				/* The steps take turns chunk by chunk, so noise from
				 * other work on the machine hits them alike; each
				 * step walks another chunk than the step before it,
				 * and a chunk's data is bigger than the caches. */
				for (uint32_t c = 0; c < CHUNKS; c++)
					for (int st = 0; st < NSTEPS; st++) {
						uint32_t n = nkeys / CHUNKS;
						uint32_t first = (c + (uint32_t)st) % CHUNKS * n;

						t[set][st][r] += (st == JUDGE_NOPF ?
								  run_nopf(s, &m, first, n) :
								  run_step(s, st, first, n)) / (n * CHUNKS);
						check(s, set, st, n);
					}
			}
		for (int set = 0; set < SET_MAX; set++) {
			double fl;

			if (set == SET_BANNED && sizes[z] < 2)
				continue;
			fl = median(t[set][STEP_FLOOR], rounds);
			for (int st = 0; st < NSTEPS; st++) {
				double med = median(t[set][st], rounds);
				double before = st == STEP_CHAIN_EXACT ? fl : median(t[set][st - 1], rounds);

				printf("%-8u %-8s %-12s %8.1f %8.1f", sizes[z], set_names[set],
				       step_names[st], med, med - fl);
				if (st >= STEP_CHAIN_EXACT && st < STEP_MAX)
					printf(" %8.1f\n", med - before);
				else
					printf(" %8s\n", "-");
			}
		}
		/* Unmap only: the descriptors are the skeleton's. */
		mapped.pf_bits = m.pf_bits;
		mapped.pf_counts = m.pf_counts;
		mapped.apf_bits = m.apf_bits;
		mapped.apf_counts = m.apf_counts;
		maps_close(&mapped);
		steps_bpf__destroy(s);
	}
	return 0;
}
