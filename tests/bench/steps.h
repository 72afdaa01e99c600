/* steps.h - the steps bench_steps.c times (steps.bpf.c). */
#ifndef RG_BENCH_STEPS_H
#define RG_BENCH_STEPS_H

enum rg_step {
	STEP_FLOOR,             /* read the key only: the loop's own cost */
	STEP_PREFILTER,         /* the IPv4 prefilter's bit only */
	STEP_EXACT,             /* exact-ban lookup as the program makes it:
	                           prefilter, then bans_v4 (4-byte key) */
	STEP_EXACT4,            /* bans_v4 without the prefilter */
	STEP_EXACT16,           /* the same bans in a hash with 16-byte keys,
	                           as all exact bans were before bans_v4 */
	STEP_EXACT_COUNT,       /* the same and the per-ban counters of a hit */
	STEP_PREFIX,            /* prefix-ban LPM trie lookup */
	STEP_ALLOW,             /* both allow lookups */
	STEP_JUDGE,             /* the whole chain and the counters: a packet's lookups */
	STEP_MAX
};

#endif
