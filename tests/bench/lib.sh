# lib.sh - what the benchmark scripts share (sourced).
#
# record KEY VALUE UNIT TEXT: one figure for the report. Appended to
# $RG_RESULTS (tab-separated) when run.sh collects them; tests/bench/
# report.sh turns the file into bench-results/report.{md,json}.
record() {
	[ -n "${RG_RESULTS:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RG_RESULTS"
}

