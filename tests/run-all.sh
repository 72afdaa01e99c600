#!/bin/sh
# run-all.sh - every test suite, TAP output, one final "N passed, N failed"
# line counting all suites. Exit status is non-zero if anything failed.
# T picks suites by name: unit/test_offenders, unit (every unit test),
# bpf/packets, bpf/random, bench, fuzz, system/nft.bats, system; F is a
# bats -f pattern for the system suites picked (make test T=... F=...).
set -u
cd "$(dirname "$0")/.."
B=build
T=${T:-}
F=${F:-}
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# want NAME: is the suite called NAME picked by T?
want() {
	[ -z "$T" ] || [ "$1" = "$T" ] || case $1 in "$T"/*) true ;; *) false ;; esac
}

# suite NAME CMD...: run one TAP producer, tally its ok/not ok lines.
suite() {
	name=$1
	shift
	want "$name" || return 0
	echo "== $name"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -a -c '^ok ' "$out")
	f=$(grep -a -c '^not ok ' "$out")
	# A crash or a bail-out that printed no failing line still fails.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in "$B"/tests/test_*; do
	suite "unit/$(basename "$t")" "$t"
done
suite bpf/packets "$B/tests/bpf_packets"
suite bpf/random "$B/tests/bpf_random"
suite bench env QUICK=1 sh tests/bench/run.sh
suite fuzz env FUZZ_TIME=3 sh tests/fuzz/run.sh
for f in tests/system/*.bats; do
	case $f in */enforce.bats | */sessions.bats | */journal.bats | */rst.bats) continue ;; esac
	suite "system/$(basename "$f")" bats --formatter tap ${F:+-f "$F"} "$f"
done
# The same enforcement tests against every backend.
for be in xdp nft; do
	for f in enforce sessions journal rst; do
		want "system/$f.bats" && echo "== RG_BACKEND=$be"
		suite "system/$f.bats" env RG_BACKEND=$be bats --formatter tap ${F:+-f "$F"} \
			"tests/system/$f.bats"
	done
done
[ -n "$T" ] && [ $((passed + failed)) -eq 0 ] && { echo "run-all.sh: no suite '$T'" >&2; failed=1; }

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
