/* cmd_offenders.c - show: what is known about one client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "duration.h"
#include "json.h"
#include "names.h"
#include "table.h"

static void when(const char *unix_s, char *buf, size_t len)
{
	time_t t = (time_t)strtoll(unix_s, NULL, 10);
	struct tm tm;

	if (!t || !localtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* show --json: one object, the daemon's records grouped by their type. */
static void show_json(const char *addr, const struct ctl_reply *r)
{
	static const struct { const char *type, *key; bool many; } parts[] = {
		{ "ban", "bans", true }, { "allow", "allow", false },
		{ "dnsbl", "dnsbl", true }, { "offender", "offender", false },
		{ "event", "events", true }, { "recipient", "recipients", true },
	};
	struct json j;

	json_init(&j, stdout);
	json_object(&j);
	json_key(&j, "address");
	json_string(&j, addr);
	json_key(&j, "daemon");
	json_bool(&j, true);
	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
		bool found = false;

		json_key(&j, parts[p].key);
		if (parts[p].many)
			json_array(&j);
		for (size_t i = 0; i < r->n && (parts[p].many || !found); i++)
			if (strcmp(ctl_get(&r->rec[i], "type"), parts[p].type) == 0) {
				json_object(&j);
				ctl_json_fields(&j, &r->rec[i], "type");
				json_end(&j);
				found = true;
			}
		if (parts[p].many)
			json_end(&j);
		else if (!found)
			json_null(&j);
	}
	json_end(&j);
}

/* Without the daemon only the kernel's view is there: the bans of every
 * prefix length that cover k, and the allow entry that spares it. */
static int show_direct(struct ctx *x, const struct rg_lpm_key *k, const char *addr)
{
	struct rg_lpm_key one = { .prefixlen = 128, .addr = k->addr }, by;
	char b[ADDR_STRLEN] = "";
	bool found = false, allowed;
	struct json j;

	if (store_open(x) < 0)
		return EXIT_FAIL;
	if ((allowed = store_allow_overlaps(x, &one, &by)))
		addr_format(&by, b, sizeof(b));
	if (x->json) {
		json_init(&j, stdout);
		json_object(&j);
		json_key(&j, "address");
		json_string(&j, addr);
		json_key(&j, "daemon");
		json_bool(&j, false);
		json_key(&j, "bans");
		json_array(&j);
	} else {
		printf("%s:\n", addr);
		if (allowed)
			printf("  allowlisted by %s: never dropped\n", b);
	}
	for (unsigned len = 128;; len--) {
		struct rg_lpm_key p = { .prefixlen = len, .addr = k->addr };
		struct rg_ban ban;

		addr_mask(&p);
		if (enforce_get_ban(x->enf, &p, &ban) == 0) {
			char a[ADDR_STRLEN];

			addr_format(&p, a, sizeof(a));
			found = true;
			if (x->json) {
				json_object(&j);
				json_key(&j, "address");
				json_string(&j, a);
				json_key(&j, "reason");
				json_string(&j, reason_name(ban.reason));
				json_key(&j, "created");
				json_uint(&j, ban.created_unix);
				json_key(&j, "packets");
				json_uint(&j, ban.packets);
				json_key(&j, "bytes");
				json_uint(&j, ban.bytes);
				json_end(&j);
			} else {
				printf("  %s %s: %llu packets, %llu bytes dropped%s\n",
				       allowed ? "ban of" : "banned as", a,
				       (unsigned long long)ban.packets, (unsigned long long)ban.bytes,
				       allowed ? "; does not apply to this address" : "");
			}
		}
		if (len == 0)
			break;
	}
	if (x->json) {
		json_end(&j);
		json_key(&j, "allow");
		if (allowed) {
			json_object(&j);
			json_key(&j, "entry");
			json_string(&j, b);
			json_end(&j);
		} else {
			json_null(&j);
		}
		/* What only the daemon knows: the same keys, empty. */
		json_key(&j, "dnsbl");
		json_array(&j);
		json_end(&j);
		json_key(&j, "offender");
		json_null(&j);
		json_key(&j, "events");
		json_array(&j);
		json_end(&j);
		json_key(&j, "recipients");
		json_array(&j);
		json_end(&j);
		json_end(&j);
		return EXIT_OK;
	}
	if (!found)
		printf("  not banned\n");
	printf("  (offender history, score and events need rcptguardd)\n");
	return EXIT_OK;
}

int cmd_show(struct ctx *x, int argc, char **argv)
{
	struct rg_lpm_key k;
	struct ctl_reply r;
	char err[256], t1[32], t2[32], dur[32];
	const char *addr = NULL, *allowed = NULL;
	unsigned rcpts = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			x->json = true;
		else if (!addr)
			addr = argv[i];
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	if (!addr)
		return usage_error("%s needs an address", "show");
	if (addr_parse(addr, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguard: %s\n", err);
		return EXIT_USAGE;
	}
	{
		const char *w[] = { "show", addr };

		rc = ask(x, &r, false, 2, w);
	}
	if (rc == DAEMON_DOWN)
		return show_direct(x, &k, addr);
	if (rc != EXIT_OK)
		return rc;
	if (x->json) {
		show_json(addr, &r);
		ctl_free(&r);
		return EXIT_OK;
	}
	/* Everything after this may have come from the network. */
	if (ctl_escape(&r) < 0) {
		fprintf(stderr, "rcptguard: out of memory\n");
		ctl_free(&r);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < r.n; i++)
		if (strcmp(ctl_get(&r.rec[i], "type"), "allow") == 0)
			allowed = ctl_get(&r.rec[i], "entry");
	printf("%s:\n", addr);
	if (!r.n)
		printf("  nothing known\n");
	for (size_t i = 0; i < r.n; i++) {
		const struct ctl_record *e = &r.rec[i];
		const char *type = ctl_get(e, "type");

		if (strcmp(type, "ban") == 0) {
			uint64_t exp = strtoull(ctl_get(e, "expires"), NULL, 10), now = wall_secs();

			duration_format(exp > now ? exp - now : 0, dur, sizeof(dur));
			printf("  %s %s (%s%s%s), %s, %s packets / %s bytes dropped%s\n",
			       allowed ? "ban of" : "banned as", ctl_get(e, "address"),
			       ctl_get(e, "reason"), *ctl_get(e, "note") ? ": " : "",
			       ctl_get(e, "note"), !exp ? "permanent" : exp > now ? dur : "expired",
			       ctl_get(e, "packets"), ctl_get(e, "bytes"),
			       allowed ? "; does not apply to this address" : "");
		} else if (strcmp(type, "allow") == 0) {
			printf("  allowlisted by %s (%s): never dropped or refused\n",
			       ctl_get(e, "entry"), ctl_get(e, "origin"));
		} else if (strcmp(type, "offender") == 0) {
			when(ctl_get(e, "first_seen"), t1, sizeof(t1));
			when(ctl_get(e, "last_seen"), t2, sizeof(t2));
			printf("  tracked as %s: score %s of %s, %s bad recipients, %s bans, "
			       "%s valid recipients recently\n", ctl_get(e, "address"),
			       ctl_get(e, "level"), ctl_get(e, "threshold"), ctl_get(e, "bad_total"),
			       ctl_get(e, "offenses"), ctl_get(e, "valid_count"));
			printf("  first seen %s, last seen %s, last bad recipient %s\n", t1, t2,
			       *ctl_get(e, "last_recipient") ? ctl_get(e, "last_recipient") : "-");
			/* The score counts again from 0 once a ban is placed: say what made it. */
			if (strtoull(ctl_get(e, "last_ban"), NULL, 10)) {
				bool scored = strtod(ctl_get(e, "ban_threshold"), NULL) > 0;

				when(ctl_get(e, "last_ban"), t1, sizeof(t1));
				printf("  %s %s (%s)%s%s%s%s\n",
				       strtoull(ctl_get(e, "ban_until"), NULL, 10) > wall_secs() ?
				       "banned" : "last banned", t1, ctl_get(e, "ban_reason"),
				       scored ? " at score " : "",
				       scored ? ctl_get(e, "ban_level") : "", scored ? " of " : "",
				       scored ? ctl_get(e, "ban_threshold") : "");
			}
			if (strtoull(ctl_get(e, "pardon_until"), NULL, 10) > wall_secs()) {
				when(ctl_get(e, "pardon_until"), t1, sizeof(t1));
				printf("  pardoned (unbanned by hand) until %s\n", t1);
			}
		} else if (strcmp(type, "dnsbl") == 0) {
			uint64_t asked = strtoull(ctl_get(e, "asked"), NULL, 10), now = wall_secs();

			duration_format(now > asked ? now - asked : 0, dur, sizeof(dur));
			printf("  dnsbl %s (weight %s): %s %s, asked %s ago%s%s\n", ctl_get(e, "list"),
			       ctl_get(e, "weight"), ctl_get(e, "status"), ctl_get(e, "answer"), dur,
			       *ctl_get(e, "txt") ? ": " : "", ctl_get(e, "txt"));
		} else if (strcmp(type, "event") == 0) {
			when(ctl_get(e, "time"), t1, sizeof(t1));
			printf("    %s  %s\n", t1, ctl_get(e, "event"));
		} else if (strcmp(type, "recipient") == 0) {
			if (!rcpts++)
				printf("  latest bad recipients tried:\n");
			when(ctl_get(e, "time"), t1, sizeof(t1));
			printf("    %s  %s\n", t1, ctl_get(e, "recipient"));
		}
	}
	ctl_free(&r);
	return EXIT_OK;
}
