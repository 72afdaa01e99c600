/* maps.c - bans, allow entries, ports and counters in the pinned maps. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "addr.h"
#include "duration.h"
#include "maps.h"
#include "pins.h"

#define NMAPS 14

/* The descriptors in the order of pins_map_names. */
static void slots(struct rg_maps *m, int *fds[NMAPS])
{
	int *all[NMAPS] = { &m->bans_v4, &m->bans_v6, &m->bans_prefix, &m->allow_exact,
			    &m->allow_prefix, &m->ports, &m->stats, &m->notes, &m->ifaces,
			    &m->settings, &m->prefilter, &m->prefilter_count, &m->allow_prefilter,
			    &m->allow_prefilter_count };

	memcpy(fds, all, sizeof(all));
}

int maps_open_fds(struct rg_maps *m, const char *dir, char *err, size_t errlen)
{
	int *fds[NMAPS];
	char path[4096];

	m->pf_bits = m->apf_bits = NULL;
	m->pf_counts = m->apf_counts = NULL;
	slots(m, fds);
	for (size_t i = 0; i < NMAPS; i++)
		*fds[i] = -1;
	for (size_t i = 0; i < NMAPS; i++) {
		if (pins_path(path, sizeof(path), dir, pins_map_names[i]) < 0 ||
		    (*fds[i] = bpf_obj_get(path)) < 0) {
			int e = errno;

			if (e == ENOENT)
				snprintf(err, errlen, "no rcptguard maps are pinned at %s; "
					 "start rcptguardd once to create them", dir);
			else
				snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
			maps_close(m);
			return -1;
		}
	}
	return 0;
}

int maps_open(struct rg_maps *m, const char *dir, char *err, size_t errlen)
{
	if (maps_open_fds(m, dir, err, errlen) < 0)
		return -1;
	if (maps_mmap(m) < 0) {
		snprintf(err, errlen, "cannot map the prefilter maps under %s: %s", dir,
			 strerror(errno));
		maps_close(m);
		return -1;
	}
	return 0;
}

/* The prefilters' regions to map, in the order of struct rg_maps. */
struct region {
	int fd;
	size_t len;
	void **at;
};

static void regions(struct rg_maps *m, struct region r[4])
{
	r[0] = (struct region){ m->prefilter, RG_PREFILTER_WORDS * sizeof(uint64_t),
				(void **)&m->pf_bits };
	r[1] = (struct region){ m->prefilter_count, RG_PREFILTER_SLOTS, (void **)&m->pf_counts };
	r[2] = (struct region){ m->allow_prefilter, RG_ALLOW_PREFILTER_WORDS * sizeof(uint64_t),
				(void **)&m->apf_bits };
	r[3] = (struct region){ m->allow_prefilter_count, RG_ALLOW_PREFILTER_SLOTS,
				(void **)&m->apf_counts };
}

static void unmap(struct rg_maps *m)
{
	struct region r[4];

	regions(m, r);
	for (int i = 0; i < 4; i++) {
		if (*r[i].at)
			munmap(*r[i].at, r[i].len);
		*r[i].at = NULL;
	}
}

int maps_mmap(struct rg_maps *m)
{
	struct region r[4];

	regions(m, r);
	for (int i = 0; i < 4; i++) {
		void *p = mmap(NULL, r[i].len, PROT_READ | PROT_WRITE, MAP_SHARED, r[i].fd, 0);

		if (p == MAP_FAILED) {
			int e = errno;

			unmap(m);
			errno = e;
			return -1;
		}
		*r[i].at = p;
	}
	return 0;
}

void maps_close(struct rg_maps *m)
{
	int *fds[NMAPS];

	unmap(m);
	slots(m, fds);
	for (size_t i = 0; i < NMAPS; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Exact bans are keyed by the bare address (IPv4 by its 4 bytes, as
 * bans.bpf.h looks them up), prefixes by the LPM key. */
int maps_ban_fd(const struct rg_maps *m, const struct rg_lpm_key *k, const void **key)
{
	if (k->prefixlen != 128) {
		*key = k;
		return m->bans_prefix;
	}
	if (addr_is_v4(&k->addr)) {
		*key = &k->addr.a[12];
		return m->bans_v4;
	}
	*key = &k->addr;
	return m->bans_v6;
}

static int allow_fd(const struct rg_maps *m, const struct rg_lpm_key *k, const void **key)
{
	*key = k->prefixlen == 128 ? (const void *)&k->addr : (const void *)k;
	return k->prefixlen == 128 ? m->allow_exact : m->allow_prefix;
}

/* One prefilter (rcptguard.h): a bit per slot, the top `bits` bits of an
 * IPv4 address, and a saturating count behind each. */
struct pf {
	uint64_t *bits;
	uint8_t *counts;
	unsigned slot_bits;
};

static struct pf ban_pf(const struct rg_maps *m)
{
	return (struct pf){ m->pf_bits, m->pf_counts, RG_PREFILTER_BITS };
}

static struct pf allow_pf(const struct rg_maps *m)
{
	return (struct pf){ m->apf_bits, m->apf_counts, RG_ALLOW_PREFILTER_BITS };
}

/* The daemon and the CLI may both write: counts change by compare and
 * swap, bits by atomic or/and. */
static void pf_inc(const struct pf *p, uint32_t slot)
{
	uint8_t *c = &p->counts[slot], old = __atomic_load_n(c, __ATOMIC_RELAXED);

	do {
		if (old == RG_PREFILTER_SATURATED)
			return;
	} while (!__atomic_compare_exchange_n(c, &old, (uint8_t)(old + 1), false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (old == 0)
		__atomic_fetch_or(&p->bits[slot / 64], 1ULL << (slot % 64), __ATOMIC_SEQ_CST);
}

/* Clears the bit of a slot counted 0. An entry added meanwhile counted
 * 0 -> 1 and may have set the bit before we cleared it: set it again. */
static void pf_clear(const struct pf *p, uint32_t slot)
{
	uint64_t bit = 1ULL << (slot % 64);

	__atomic_fetch_and(&p->bits[slot / 64], ~bit, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->counts[slot], __ATOMIC_SEQ_CST))
		__atomic_fetch_or(&p->bits[slot / 64], bit, __ATOMIC_SEQ_CST);
}

static void pf_dec(const struct pf *p, uint32_t slot)
{
	uint8_t *c = &p->counts[slot], old = __atomic_load_n(c, __ATOMIC_RELAXED);

	do {
		if (old == 0 || old == RG_PREFILTER_SATURATED)
			return;
	} while (!__atomic_compare_exchange_n(c, &old, (uint8_t)(old - 1), false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (old != 1)
		return;
	pf_clear(p, slot);
}

/* The slots of IPv4 that k covers, [*first, *first + *n): none outside
 * the IPv4-mapped space, all for a prefix that covers all of it. */
static void pf_slots(const struct rg_lpm_key *k, unsigned bits, uint32_t *first, uint32_t *n)
{
	static const struct rg_addr mapped = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } };
	unsigned plen = k->prefixlen < 96 ? k->prefixlen : 96;
	struct rg_lpm_key head = { plen, k->addr };
	uint32_t v4, len;

	*first = *n = 0;
	addr_mask(&head);
	if (!addr_in_prefix(&head, &mapped))
		return;                 /* k's first 96 bits are not ::ffff:0:0 */
	if (k->prefixlen < 96) {
		*n = 1u << bits;
		return;
	}
	len = k->prefixlen - 96;
	memcpy(&v4, &k->addr.a[12], 4);
	v4 = ntohl(v4);
	if (len >= bits) {
		*first = v4 >> (32 - bits);
		*n = 1;
	} else {
		*n = 1u << (bits - len);
		*first = (v4 >> (32 - bits)) & ~(*n - 1);
	}
}

/* Count k in or out of a prefilter. A count goes in before its entry,
 * out after it: the program never skips an entry that exists. */
static void pf_key(const struct pf *p, const struct rg_lpm_key *k, bool in)
{
	uint32_t first, n;

	pf_slots(k, p->slot_bits, &first, &n);
	for (uint32_t i = 0; i < n; i++)
		(in ? pf_inc : pf_dec)(p, first + i);
}

void maps_prefilter_add(const struct rg_maps *m, const void *v4)
{
	struct rg_lpm_key k = { .prefixlen = 128 };
	struct pf p = ban_pf(m);

	k.addr.a[10] = k.addr.a[11] = 0xff;
	memcpy(&k.addr.a[12], v4, 4);
	pf_key(&p, &k, true);
}

int maps_get_ban(const struct rg_maps *m, const struct rg_lpm_key *k, struct rg_ban *out)
{
	const void *key;
	int fd = maps_ban_fd(m, k, &key);

	if (bpf_map_lookup_elem(fd, key, out) < 0)
		return -errno;
	/* The trie answers with the longest covering prefix. */
	return out->prefixlen == k->prefixlen ? 0 : -ENOENT;
}

static void set_note(const struct rg_maps *m, const struct rg_lpm_key *k, const char *note)
{
	if (note && *note) {
		struct rg_note n = { { 0 } };

		snprintf(n.text, sizeof(n.text), "%s", note);
		/* The note is for people; a full notes map must not fail the ban. */
		bpf_map_update_elem(m->notes, k, &n, BPF_ANY);
	} else {
		bpf_map_delete_elem(m->notes, k);
	}
}

/* Write b as k's ban. A new key is counted into the prefilter before it
 * goes in (the program never skips an entry that exists) and out again if
 * it could not go in. */
static int ban_put(const struct rg_maps *m, const struct rg_lpm_key *k, const struct rg_ban *b,
		   bool fresh, const char *note)
{
	const void *key;
	int fd = maps_ban_fd(m, k, &key);
	struct pf p = ban_pf(m);

	if (fresh)
		pf_key(&p, k, true);
	if (bpf_map_update_elem(fd, key, b, BPF_ANY) < 0) {
		int e = -errno;

		if (fresh)
			pf_key(&p, k, false);
		return e;
	}
	set_note(m, k, note);
	return 0;
}

int maps_ban_carry(const struct rg_maps *m, const struct rg_lpm_key *k, const struct rg_ban *b,
		   const char *note)
{
	struct rg_ban old;

	return ban_put(m, k, b, maps_get_ban(m, k, &old) < 0, note);
}

int maps_ban(const struct rg_maps *m, const struct rg_lpm_key *k, uint64_t expires_ns,
	     unsigned reason, const char *note)
{
	bool fresh = false;
	struct rg_ban b;

	if (maps_get_ban(m, k, &b) < 0) {
		memset(&b, 0, sizeof(b));
		b.created_unix = wall_secs();
		b.prefixlen = k->prefixlen;
		fresh = true;
	}
	b.expires_ns = expires_ns;
	b.reason = reason;
	return ban_put(m, k, &b, fresh, note);
}

int maps_unban(const struct rg_maps *m, const struct rg_lpm_key *k)
{
	const void *key;
	int fd = maps_ban_fd(m, k, &key);
	struct pf p = ban_pf(m);

	bpf_map_delete_elem(m->notes, k);
	if (bpf_map_delete_elem(fd, key) < 0)
		return -errno;
	pf_key(&p, k, false);
	return 0;
}

/* Walks one map. The next key is fetched before the callback runs, so the
 * callback may delete the entry it is given. */
static int walk(int fd, size_t key_size, size_t val_size,
		int (*fn)(const void *key, void *val, void *arg), void *arg)
{
	unsigned char *cur = malloc(2 * key_size + val_size), *next, *val;
	bool more;
	int rc = 0;

	if (!cur)
		return -ENOMEM;
	next = cur + key_size;
	val = next + key_size;
	more = bpf_map_get_next_key(fd, NULL, cur) == 0;
	while (more && rc == 0) {
		more = bpf_map_get_next_key(fd, cur, next) == 0;
		/* A failed lookup means it was deleted meanwhile. */
		if (bpf_map_lookup_elem(fd, cur, val) == 0)
			rc = fn(cur, val, arg);
		memcpy(cur, next, key_size);
	}
	free(cur);
	return rc;
}

/* The same, a few thousand entries per system call: a million bans take
 * tens of milliseconds instead of seconds. Maps without batch operations
 * fall back to walk(). */
#define BATCH 4096
int maps_walk_fd(int fd, size_t key_size, size_t val_size,
		 int (*fn)(const void *key, void *val, void *arg), void *arg)
{
	/* The batch token is a hash map's bucket number (4 bytes) or, for
	 * maps the kernel walks generically (LPM tries), a key. */
	size_t tok = key_size > 8 ? key_size : 8;
	unsigned char *keys = malloc(BATCH * key_size), *vals = malloc(BATCH * val_size),
		      *in = malloc(2 * tok), *out = in ? in + tok : NULL;
	bool first = true, last = false;
	int rc = 0;

	if (!keys || !vals || !in) {
		free(keys);
		free(vals);
		free(in);
		return walk(fd, key_size, val_size, fn, arg);
	}
	while (!last && rc == 0) {
		__u32 n = BATCH;
		int e = bpf_map_lookup_batch(fd, first ? NULL : in, out, keys, vals, &n, NULL);

		if (e < 0 && errno != ENOENT) {
			/* No batch support: only safe to fall back before the first batch. */
			rc = first ? walk(fd, key_size, val_size, fn, arg) : -errno;
			break;
		}
		last = e < 0;           /* ENOENT: this was the last batch */
		for (__u32 i = 0; i < n && rc == 0; i++)
			rc = fn(keys + i * key_size, vals + i * val_size, arg);
		memcpy(in, out, tok);
		first = false;
	}
	free(keys);
	free(vals);
	free(in);
	return rc;
}

/* A key of bans_v4 (4 bytes), an exact map (bare address) or a prefix
 * map, by its size, as an LPM key. */
static struct rg_lpm_key lpm_key(const void *key, size_t size)
{
	struct rg_lpm_key k = { .prefixlen = 128 };

	if (size == 4) {
		k.addr.a[10] = k.addr.a[11] = 0xff;
		memcpy(&k.addr.a[12], key, 4);
	} else if (size == sizeof(k.addr)) {
		memcpy(&k.addr, key, sizeof(k.addr));
	} else {
		memcpy(&k, key, sizeof(k));
	}
	return k;
}

struct rec_walk {
	const struct rg_maps *m;
	enum backend_kind kind;
	size_t key_size;                /* of the map being walked */
	bool notes;                     /* the notes map has any entry */
	backend_walk_cb cb;
	void *arg;
};

static int rec_visit(const void *key, void *val, void *arg)
{
	struct rec_walk *w = arg;
	struct rg_lpm_key k = lpm_key(key, w->key_size);
	struct backend_rec r = { .kind = w->kind, .note = "" };
	struct rg_note n;

	if (w->kind == BACKEND_ALLOW)
		return w->cb(&k, &(struct backend_rec){ .kind = BACKEND_ALLOW,
				.allow = *(struct rg_allow *)val }, w->arg);
	/* Notes are rare (manual bans): skip the lookup when there are none. */
	if (!w->notes || bpf_map_lookup_elem(w->m->notes, &k, &n) < 0)
		n.text[0] = '\0';
	n.text[sizeof(n.text) - 1] = '\0';
	r.ban = *(struct rg_ban *)val;
	r.note = n.text;
	return w->cb(&k, &r, w->arg);
}

int maps_walk(const struct rg_maps *m, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	struct rg_lpm_key any;
	bool ban = kind == BACKEND_BAN;
	struct rec_walk w = { m, kind, 4, ban && bpf_map_get_next_key(m->notes, NULL, &any) == 0,
			      cb, arg };
	size_t val = ban ? sizeof(struct rg_ban) : sizeof(struct rg_allow);
	int rc = 0;

	if (ban)
		rc = maps_walk_fd(m->bans_v4, 4, val, rec_visit, &w);
	w.key_size = sizeof(struct rg_addr);
	if (!rc)
		rc = ban ? maps_walk_fd(m->bans_v6, w.key_size, val, rec_visit, &w) :
			   walk(m->allow_exact, w.key_size, val, rec_visit, &w);
	w.key_size = sizeof(struct rg_lpm_key);
	return rc ? rc : walk(ban ? m->bans_prefix : m->allow_prefix, w.key_size, val,
			      rec_visit, &w);
}

int maps_allow_carry(const struct rg_maps *m, const struct rg_lpm_key *k, const struct rg_allow *a)
{
	const void *key;
	int fd = allow_fd(m, k, &key);
	struct pf p = allow_pf(m);

	/* Only a new entry is counted; it may drop a packet in the moment
	 * before its bit is set, as it would have a moment earlier. */
	if (bpf_map_update_elem(fd, key, a, BPF_NOEXIST) == 0) {
		pf_key(&p, k, true);
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	return bpf_map_update_elem(fd, key, a, BPF_EXIST) < 0 ? -errno : 0;
}

int maps_allow_add(const struct rg_maps *m, const struct rg_lpm_key *k, unsigned origin)
{
	struct rg_allow a = { .created_unix = wall_secs(), .origin = origin };

	return maps_allow_carry(m, k, &a);
}

int maps_allow_del(const struct rg_maps *m, const struct rg_lpm_key *k)
{
	const void *key;
	int fd = allow_fd(m, k, &key);
	struct pf p = allow_pf(m);

	if (bpf_map_delete_elem(fd, key) < 0)
		return -errno;
	pf_key(&p, k, false);
	return 0;
}

int maps_set_ports(const struct rg_maps *m, const uint16_t *ports, unsigned n)
{
	struct rg_ports p;
	__u32 zero = 0;

	memset(&p, 0, sizeof(p));
	for (unsigned i = 0; i < n; i++)
		p.bits[ports[i] >> 6] |= 1ULL << (ports[i] & 63);
	return bpf_map_update_elem(m->ports, &zero, &p, BPF_ANY) < 0 ? -errno : 0;
}

int maps_get_ports(const struct rg_maps *m, struct rg_ports *out)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->ports, &zero, out) < 0 ? -errno : 0;
}

int maps_set_answer(const struct rg_maps *m, unsigned action, uint32_t rate)
{
	int ncpu = libbpf_num_possible_cpus();
	struct rg_settings s = { .ban_action = action };
	__u32 zero = 0;

	if (ncpu < 1 || !rate)
		return -EINVAL;
	/* Each CPU's bucket earns its share of the rate. */
	s.rst_interval_ns = 1000000000ULL * (uint64_t)ncpu / rate;
	return bpf_map_update_elem(m->settings, &zero, &s, BPF_ANY) < 0 ? -errno : 0;
}

int maps_read_stats(const struct rg_maps *m, struct rg_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct rg_stats *per;
	__u32 zero = 0;

	if (ncpu < 1)
		return -EINVAL;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->stats, &zero, per) < 0) {
		int e = -errno;

		free(per);
		return e;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < RG_COUNTER_MAX; i++) {
			sum->packets[i] += per[c].packets[i];
			sum->bytes[i] += per[c].bytes[i];
		}
	for (int c = 0; c < ncpu; c++) {
		sum->rst_sent += per[c].rst_sent;
		sum->rst_suppressed += per[c].rst_suppressed;
	}
	free(per);
	return 0;
}
