/* steps.h - the steps bench_steps.c times (steps.bpf.c). */
#ifndef RG_BENCH_STEPS_H
#define RG_BENCH_STEPS_H

enum rg_step {
	STEP_FLOOR,             /* read the key only: the loop's own cost */
	STEP_PREFILTER,         /* the IPv4 ban prefilter's bit only */
	STEP_EXACT,             /* exact-ban lookup, IPv4 in bans_v4 (4-byte key) */
	STEP_EXACT16,           /* the same bans in a hash with 16-byte keys,
	                           as all exact bans were before bans_v4 */
	STEP_PREFIX,            /* prefix-ban LPM trie lookup */
	STEP_ALLOW,             /* both allow lookups */
	/* The chain as the program runs it, cut after each step: the
	 * differences are each step's cost in place, where the steps before
	 * it have pushed its data out of the caches. */
	STEP_CHAIN_EXACT,       /* exact ban and its expiry */
	STEP_CHAIN_PREFIX,      /* then the prefix ban when no exact one is live */
	STEP_CHAIN_ALLOW,       /* then the allow entries when a ban matched */
	STEP_JUDGE,             /* then the ban's counters: a packet's lookups */
	STEP_MAX
};

#endif
