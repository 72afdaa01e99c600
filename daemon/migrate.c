/* migrate.c - moving bans from another version's pinned maps into ours. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "duration.h"
#include "log.h"
#include "migrate.h"
#include "pins.h"

/* The fixed prefixes the ABI promises (bpf/rcptguard.h). */
#define BAN_FIXED 40
#define ALLOW_FIXED 12
#define IFACE_FIXED 32
_Static_assert(offsetof(struct rg_ban, prefixlen) + 4 == BAN_FIXED, "rg_ban's fixed prefix");
_Static_assert(offsetof(struct rg_allow, origin) + 4 == ALLOW_FIXED, "rg_allow's fixed prefix");
_Static_assert(sizeof(struct rg_iface) == IFACE_FIXED, "rg_iface's fixed prefix");

static bool ours(const char *name)
{
	for (size_t i = 0; pins_map_names[i]; i++)
		if (strcmp(pins_map_names[i], name) == 0)
			return true;
	return false;
}

/* A pinned program or link answers the info call too, in its own shape:
 * only a map's descriptor is an anon inode named bpf-map. */
static bool is_map(int fd)
{
	char link[64], target[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	return n > 0 && (size_t)n == strlen("anon_inode:bpf-map") &&
	       memcmp(target, "anon_inode:bpf-map", (size_t)n) == 0;
}

static int map_info(const char *dir, const char *name, struct bpf_map_info *info, int *fdp)
{
	char path[4096];
	__u32 len = sizeof(*info);
	int fd, e = 0;

	if (pins_path(path, sizeof(path), dir, name) < 0)
		return -ENAMETOOLONG;
	if ((fd = bpf_obj_get(path)) < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (!is_map(fd))
		e = -EBADF;
	else if (bpf_obj_get_info_by_fd(fd, info, &len) < 0)
		e = -errno;
	if (e || !fdp)
		close(fd);
	else
		*fdp = fd;
	return e;
}

/* The first field of a pinned map that differs from want's. */
static bool differs(const struct bpf_map *want, const struct bpf_map_info *have, bool with_max,
		    char *why, size_t len)
{
	const struct { const char *what; unsigned have, want; } f[] = {
		{ "type", have->type, bpf_map__type(want) },
		{ "key_size", have->key_size, bpf_map__key_size(want) },
		{ "value_size", have->value_size, bpf_map__value_size(want) },
		{ "flags", have->map_flags, bpf_map__map_flags(want) },
		{ "max_entries", have->max_entries, with_max ? bpf_map__max_entries(want) :
							       have->max_entries },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].have != f[i].want) {
			snprintf(why, len, "%s %s %u, this build %u", bpf_map__name(want),
				 f[i].what, f[i].have, f[i].want);
			return true;
		}
	return false;
}

/* A pinned map this build does not have (another version's). */
static bool foreign_pin(const char *dir, char *why, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		if (de->d_type != DT_DIR && !ours(de->d_name)) {
			snprintf(why, len, "%.64s is not a map of this build", de->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

enum layout_match migrate_compare(struct bpf_object *obj, const char *dir, bool with_max,
				  char *why, size_t len)
{
	size_t pinned = 0;
	const char *missing = NULL;
	bool other = false;

	*why = '\0';
	for (size_t i = 0; pins_map_names[i]; i++) {
		const struct bpf_map *want = bpf_object__find_map_by_name(obj, pins_map_names[i]);
		struct bpf_map_info have;
		int rc = map_info(dir, pins_map_names[i], &have, NULL);

		if (rc == -ENOENT) {
			missing = pins_map_names[i];
			continue;
		}
		pinned++;
		if (other || !want)
			continue;
		if (rc < 0) {
			snprintf(why, len, "%s cannot be read: %s", pins_map_names[i], strerror(-rc));
			other = true;
		} else {
			other = differs(want, &have, with_max, why, len);
		}
	}
	if (!other && foreign_pin(dir, why, len))
		return LAYOUT_OTHER;
	if (!other && !pinned)
		return LAYOUT_NONE;
	if (!other && missing)
		snprintf(why, len, "%s is not pinned", missing);
	return other || missing ? LAYOUT_OTHER : LAYOUT_SAME;
}

enum kind { K_BAN, K_ALLOW, K_IFACE };
/* What a refusal is counted as. */
enum refused { R_BANS, R_PREFIXES, R_ALLOWS, R_MAX };

struct carry {
	const struct rg_maps *to;
	struct migrate_counts *n;
	enum kind kind;
	size_t key_size;
	int notes;                      /* the old notes map, -1: none */
	uint64_t now;
	size_t refused[R_MAX];
	int error[R_MAX];               /* the first refusal's */
};

/* An old key, by its size (the ABI rules); false: not an address. */
static bool old_key(const void *key, size_t size, struct rg_lpm_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 128;
	if (size == 4) {
		k->addr.a[10] = k->addr.a[11] = 0xff;
		memcpy(&k->addr.a[12], key, 4);
	} else if (size == sizeof(struct rg_addr)) {
		memcpy(&k->addr, key, sizeof(k->addr));
	} else if (size == sizeof(struct rg_lpm_key)) {
		memcpy(k, key, sizeof(*k));
	} else {
		return false;
	}
	return k->prefixlen <= 128;
}

static void refuse(struct carry *c, enum refused which, int rc)
{
	if (!c->refused[which]++)
		c->error[which] = rc;
}

static int carry_one(const void *key, void *val, void *arg)
{
	struct carry *c = arg;
	struct rg_lpm_key k;
	struct rg_note note = { { 0 } };
	struct rg_ban b;
	struct rg_allow a;
	bool exact;
	int rc;

	if (c->kind == K_IFACE) {
		bpf_map_update_elem(c->to->ifaces, key, val, BPF_ANY);
		return 0;
	}
	if (!old_key(key, c->key_size, &k)) {
		refuse(c, c->kind == K_ALLOW ? R_ALLOWS : R_BANS, -EINVAL);
		return 0;
	}
	exact = k.prefixlen == 128;
	if (c->kind == K_ALLOW) {
		memset(&a, 0, sizeof(a));
		memcpy(&a, val, ALLOW_FIXED);
		if ((rc = maps_allow_carry(c->to, &k, &a)) < 0)
			refuse(c, R_ALLOWS, rc);
		else
			c->n->allows++;
		return 0;
	}
	memset(&b, 0, sizeof(b));
	memcpy(&b, val, BAN_FIXED);
	b.prefixlen = k.prefixlen;
	if (b.expires_ns && b.expires_ns <= c->now) {
		c->n->expired++;
		return 0;
	}
	if (c->notes >= 0 && bpf_map_lookup_elem(c->notes, &k, &note) == 0)
		note.text[sizeof(note.text) - 1] = '\0';
	if ((rc = maps_ban_carry(c->to, &k, &b, note.text)) < 0) {
		refuse(c, exact ? R_BANS : R_PREFIXES, rc);
		return 0;
	}
	if (exact)
		c->n->bans++;
	else
		c->n->prefixes++;
	c->n->notes += note.text[0] != '\0';
	return 0;
}

static int count_one(const void *key, void *val, void *arg)
{
	(void)key;
	(void)val;
	++*(size_t *)arg;
	return 0;
}

/* One pinned map by the ABI rules, or one line saying why not. */
static void carry_map(struct carry *c, const char *dir, const char *name)
{
	struct bpf_map_info info;
	size_t fixed = c->kind == K_BAN ? BAN_FIXED : c->kind == K_ALLOW ? ALLOW_FIXED : IFACE_FIXED;
	const char *why = NULL;
	char entries[24] = "unknown";
	size_t n = 0;
	/* Only these are read: a per-CPU map's lookup writes a value per CPU. */
	bool readable;
	int fd, rc = map_info(dir, name, &info, &fd);

	if (rc < 0) {
		log_err("event=maps_migrate_refused map=%s entries=unknown error=\"%s\" "
			"note=\"its entries are not carried; the state file restores the bans it "
			"knows\"", name, rc == -EBADF ? "not a BPF map" : strerror(-rc));
		c->n->unreadable = true;
		return;
	}
	readable = info.type == BPF_MAP_TYPE_HASH || info.type == BPF_MAP_TYPE_LRU_HASH ||
		   info.type == BPF_MAP_TYPE_LPM_TRIE;
	if (!readable)
		why = "its type is not a hash or LPM trie";
	else if (c->kind == K_IFACE ? info.key_size != 4 :
		 info.key_size != 4 && info.key_size != sizeof(struct rg_addr) &&
		 info.key_size != sizeof(struct rg_lpm_key))
		why = "its key is not an address";
	else if (info.value_size < fixed)
		why = "its value is shorter than the fixed part";
	if (!why) {
		c->key_size = info.key_size;
		maps_walk_fd(fd, info.key_size, info.value_size, carry_one, c);
		close(fd);
		return;
	}
	if (readable && maps_walk_fd(fd, info.key_size, info.value_size, count_one, &n) == 0)
		snprintf(entries, sizeof(entries), "%zu", n);
	log_err("event=maps_migrate_refused map=%s entries=%s key_size=%u value_size=%u "
		"map_type=%u why=\"%s\" note=\"its entries are not carried; the state file "
		"restores the bans it knows\"", name, entries, info.key_size, info.value_size,
		info.type, why);
	c->n->unreadable = c->kind != K_IFACE;
	close(fd);
}

static int old_notes(const char *dir, struct migrate_counts *n)
{
	struct bpf_map_info info;
	struct rg_lpm_key any;
	int fd;

	if (map_info(dir, "ban_notes", &info, &fd) < 0)
		return -1;
	if (info.key_size != sizeof(struct rg_lpm_key) || info.value_size != sizeof(struct rg_note)) {
		log_err("event=maps_migrate_refused map=ban_notes key_size=%u value_size=%u "
			"note=\"the notes of the bans are not carried; the state file restores "
			"those it knows\"", info.key_size, info.value_size);
		n->unreadable = true;
	}
	/* Notes are rare (manual bans): no lookup per ban when there are none. */
	else if (bpf_map_get_next_key(fd, NULL, &any) == 0)
		return fd;
	close(fd);
	return -1;
}

void migrate_carry(const char *dir, const struct rg_maps *to, struct migrate_counts *n)
{
	static const char *const what[R_MAX] = { "bans", "prefixes", "allows" };
	struct carry c = { .to = to, .n = n, .now = mono_ns() };
	struct dirent *de;
	DIR *d = opendir(dir);

	memset(n, 0, sizeof(*n));
	c.notes = old_notes(dir, n);
	while (d && (de = readdir(d))) {
		if (de->d_type == DT_DIR)
			continue;
		if (strncmp(de->d_name, "bans_", 5) == 0)
			c.kind = K_BAN;
		else if (strncmp(de->d_name, "allow_", 6) == 0)
			c.kind = K_ALLOW;
		else if (strcmp(de->d_name, "ifaces") == 0)
			c.kind = K_IFACE;
		else
			continue;
		carry_map(&c, dir, de->d_name);
	}
	if (d)
		closedir(d);
	if (c.notes >= 0)
		close(c.notes);
	for (unsigned i = 0; i < R_MAX; i++) {
		if (!c.refused[i])
			continue;
		n->refused += c.refused[i];
		log_err("event=maps_migrate_refused what=%s count=%zu error=\"%s\" fix=\"%s\"",
			what[i], c.refused[i], strerror(-c.error[i]),
			c.error[i] == -EINVAL ? "none: their keys are not addresses; they are lifted" :
			i == R_BANS ? "raise max_bans; the bans that did not fit are lifted" :
			i == R_PREFIXES ? "raise max_prefix_bans; the bans that did not fit are lifted" :
				 "raise max_allow; the config's allow entries are loaded again, "
				 "manual ones that did not fit are lifted");
	}
}

int migrate_commit(const char *dir, char *err, size_t errlen)
{
	char staging[4096], from[4096], to[4096];
	struct dirent *de;
	DIR *d;

	if (pins_path(staging, sizeof(staging), dir, PINS_STAGING) < 0 || !(d = opendir(staging))) {
		snprintf(err, errlen, "cannot read %s/%s: %s", dir, PINS_STAGING, strerror(errno));
		return -1;
	}
	/* Each rename replaces one old pin at once. The prefilters go last:
	 * beside old ban maps (a start killed here) new prefilters would miss
	 * bans that were not carried, while old ones beside new ban maps only
	 * hold bits of bans that went. */
	for (int last = 0; last < 2; last++) {
		rewinddir(d);
		while ((de = readdir(d))) {
			if (de->d_type == DT_DIR ||
			    (strncmp(de->d_name, "prefilter_", 10) == 0) != last)
				continue;
			if (pins_path(from, sizeof(from), staging, de->d_name) < 0 ||
			    pins_path(to, sizeof(to), dir, de->d_name) < 0 || rename(from, to) < 0) {
				snprintf(err, errlen, "cannot move the pin %s to %s: %s", from, dir,
					 strerror(errno));
				closedir(d);
				return -1;
			}
		}
	}
	closedir(d);
	rmdir(staging);
	/* Old maps this build does not pin, once every new one is in place. */
	if (!(d = opendir(dir))) {
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		if (de->d_type != DT_DIR && !ours(de->d_name) &&
		    pins_path(to, sizeof(to), dir, de->d_name) == 0 && unlink(to) < 0)
			log_err("event=maps_migrate_unpin_failed path=%s error=\"%s\"", to,
				strerror(errno));
	closedir(d);
	return 0;
}
