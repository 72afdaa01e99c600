#!/bin/sh
# run.sh - every fuzz harness for FUZZ_TIME seconds, seeded from
# tests/fuzz/corpus/NAME (crash inputs found earlier live there as
# regressions), with its growing corpus under build/fuzz/corpus/NAME.
# TAP output; a crash leaves its input in build/fuzz/crashes/.
set -u
cd "$(dirname "$0")/../.."
B=build
T=${FUZZ_TIME:-60}
n=0
failed=0
mkdir -p "$B/fuzz/crashes"
for bin in "$B"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	n=$((n + 1))
	mkdir -p "$B/fuzz/corpus/$name" "tests/fuzz/corpus/$name"
	log=$B/fuzz/$name.log
	"$bin" -max_total_time="$T" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$B/fuzz/crashes/$name-" \
		"$B/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - fuzz_$name: ${runs:-?} runs in ${T}s, no crash"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$name crashed (exit $rc); input in $B/fuzz/crashes/"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -5 | sed 's/^/# /'
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
