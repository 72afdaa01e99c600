# lib.sh - what the benchmark scripts share (sourced).
#
# record KEY VALUE UNIT TEXT: one figure for the report. Appended to
# $RG_RESULTS (tab-separated) when run.sh collects them; tests/bench/
# report.sh turns the file into bench-results/report.{md,json}.
record() {
	[ -n "${RG_RESULTS:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RG_RESULTS"
}


# ban_state N: a state file with N bans for an hour: 10.88.0.2 (the
# floods' source) and 10.100.0.1 upwards.
ban_state() {
	now=$(date +%s)
	awk -v n="$1" -v until=$((now + 3600)) -v now="$now" 'BEGIN {
		print "rcptguard-state 1"; print "saved " now
		print "ban 10.88.0.2 " until " 1 -"
		for (i = 1; i < n; i++)
			printf "ban 10.%d.%d.%d %d 1 -\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, until
		print "end " n " 0" }'
}

# wait_log FILE PATTERN: until a line matches (10 minutes at most); prints
# the seconds waited.
wait_log() {
	t0=$(date +%s.%N)
	i=0
	until grep -q "$2" "$1" 2>/dev/null || [ $i -gt 60000 ]; do sleep 0.01; i=$((i + 1)); done
	echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }'
}
