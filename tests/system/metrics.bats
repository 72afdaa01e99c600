#!/usr/bin/env bats
# What an operator's tools read: --version, the metrics (promtool, on every
# backend), the metrics_textfile, and the Grafana dashboard's queries
# against the daemon's real output.

load lib

setup() {
	setup_net
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	LOG=$BATS_TEST_TMPDIR/maillog
	: > "$LOG"
	# A DNSBL nobody answers: its families appear, no lookup waits on it.
	cat >> "$CONF" <<-EOF
	recipients = $BATS_TEST_TMPDIR/r.cdb
	follow = $LOG
	follow = $BATS_TEST_TMPDIR/later/maillog
	dnsbl = bl.test
	dns_server = 127.0.0.1:9
	metrics_textfile = $BATS_TEST_TMPDIR/rcptguard.prom
	metrics_interval = 1h
	EOF
	PROM=$BATS_TEST_TMPDIR/rcptguard.prom
}

teardown() {
	teardown_net
}

spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt <&-
}

# Five unknown recipients ban 10.77.1.2; its SYNs to port 25 then drop.
ban_and_drop() {
	for i in 1 2 3 4 5; do spp 10.77.1.2 "x$i@example.com" >/dev/null; done
	run -0 rg list
	assert_line --regexp '^10\.77\.1\.2 +unknown-recipient '
	mail_from_client 10.77.1.1 || true
}

# The value of one sample (NAME or NAME{LABELS}) in the file $1.
sample() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

promtool_ok() {
	run -0 promtool check metrics < "$1"
	assert_output ""
}

version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")

@test "--version: each program prints the Makefile's VERSION and the commit it was built from" {
	[ -n "$version" ]
	commit=$(git -C "$TOP" rev-parse --short=12 HEAD)
	for p in rcptguardd rcptguard rcptguard-spp; do
		run -0 "$B/$p" --version
		assert_output --regexp "^$p ${version//./\\.} \(git [^ ]*${commit}[^ ]*\)$"
	done
	run -0 "$B/rcptguardd" -V
	assert_output --regexp "^rcptguardd ${version//./\\.} "
}

@test "--version: a build from a tarball (no .git) prints the version alone" {
	src=$BATS_TEST_TMPDIR/src
	mkdir "$src"
	tar -C "$TOP" -c Makefile bpf daemon cli | tar -x -C "$src"
	run -0 make -s -C "$src" build/rcptguard-spp
	run -0 "$src/build/rcptguard-spp" --version
	assert_output "rcptguard-spp $version"
	# A packager names the commit by hand.
	rm -rf "$src/build"
	run -0 make -s -C "$src" build/rcptguard-spp GIT_COMMIT=abc123
	run -0 "$src/build/rcptguard-spp" --version
	assert_output "rcptguard-spp $version (git abc123)"
}

@test "status prints the daemon's version" {
	start_daemon
	run -0 rg status
	assert_line --regexp "^version: +${version//./\\.}( \(git .*\))?$"
}

@test "xdp: promtool passes stats --prometheus and the textfile; families are named for what they count" {
	check_metrics xdp
}

@test "nft: promtool passes stats --prometheus and the textfile; families are named for what they count" {
	check_metrics nft
}

@test "none: promtool passes stats --prometheus and the textfile; families are named for what they count" {
	check_metrics none
}

check_metrics() {
	echo "backend = $1" >> "$CONF"
	start_daemon
	ban_and_drop
	rg stats --prometheus > "$BATS_TEST_TMPDIR/stats.prom"
	promtool_ok "$BATS_TEST_TMPDIR/stats.prom"
	# Written once at start: an hour's interval has not passed.
	promtool_ok "$PROM"
	p=$BATS_TEST_TMPDIR/stats.prom
	# Every family has its HELP and TYPE.
	[ "$(grep -c '^# HELP ' "$p")" -eq "$(grep -c '^# TYPE ' "$p")" ]
	[ "$(grep -c '^# TYPE ' "$p")" -ge 40 ]
	run -0 grep -c "^rcptguard_build_info{version=\"$version\",commit=\"[^\"]*\",backend=\"$1\"} 1$" "$p"
	case $1 in
	xdp) mode=native ;;
	nft) mode=ingress ;;
	none) mode=log-only ;;
	esac
	[ "$(sample "$p" "rcptguard_backend_info{backend=\"$1\",mode=\"$mode\"}")" = 1 ]
	start=$(sample "$p" rcptguard_start_time_seconds)
	[ "$start" -le "$(date +%s)" ]
	[ "$start" -ge $(( $(date +%s) - 60 )) ]
	[ "$(sample "$p" "rcptguard_log_file_state{file=\"$LOG\",state=\"following\"}")" = 1 ]
	[ "$(sample "$p" "rcptguard_log_file_state{file=\"$BATS_TEST_TMPDIR/later/maillog\",state=\"missing\"}")" = 1 ]
	[ "$(sample "$p" 'rcptguard_bans_total{reason="unknown-recipient"}')" = 1 ]
	[ "$(sample "$p" rcptguard_ban_reaction_seconds_count)" = 1 ]
	[ "$(sample "$p" 'rcptguard_ban_reaction_seconds_bucket{le="+Inf"}')" = 1 ]
	grep -q '^# TYPE rcptguard_ban_reaction_seconds histogram$' "$p"
	grep -q '^# TYPE rcptguard_bandwidth_saved_estimated_bytes_total counter$' "$p"
	# No family is named for one backend.
	run -1 grep -q '^rcptguard_xdp' "$p"
	dropped=$(sample "$p" rcptguard_dropped_packets_total)
	case $1 in
	xdp)
		[ "$dropped" -ge 1 ]
		[ "$(sample "$p" 'rcptguard_filter_packets_total{counter="drop_exact"}')" = "$dropped" ]
		[ "$(sample "$p" 'rcptguard_filter_packets_total{counter="inspected"}')" -ge "$dropped" ] ;;
	nft)
		[ "$dropped" -ge 1 ]
		[ "$(sample "$p" 'rcptguard_filter_packets_total{counter="drop_exact"}')" = "$dropped" ]
		# nft does not count what it passes: no zero claims it passed nothing.
		run -1 grep -q 'counter="inspected"' "$p" ;;
	none)
		[ "$dropped" = 0 ]
		run -1 grep -q '^rcptguard_filter_' "$p" ;;
	esac
	[ "$(sample "$p" rcptguard_bandwidth_saved_estimated_bytes_total)" = \
	  $(( 2 * $(sample "$p" rcptguard_dropped_bytes_total) )) ]
}

@test "the textfile is written at start, and a reload moves it and changes its interval" {
	start_daemon
	[ -s "$PROM" ]
	grep -q '^rcptguard_start_time_seconds ' "$PROM"
	other=$BATS_TEST_TMPDIR/other.prom
	sed -i "s|^metrics_textfile = .*|metrics_textfile = $other|" "$CONF"
	run -0 rg reload
	assert_line "changed: metrics_textfile"
	refute_output --partial "needs restart"
	# Written at once; the old file is gone, or node_exporter reads both.
	[ -s "$other" ]
	[ ! -e "$PROM" ]
	grep -q "event=metrics_textfile removed=$PROM " "$DLOG"
	# A shorter interval is taken too: the file follows a new verdict.
	sed -i 's/^metrics_interval = .*/metrics_interval = 1s/' "$CONF"
	run -0 rg reload
	assert_line "changed: metrics_interval"
	spp 10.77.1.2 bob@example.com >/dev/null
	for i in $(seq 40); do
		[ "$(sample "$other" 'rcptguard_verdicts_total{verdict="valid"}')" = 1 ] && break
		sleep 0.1
	done
	[ "$(sample "$other" 'rcptguard_verdicts_total{verdict="valid"}')" = 1 ]
	# No file at all: the timer stops.
	sed -i '/^metrics_textfile = /d' "$CONF"
	run -0 rg reload
	assert_line "changed: metrics_textfile"
	[ ! -e "$other" ]
}

@test "the follower's state per file: missing, then following; a file that is no regular file is an error" {
	start_daemon
	later=$BATS_TEST_TMPDIR/later/maillog
	state() {
		rg stats --prometheus | awk -v f="$1" -F'[{}]' \
			'$1 == "rcptguard_log_file_state" && index($2, "file=\"" f "\"") && / 1$/ {
				sub(/.*state="/, "", $2); sub(/".*/, "", $2); print $2 }'
	}
	[ "$(state "$later")" = missing ]
	mkdir "$(dirname "$later")"
	: > "$later"
	for i in $(seq 40); do [ "$(state "$later")" = following ] && break; sleep 0.1; done
	[ "$(state "$later")" = following ]
	rm "$later"
	mkfifo "$later"
	for i in $(seq 40); do [ "$(state "$later")" = error ] && break; sleep 0.1; done
	[ "$(state "$later")" = error ]
	[ "$(state "$LOG")" = following ]
}

@test "every metric and label the Grafana dashboard queries is in the daemon's output" {
	dash=$TOP/conf/grafana-rcptguard.json
	run -0 jq -e '.panels | length > 0' "$dash"
	echo "backend = xdp" >> "$CONF"
	start_daemon
	ban_and_drop
	rg stats --prometheus > "$BATS_TEST_TMPDIR/out.prom"
	# Every selector: NAME, or NAME{label="value",...} with exact matchers.
	jq -r '.. | objects | (.expr?, .definition?) | strings' "$dash" |
		grep -oE 'rcptguard_[a-z_]+(\{[^}]*\})?' | sort -u > "$BATS_TEST_TMPDIR/selectors"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/selectors")" -ge 8 ]
	while read -r sel; do
		name=${sel%%\{*}
		grep -q "^$name[{ ]" "$BATS_TEST_TMPDIR/out.prom" || { echo "no metric $name"; false; }
		[ "$name" = "$sel" ] && continue
		matchers=${sel#*\{}
		for m in $(echo "${matchers%\}}" | grep -oE '[a-z_]+="[^"]*"'); do
			grep -q "^$name{.*$m" "$BATS_TEST_TMPDIR/out.prom" ||
				{ echo "no sample of $name with $m"; false; }
		done
	done < "$BATS_TEST_TMPDIR/selectors"
}
