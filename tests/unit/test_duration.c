/* test_duration.c - ban durations in and out. */
#include <string.h>
#include "duration.h"
#include "tap.h"

static void good(const char *in, uint64_t want)
{
	uint64_t got = 99;
	char err[128] = "";

	ok(duration_parse(in, &got, err, sizeof(err)) == 0 && got == want,
	   "'%s' is %llu s %s", in, (unsigned long long)got, err);
}

static void bad(const char *in)
{
	uint64_t got;
	char err[128] = "";

	ok(duration_parse(in, &got, err, sizeof(err)) < 0 && *err, "'%s' refused: %s", in, err);
}

static void fmt(uint64_t secs, const char *want)
{
	char buf[32];

	duration_format(secs, buf, sizeof(buf));
	ok(strcmp(buf, want) == 0, "%llu s prints as %s (%s)", (unsigned long long)secs, want, buf);
}

int main(void)
{
	good("30s", 30);
	good("10m", 600);
	good("1h", 3600);
	good("7d", 604800);
	good("2w", 1209600);
	good("1h30m", 5400);
	good("90", 90);
	good("permanent", 0);
	bad("");
	bad("h");
	bad("10x");
	bad("-5m");
	bad("1.5h");
	bad("0s");
	bad("10m5");
	bad("99999999999999999999d");
	bad("4000d");
	bad("permanently");
	bad("0");
	bad("00");
	bad("0m0s");
	{
		uint64_t before = mono_ns(), far = duration_expiry_ns(UINT64_MAX);

		ok(duration_expiry_ns(0) == 0, "no expiry for a permanent ban");
		ok(far > before && far <= mono_ns() + DURATION_MAX_SECS * 1000000000ULL,
		   "an expiry is capped at ten years, never wrapped");
	}
	fmt(0, "0s");
	fmt(45, "45s");
	fmt(570, "9m30s");
	fmt(7500, "2h05m");
	fmt(601200, "6d23h");
	return tap_done();
}
