#!/bin/sh
# run-all.sh - every test suite, TAP output, one final "N passed, N failed"
# line counting all suites. Exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
B=build
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# suite NAME CMD...: run one TAP producer, tally its ok/not ok lines.
suite() {
	name=$1
	shift
	echo "== $name"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	# A crash or a bail-out that printed no failing line still fails.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in "$B"/tests/test_*; do
	suite "unit $(basename "$t")" "$t"
done
suite "bpf packets" "$B/tests/bpf_packets"
suite "bpf random frames" "$B/tests/bpf_random"
suite "bench quick" env QUICK=1 sh tests/bench/run.sh
suite "fuzz quick" env FUZZ_TIME=3 sh tests/fuzz/run.sh
for f in tests/system/*.bats; do
	case $f in */enforce.bats | */journal.bats) continue ;; esac
	suite "system $(basename "$f")" bats --formatter tap "$f"
done
# The same enforcement tests against every backend.
for be in xdp nft; do
	for f in enforce journal; do
		suite "system $f.bats ($be)" env RG_BACKEND=$be bats --formatter tap \
			tests/system/$f.bats
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
