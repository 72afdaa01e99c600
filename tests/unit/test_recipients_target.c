/* test_recipients_target.c - one source compiled --for each target, then
 * every address read back through that patch's own lookup (validrcptto.h):
 * each must give rcptguard's verdict, from rcptguard's real lookup over
 * its own file, wherever the compiler did not warn that it cannot.
 * Addresses are given as qmail-smtpd hands them to the check (after its
 * addrparse), so shapes that only its parser or Postfix's forms decide
 * are not here: quotes and escapes, trailing dots, address literals not
 * written canonically, and a percent hack to a domain of the file. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "recipients.h"
#include "recipients_compile.h"
#include "tap.h"
#include "validrcptto.h"

static char dir[] = "/dev/shm/rg-target-XXXXXX";

struct build {
	int rc;
	char path[300];
	char msgs[16384];       /* everything said on errf */
};

static void compile_for(const char *text, enum compile_target t, bool drop, struct build *b)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *err = fmemopen(b->msgs, sizeof(b->msgs), "w");
	struct compile_src src = { "src.txt", in };
	struct compile_opts o = { 0644, t, drop };
	struct compile_stats st;

	snprintf(b->path, sizeof(b->path), "%s/%s%s.cdb", dir, target_name(t), drop ? "-drop" : "");
	unlink(b->path);
	b->msgs[0] = '\0';
	b->rc = recipients_compile(&src, 1, b->path, &o, &st, err);
	fclose(in);
	fclose(err);
	/* One TAP line per check: the messages on one line. */
	for (char *p = b->msgs; (p = strchr(p, '\n')); )
		*p = ' ';
}

/* Did the compiler say this (printf-style)? */
static bool said(const struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool said(const struct build *b, const char *fmt, ...)
{
	char want[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return strstr(b->msgs, want) != NULL;
}

static const char *answer_name(enum vrt_answer a)
{
	return a == VRT_ACCEPT ? "accept" : a == VRT_REFUSE ? "refuse" : a == VRT_NONE ? "none" :
	       "error";
}

struct tally {
	int compared, differ, unsafe, excused, limit;
	const char *name;
};

static void differs(struct tally *t, const char *addr, enum rcpt_verdict v, enum vrt_answer got)
{
	static int shown;

	t->differ++;
	if (shown++ < 8)
		printf("# %s: %.80s: rcptguard %s, the patch %s\n", t->name, addr,
		       rcpt_verdict_name(v), answer_name(got));
}

/* Everything for one source: its builds, and counts per reader. */
struct run {
	struct build rg, sag, drop, strict;
	struct recipients *r;
	int fd_rg, fd_sag, fd_drop, fd_strict;
	struct tally jms1, sagredo, v2006, v2006_strict;
};

static int run_open(struct run *x, const char *source)
{
	char err[1024];

	compile_for(source, TARGET_RCPTGUARD, false, &x->rg);
	compile_for(source, TARGET_SAGREDO, false, &x->sag);
	compile_for(source, TARGET_VALIDRCPTTO_2006, true, &x->drop);
	compile_for(source, TARGET_VALIDRCPTTO_2006, false, &x->strict);
	if (x->rg.rc || x->sag.rc || x->drop.rc) {
		printf("# does not compile: %s%s%s\n", x->rg.msgs, x->sag.msgs, x->drop.msgs);
		return -1;
	}
	if (!(x->r = recipients_open(x->rg.path, err, sizeof(err)))) {
		printf("# %s\n", err);
		return -1;
	}
	x->fd_rg = open(x->rg.path, O_RDONLY);
	x->fd_sag = open(x->sag.path, O_RDONLY);
	x->fd_drop = open(x->drop.path, O_RDONLY);
	x->fd_strict = x->strict.rc == 0 ? open(x->strict.path, O_RDONLY) : -1;
	x->jms1.name = "jms1 7.08 on --for rcptguard";
	x->sagredo.name = "sagredo on --for sagredo";
	x->v2006.name = "2006 on --for validrcptto-2006 --drop-negative";
	x->v2006_strict.name = "2006 on --for validrcptto-2006";
	return 0;
}

static void run_close(struct run *x)
{
	recipients_close(x->r);
	close(x->fd_rg);
	close(x->fd_sag);
	close(x->fd_drop);
	if (x->fd_strict >= 0)
		close(x->fd_strict);
}

static void lower(const char *in, char *out, size_t size)
{
	size_t i = 0;

	for (; in[i] && i < size - 1; i++)
		out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] + 32) : in[i];
	out[i] = '\0';
}

/* The patches' own reading: ASCII case, no percent hack, no delimiter. */
static const struct rcpt_form as_qmail = { .postfix = false };

/* One address through every reader. */
static void judge(struct run *x, const char *addr)
{
	char key[RCPT_MAX + 16], la[2048], entry[RCPT_MAX + 20], dom_key[RCPT_MAX + 8];
	enum rcpt_verdict v = recipients_lookup(x->r, addr, &as_qmail, key, sizeof(key));
	bool decided = v == RCPT_VALID || v == RCPT_UNKNOWN || v == RCPT_NEGATIVE;
	enum vrt_answer want = v == RCPT_VALID ? VRT_ACCEPT : VRT_REFUSE, got;
	const char *at;

	lower(addr, la, sizeof(la));
	at = strrchr(la, '@');
	/* The deciding entry as the source writes it. */
	snprintf(entry, sizeof(entry), "%s%s", v == RCPT_NEGATIVE ? "-" : "", key);

	/* jms1's 7.08 reads rcptguard's own file: exactly, everywhere. */
	got = vrt_jms1_708(x->fd_rg, addr);
	if (decided) {
		x->jms1.compared++;
		if (got != want)
			differs(&x->jms1, addr, v, got);
	}

	/* sagredo: a domain rcptguard does not judge gets no answer. */
	got = vrt_sagredo(x->fd_sag, addr);
	if (v == RCPT_VALID && got == VRT_REFUSE)
		x->sagredo.unsafe++;
	if (v == RCPT_NOT_OURS) {
		x->sagredo.compared++;
		if (got != VRT_NONE)
			differs(&x->sagredo, addr, v, got);
	} else if (decided) {
		snprintf(dom_key, sizeof(dom_key), "-%s", at ? at : "");
		/* What the compiler said it cannot write. */
		if (said(&x->sag, "address <%s>:", la) ||
		    said(&x->sag, "entry %s:", entry) ||
		    (at && strcmp(key, la) != 0 && said(&x->sag, "no -@%s key", at + 1))) {
			x->sagredo.excused++;
		} else if (strcmp(la, dom_key) == 0 && got == VRT_ACCEPT && want == VRT_REFUSE) {
			/* "-@domain": sagredo's key for refusing the rest of the
			 * domain is also this address's own (docs/qmail.md). */
			x->sagredo.limit++;
		} else {
			x->sagredo.compared++;
			if (got != want)
				differs(&x->sagredo, addr, v, got);
		}
	}

	/* The 2006 patch, negative entries left out where they mattered. */
	got = vrt_2006(x->fd_drop, addr);
	if (v == RCPT_VALID && got != VRT_ACCEPT)
		x->v2006.unsafe++;
	if (decided) {
		if (v == RCPT_NEGATIVE && said(&x->drop, "entry %s left out", entry)) {
			x->v2006.excused++;
		} else {
			x->v2006.compared++;
			if (got != want)
				differs(&x->v2006, addr, v, got);
		}
	}
	/* Without --drop-negative: written only when it is exact. */
	if (x->fd_strict >= 0 && decided) {
		got = vrt_2006(x->fd_strict, addr);
		x->v2006_strict.compared++;
		if (got != want)
			differs(&x->v2006_strict, addr, v, got);
	}
}

static void add_tally(struct tally *sum, const struct tally *t)
{
	sum->compared += t->compared;
	sum->differ += t->differ;
	sum->unsafe += t->unsafe;
	sum->excused += t->excused;
	sum->limit += t->limit;
}

/* The fixed source: one domain for each way sagredo's file can answer for
 * the addresses no key names (refuse them, accept them, leave them open),
 * an address literal, and a domain of negative entries only. */
static const char source[] =
	"bob@refuse.test\n"
	"Alice@Refuse.Test\n"
	"j\xc3\xb6rg@refuse.test\n"
	"postmaster@refuse.test\n"
	"-old@refuse.test\n"
	"-spam-default@refuse.test\n"
	"--dash@refuse.test\n"
	"@catchall.test\n"
	"-trap@catchall.test\n"
	"-list-spam@catchall.test\n"
	"-bob@catchall.test\n"
	"--bob@catchall.test\n"
	"-spam-default@catchall.test\n"
	"spam-ok-default@catchall.test\n"
	"list@lists.test\n"
	"list-default@lists.test\n"
	"-list-spam@lists.test\n"
	"owner@lists.test\n"
	"bob@[192.0.2.1]\n"
	"-old@[192.0.2.1]\n"
	"-x@negonly.test\n";

static const struct { const char *addr; enum rcpt_verdict v; } table[] = {
	{ "bob@refuse.test", RCPT_VALID }, { "BOB@REFUSE.TEST", RCPT_VALID },
	{ "alice@refuse.test", RCPT_VALID }, { "aLiCe@rEfUsE.tEsT", RCPT_VALID },
	{ "j\xc3\xb6rg@refuse.test", RCPT_VALID }, { "postmaster@refuse.test", RCPT_VALID },
	{ "nobody@refuse.test", RCPT_UNKNOWN }, { "old@refuse.test", RCPT_NEGATIVE },
	{ "OLD@refuse.test", RCPT_NEGATIVE }, { "spam-x@refuse.test", RCPT_NEGATIVE },
	{ "spam-default@refuse.test", RCPT_NEGATIVE }, { "spam@refuse.test", RCPT_UNKNOWN },
	{ "-dash@refuse.test", RCPT_NEGATIVE }, { "dash@refuse.test", RCPT_UNKNOWN },
	{ "@refuse.test", RCPT_UNKNOWN }, { "-@refuse.test", RCPT_UNKNOWN },
	{ "--@refuse.test", RCPT_UNKNOWN }, { "-bob@refuse.test", RCPT_UNKNOWN },
	{ "john smith@refuse.test", RCPT_UNKNOWN }, { "bob@x@refuse.test", RCPT_UNKNOWN },
	{ "bob%elsewhere.invalid@refuse.test", RCPT_UNKNOWN },
	{ "default@refuse.test", RCPT_UNKNOWN }, { "-default@refuse.test", RCPT_UNKNOWN },
	{ "anyone@catchall.test", RCPT_VALID }, { "Anyone@CATCHALL.test", RCPT_VALID },
	{ "@catchall.test", RCPT_VALID }, { "trap@catchall.test", RCPT_NEGATIVE },
	{ "TRAP@catchall.test", RCPT_NEGATIVE }, { "list-spam@catchall.test", RCPT_NEGATIVE },
	{ "bob@catchall.test", RCPT_NEGATIVE }, { "-bob@catchall.test", RCPT_NEGATIVE },
	{ "-trap@catchall.test", RCPT_VALID }, { "spam-x@catchall.test", RCPT_NEGATIVE },
	{ "spam-ok-x@catchall.test", RCPT_VALID }, { "-@catchall.test", RCPT_VALID },
	{ "list@lists.test", RCPT_VALID }, { "list-default@lists.test", RCPT_VALID },
	{ "list-anything@lists.test", RCPT_VALID }, { "LIST-X-Y@lists.test", RCPT_VALID },
	{ "list-spam@lists.test", RCPT_NEGATIVE }, { "-list-spam@lists.test", RCPT_UNKNOWN },
	{ "owner@lists.test", RCPT_VALID }, { "nobody@lists.test", RCPT_UNKNOWN },
	{ "bob@[192.0.2.1]", RCPT_VALID }, { "nobody@[192.0.2.1]", RCPT_UNKNOWN },
	{ "old@[192.0.2.1]", RCPT_NEGATIVE }, { "x@negonly.test", RCPT_NEGATIVE },
	{ "y@negonly.test", RCPT_UNKNOWN }, { "bob@other.test", RCPT_NOT_OURS },
	{ "bob@sub.refuse.test", RCPT_NOT_OURS }, { "bob@[192.0.2.2]", RCPT_NOT_OURS },
};

static void report(const struct tally *t, const char *what)
{
	ok(t->differ == 0 && t->unsafe == 0 && t->compared > 0,
	   "%s: %s: %d addresses give rcptguard's verdict (%d differ, %d valid ones refused; "
	   "%d named in warnings, %d '-@domain')", t->name, what, t->compared, t->differ,
	   t->unsafe, t->excused, t->limit);
}

static void fixed_table(void)
{
	struct run x = { 0 };
	char key[RCPT_MAX + 16];
	int wrong = 0;

	if (run_open(&x, source) < 0) {
		ok(0, "the fixed source compiles for every target");
		return;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		enum rcpt_verdict v = recipients_lookup(x.r, table[i].addr, &as_qmail, key, sizeof(key));

		if (v != table[i].v && wrong++ < 4)
			printf("# %s: %s, the table says %s\n", table[i].addr, rcpt_verdict_name(v),
			       rcpt_verdict_name(table[i].v));
		judge(&x, table[i].addr);
	}
	/* Longer than any key, under a pattern or not (qmail takes 900 bytes). */
	{
		char lng[880];
		int n;

		n = snprintf(lng, sizeof(lng), "list-");
		memset(lng + n, 'a', 700);
		strcpy(lng + n + 700, "-b@lists.test");
		wrong += recipients_lookup(x.r, lng, &as_qmail, key, sizeof(key)) != RCPT_VALID;
		judge(&x, lng);
		memset(lng, '-', 700);
		strcpy(lng + 700, "x@refuse.test");
		wrong += recipients_lookup(x.r, lng, &as_qmail, key, sizeof(key)) != RCPT_UNKNOWN;
		judge(&x, lng);
	}
	ok(wrong == 0, "the table's %zu addresses and two long ones have the verdicts it names "
	   "(%d do not)", sizeof(table) / sizeof(table[0]), wrong);
	report(&x.jms1, "the table");
	report(&x.sagredo, "the table");
	report(&x.v2006, "the table");

	/* What sagredo's file cannot say is named, with the way out. */
	ok(said(&x.sag, "warning: entry list-default@lists.test: sagredo's validrcptto has no "
		"-default lookup") && said(&x.sag, "gets no -@lists.test key") &&
	   said(&x.sag, "entry -spam-default@catchall.test: sagredo") &&
	   said(&x.sag, "address <-bob@catchall.test>: sagredo") &&
	   said(&x.sag, "rcptguard-spp judges what this file cannot (ENABLE_SPP=1 in "
		"qmail-smtpd's environment)") && !said(&x.sag, "refuse.test:"), "sagredo: the patterns and the address it "
	   "cannot express are warned about, naming rcptguard-spp with ENABLE_SPP: %.300s",
	   x.sag.msgs);
	ok(x.sagredo.excused >= 4 && x.sagredo.limit == 1, "sagredo: the warned addresses (%d) and "
	   "-@refuse.test (%d) are the only ones not compared", x.sagredo.excused,
	   x.sagredo.limit);

	/* The 2006 patch: refused, naming the entries and --drop-negative,
	 * and nothing written; the ones no key overrides need none. */
	ok(x.strict.rc < 0 && access(x.strict.path, F_OK) < 0 &&
	   said(&x.strict, "entry -trap@catchall.test: the validrcptto-2006 patch") &&
	   said(&x.strict, "@catchall.test would accept trap@catchall.test; remove the entry, "
		"or give --drop-negative to leave it out") &&
	   !said(&x.strict, "entry -old@refuse.test"),
	   "validrcptto-2006 refuses a negative entry a broader key overrides: %.300s",
	   x.strict.msgs);
	ok(said(&x.drop, "warning: entry -trap@catchall.test left out (--drop-negative)") &&
	   !said(&x.drop, "entry -old@refuse.test"),
	   "with --drop-negative it is left out with a warning: %.300s", x.drop.msgs);
	run_close(&x);

	/* Negative entries that no broader key overrides: the 2006 file
	 * gives exactly rcptguard's verdicts without them. */
	{
		static const char clean[] = "bob@refuse.test\n-old@refuse.test\n"
					    "-spam-default@refuse.test\n-@refuse.test\n"
					    "-x@negonly.test\nbob@[192.0.2.1]\n-old@[192.0.2.1]\n";

		if (run_open(&x, clean) < 0) {
			ok(0, "the clean source compiles");
			return;
		}
		ok(x.strict.rc == 0 && x.strict.msgs[0] == '\0', "validrcptto-2006 takes negative "
		   "entries that need no key, silently %s", x.strict.msgs);
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			judge(&x, table[i].addr);
		report(&x.v2006_strict, "negative entries no key overrides");
		run_close(&x);
	}
}

/* Random sources and addresses from a few pieces, so that keys, patterns,
 * dashes, case and domains collide often. */
static const char *const pieces[] = { "a", "b", "-", "x", "default", "A", "B-", "-default" };
static const char *const doms[] = { "a.test", "b.test", "c.test", "[192.0.2.7]" };

static void local_part(char *out, size_t size)
{
	size_t n = 0;

	for (int k = 1 + rand() % 4; k > 0; k--)
		n += (size_t)snprintf(out + n, size - n, "%s",
				      pieces[rand() % (int)(sizeof(pieces) / sizeof(pieces[0]))]);
}

static void random_source(char *src, size_t size)
{
	size_t n = 0;
	char local[64];

	for (size_t d = 0; d < sizeof(doms) / sizeof(doms[0]); d++) {
		if (rand() % 4 == 0)
			continue;
		if (rand() % 3)
			n += (size_t)snprintf(src + n, size - n, "%s@%s\n",
					      rand() % 2 ? "" : "-", doms[d]);
		for (int k = rand() % 7; k > 0; k--) {
			local_part(local, sizeof(local));
			n += (size_t)snprintf(src + n, size - n, "%s%s%s@%s\n",
					      rand() % 3 ? "" : "-", local,
					      rand() % 3 ? "" : "-default", doms[d]);
		}
	}
	/* Never empty. */
	snprintf(src + n, size - n, "-never@c.test\n");
}

static void random_address(const char *src, char *out, size_t size)
{
	static const char *const more[] = { "other.test", "A.TEST", "B.Test" };
	char local[64];
	int kind = rand() % 4;

	if (kind == 0) {
		/* A line of the source, as an address: a key, or around one. */
		const char *lines[64], *p = src;
		size_t nl = 0, len;

		for (; *p && nl < 64; p = strchr(p, '\n') + 1)
			lines[nl++] = p;
		p = lines[rand() % (int)nl];
		len = (size_t)(strchr(p, '\n') - p);
		snprintf(out, size, "%s%.*s", rand() % 2 ? "" : "-", (int)len, p);
		if (rand() % 2)
			for (char *c = out; *c; c++)
				if (rand() % 2 && *c >= 'a' && *c <= 'z')
					*c = (char)(*c - 32);
		return;
	}
	local_part(local, sizeof(local));
	snprintf(out, size, "%s@%s", kind == 1 ? "" : local,
		 rand() % 5 ? doms[rand() % 4] : more[rand() % 3]);
}

static void property(void)
{
	struct tally jms1 = { .name = "jms1 7.08 on --for rcptguard" };
	struct tally sag = { .name = "sagredo on --for sagredo" };
	struct tally v06 = { .name = "2006 on --for validrcptto-2006 --drop-negative" };
	struct tally strict = { .name = "2006 on --for validrcptto-2006" };
	int sources = 0, refused_right = 0, refused = 0;
	char src[4096], addr[256];

	srand(18);
	for (int s = 0; s < 300; s++) {
		struct run x = { 0 };
		bool left_out;

		random_source(src, sizeof(src));
		if (run_open(&x, src) < 0) {
			ok(0, "a random source compiles: %s", src);
			return;
		}
		sources++;
		for (int a = 0; a < 200; a++) {
			random_address(src, addr, sizeof(addr));
			judge(&x, addr);
		}
		/* Refused without --drop-negative exactly when it left one out. */
		left_out = strstr(x.drop.msgs, "left out (--drop-negative)") != NULL;
		refused += x.strict.rc < 0;
		refused_right += (x.strict.rc < 0) == left_out &&
				 (x.strict.rc == 0 || strstr(x.strict.msgs, "--drop-negative"));
		add_tally(&jms1, &x.jms1);
		add_tally(&sag, &x.sagredo);
		add_tally(&v06, &x.v2006);
		add_tally(&strict, &x.v2006_strict);
		run_close(&x);
	}
	report(&jms1, "random sources");
	report(&sag, "random sources");
	report(&v06, "random sources");
	report(&strict, "random sources");
	ok(refused_right == sources && refused > 0 && refused < sources,
	   "%d random sources: validrcptto-2006 without --drop-negative refused %d, exactly those "
	   "where --drop-negative left an entry out (%d agree)", sources, refused, refused_right);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	fixed_table();
	property();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "cleaned up");
	return tap_done();
}
