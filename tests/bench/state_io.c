/* state_io.c - bytes the state costs the disk while bans change, with
 * NBANS bans and CHANGES ban changes a second: the whole file rewritten
 * and fsynced every second (the old way), against a journal line per
 * change fsynced each second plus a full save every INTERVAL seconds.
 * Measured from the kernel's count of bytes handed to write()
 * (/proc/self/io wchar). Usage: state_io DIR [NBANS [CHANGES [INTERVAL]]] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "backend.h"
#include "duration.h"
#include "load_util.h"
#include "state.h"

#define REWRITES 3
#define TICKS 20

static uint64_t wchar(void)
{
	char line[128];
	uint64_t v = 0;
	FILE *f = fopen("/proc/self/io", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %" SCNu64, &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static struct rg_lpm_key nth(uint32_t i)
{
	struct rg_lpm_key k = { .prefixlen = 128 };

	/* 10.0.0.0/8 as IPv4-mapped addresses: a million fit. */
	k.addr.a[10] = k.addr.a[11] = 0xff;
	k.addr.a[12] = 10;
	k.addr.a[13] = (uint8_t)(i >> 16);
	k.addr.a[14] = (uint8_t)(i >> 8);
	k.addr.a[15] = (uint8_t)i;
	return k;
}

/* The bans as a backend lists them, made up as they are listed: the
 * benchmark measures the state's writes, not a backend's store. */
static uint32_t nbans;

static int made_up(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	struct backend_rec r = { .kind = BACKEND_BAN, .note = "",
				 .ban = { .expires_ns = mono_ns() + 3600000000000ULL,
					  .prefixlen = 128, .reason = RG_REASON_UNKNOWN_RCPT,
					  .created_unix = wall_secs() } };
	int rc = 0;

	(void)ctx;
	if (kind != BACKEND_BAN)
		return 0;
	for (uint32_t i = 0; rc == 0 && i < nbans; i++) {
		struct rg_lpm_key k = nth(i);

		rc = cb(&k, &r, arg);
	}
	return rc;
}

static const struct backend_ops listing = { .name = "listing", .walk = made_up };

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000000;
	uint32_t changes = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 100;
	uint32_t interval = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 60;
	struct enforcer *enf = enforce_new(&listing, NULL);
	struct offender_cfg cfg;
	struct offenders *off;
	struct journal j = { 0 };
	char err[512], line[JOURNAL_LINE_MAX];
	uint64_t w0, rewrite_bytes, journal_bytes, save_bytes;
	double t0, rewrite_s, tick_s, save_s;

	nbans = n;
	if (!dir || !nbans || nbans > (1u << 24) || !interval) {
		fprintf(stderr, "usage: state_io DIR [NBANS [CHANGES [INTERVAL]]]\n");
		return 2;
	}
	offenders_defaults(&cfg);
	off = offenders_new(&cfg, 1);
	if (journal_open(&j, dir, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "state_io: %s\n", err);
		return 1;
	}
	/* The old way: every second with a change, the whole file. */
	w0 = wchar();
	t0 = mono_now();
	for (int i = 0; i < REWRITES; i++)
		if (state_write(dir, &j, enf, off, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "state_io: %s\n", err);
			return 1;
		}
	rewrite_bytes = (wchar() - w0) / REWRITES;
	rewrite_s = (mono_now() - t0) / REWRITES;
	/* The journal: CHANGES lines a tick, fsynced, ... */
	w0 = wchar();
	t0 = mono_now();
	for (int t = 0; t < TICKS; t++) {
		for (uint32_t c = 0; c < changes; c++) {
			struct rg_lpm_key k = nth((t * changes + c) % nbans);

			state_ban_change(line, sizeof(line), &k, wall_secs() + 3600,
					 RG_REASON_UNKNOWN_RCPT, NULL, wall_secs());
			journal_add(&j, line);
		}
		if (journal_flush(&j, err, sizeof(err)) < 0) {
			fprintf(stderr, "state_io: %s\n", err);
			return 1;
		}
	}
	journal_bytes = (wchar() - w0) / TICKS;
	tick_s = (mono_now() - t0) / TICKS;
	/* ... and a full save every INTERVAL seconds. */
	w0 = wchar();
	t0 = mono_now();
	state_write(dir, &j, enf, off, &cfg, err, sizeof(err));
	save_bytes = wchar() - w0;
	save_s = mono_now() - t0;
	printf("bans=%" PRIu32 " changes_per_s=%" PRIu32 " interval_s=%" PRIu32
	       " rewrite_bytes_per_s=%" PRIu64 " rewrite_ms=%.0f journal_bytes_per_s=%" PRIu64
	       " journal_tick_ms=%.1f compaction_bytes=%" PRIu64 " compaction_ms=%.0f"
	       " journaled_bytes_per_s=%" PRIu64 "\n",
	       nbans, changes, interval, rewrite_bytes, rewrite_s * 1e3, journal_bytes,
	       tick_s * 1e3, save_bytes, save_s * 1e3, journal_bytes + save_bytes / interval);
	journal_close(&j);
	offenders_free(off);
	enforce_free(enf);
	return 0;
}
