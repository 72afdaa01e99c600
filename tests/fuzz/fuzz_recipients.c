/* fuzz_recipients.c - recipient sources compiled to a CDB (first byte
 * even), and any file opened as the recipients CDB (odd): a corrupt
 * database must be refused or answered from, never crash; the structure
 * check runs on the same bytes in memory too. The input is also an
 * address: normalised into exactly the buffer recipients.h promises is
 * enough, and looked up. */
#include "cdb_load.h"
#include "fuzz.h"
#include "recipients.h"
#include "recipients_compile.h"

/* Postfix's way (folding, routing as its resolver, a delimiter set with
 * '-'), Postfix's without its routing, and qmail's. */
static const struct rcpt_form forms[] = {
	{ .postfix = true, .percent_hack = true, .swap_bangpath = true, .resolve_dequoted = true,
	  .delimiters = "+-" },
	{ .postfix = true },
	{ .percent_hack = true },
};

static void lookups(const char *path, const char *addr)
{
	static const char *const addrs[] = { "bob@example.com", "a-b-c@example.com",
					     "x@example.org", "nodomain", "",
					     "STRASSE+x@example.com",
					     "J\xc3\x96RG%example.com@example.com",
					     "bob%example.com%example.com.@example.com",
					     "example.com!bob@example.com",
					     "bob@example.com@example.com", "bob%@example.com",
					     "bob%[127.0.0.1]@\xe2\x84\xaa" };
	char err[512], key[512];
	struct recipients *r = recipients_open(path, err, sizeof(err));

	if (!r)
		return;
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
			recipients_lookup(r, addrs[i], &forms[f], key, sizeof(key));
		recipients_lookup(r, addr, &forms[f], key, sizeof(key));
	}
	recipients_domains(r);
	recipients_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char path[128];
	FILE *f, *null;
	struct compile_stats st;
	char *addr, *norm;

	if (n < 1 || !(addr = fuzz_str(d + 1, n - 1)))
		return 0;
	/* On the heap, so ASan sees a byte written past it. */
	if ((norm = malloc(RCPT_INPUT_MAX + 1)))
		rcpt_normalise(addr, norm);
	free(norm);
	snprintf(path, sizeof(path), "%s/recipients.cdb", fuzz_dir());
	if (d[0] & 1) {
		char why[256];
		size_t records;

		cdb_check(d + 1, n - 1, &records, why, sizeof(why));
		if (fuzz_file(path, d + 1, n - 1) == 0)
			lookups(path, addr);
		free(addr);
		return 0;
	}
	if (!(f = fmemopen((void *)(d + 1), n - 1 ? n - 1 : 1, "r"))) {
		free(addr);
		return 0;
	}
	null = fopen("/dev/null", "w");
	struct compile_src src = { "fuzz", f };
	/* Every target's writer; rcptguard's file is the one looked up. */
	struct compile_opts o = { 0644, (enum compile_target)((d[0] >> 2) % 3), d[0] & 2 };
	if (null && recipients_compile(&src, 1, path, &o, &st, null) == 0 &&
	    o.target == TARGET_RCPTGUARD)
		lookups(path, addr);
	free(addr);
	fclose(f);
	if (null)
		fclose(null);
	return 0;
}
