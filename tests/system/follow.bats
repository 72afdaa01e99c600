#!/usr/bin/env bats
# The log follower: a multilog-style directory written, rotated and
# truncated while the daemon reads it; positions across restarts.

load lib

setup() {
	setup_net
	LOGDIR=$BATS_TEST_TMPDIR/smtpd
	mkdir -p "$LOGDIR"
	echo "follow = $LOGDIR/current" >> "$CONF"
}

teardown() { teardown_net; }

# stamp: a tai64n label for now, as multilog writes it.
stamp() { printf '@4000000%09x%08x' $(( $(date +%s) + 10 )) 0; }

# reject IP RCPT: one validrcptto (2006) rejection line into current.
reject() { echo "$(stamp) qmail-smtpd: not in validrcptto: $2 at $1" >> "$LOGDIR/current"; }

# rotate: what multilog does when current is full.
rotate() {
	mv "$LOGDIR/current" "$LOGDIR/$(stamp).s"
	: > "$LOGDIR/current"
}

# metric NAME: its value from rcptguard stats.
metric() { rg stats | awk -v m="$1" '$1 == m { print $2 }'; }

wait_for() {
	local i
	for i in $(seq 60); do eval "$1" && return 0; sleep 0.05; done
	eval "$1"
}

banned() { rg list | grep -q "^$1 "; }

@test "rejections in a followed log ban the client, across a rotation and split writes" {
	: > "$LOGDIR/current"
	start_daemon
	grep -q "event=follow path=$LOGDIR/current from=end" "$DLOG"
	reject 192.0.2.30 a1@example.com
	reject 192.0.2.30 a2@example.com
	rotate
	reject 192.0.2.30 a3@example.com
	# A line written in two pieces counts once, when it is whole.
	printf '%s qmail-smtpd: not in valid' "$(stamp)" >> "$LOGDIR/current"
	sleep 0.2
	printf 'rcptto: a4@example.com at 192.0.2.30\n' >> "$LOGDIR/current"
	wait_for '[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 4 ]'
	! banned 192.0.2.30
	reject 192.0.2.30 a5@example.com
	wait_for 'banned 192.0.2.30'
	grep -q 'event=ban address=192.0.2.30 reason=unknown-recipient .* evidence=unknown-recipient source=log format=validrcptto' "$DLOG"
	[ "$(metric rcptguard_log_rotations_total)" = 1 ]
	run mail_from_client 10.77.1.1
	assert_success
}

@test "a ban from the log drops the client's SYNs" {
	: > "$LOGDIR/current"
	start_daemon
	for i in 1 2 3 4 5; do
		echo "$(stamp) CHKUSER rejected rcpt: from <s@x.example::> remote <x.example:h.x.example:10.77.1.2> rcpt <n$i@example.com> : not existing recipient" >> "$LOGDIR/current"
	done
	wait_for 'banned 10.77.1.2'
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "a restart in the middle of a file reads no line twice and misses none" {
	: > "$LOGDIR/current"
	start_daemon
	reject 192.0.2.31 a1@example.com
	reject 192.0.2.31 a2@example.com
	wait_for '[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 2 ]'
	stop_daemon
	grep -q "^follow 1$" "$STATE/follow"
	# Written while the daemon is down, one of them across a rotation.
	reject 192.0.2.31 a3@example.com
	rotate
	reject 192.0.2.31 a4@example.com
	start_daemon
	grep -q "event=follow path=$LOGDIR/current from=saved_position" "$DLOG"
	wait_for '[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 2 ]'
	sleep 0.3
	[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 2 ]
	[ "$(metric rcptguard_log_lines_total)" = 2 ]
}

@test "a log that does not exist yet is read from its start once it appears; truncation restarts it" {
	rmdir "$LOGDIR"
	start_daemon
	grep -q "event=follow path=$LOGDIR/current from=start_when_created" "$DLOG"
	mkdir -p "$LOGDIR"
	reject 192.0.2.32 a1@example.com
	reject 192.0.2.32 a2@example.com
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 2 ]'
	: > "$LOGDIR/current"
	reject 192.0.2.32 a3@example.com
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 3 ]'
	[ "$(metric rcptguard_log_truncations_total)" = 1 ]
}

@test "garbage is ignored, malformed rejections are counted, sagredo's double lines count once" {
	: > "$LOGDIR/current"
	start_daemon
	cat "$TOP/tests/fixtures/logs/garbage.log" >> "$LOGDIR/current"
	cat "$TOP/tests/fixtures/logs/sagredo.log" >> "$LOGDIR/current"
	cat "$TOP/tests/fixtures/logs/rblsmtpd.log" >> "$LOGDIR/current"
	head -c 70000 /dev/zero | tr '\0' x >> "$LOGDIR/current"
	echo >> "$LOGDIR/current"
	wait_for '[ "$(metric rcptguard_log_events_total{kind=\"dnsbl\"})" = 1 ]'
	[ "$(metric rcptguard_log_events_total{kind=\"malformed\"})" = 2 ]
	[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 2 ]
	[ "$(metric rcptguard_log_duplicates_total)" = 2 ]
	[ "$(metric rcptguard_log_long_lines_total)" = 1 ]
	kill -0 $DPID
}

@test "a followed log that others can write is a warning at start and in status" {
	: > "$LOGDIR/current"
	chmod 0620 "$LOGDIR/current"
	start_daemon
	grep -q "event=follow_unsafe path=$LOGDIR/current why=\"is writable by its group" "$DLOG"
	run -0 rg status
	assert_line --partial "warning:   followed log $LOGDIR/current is writable by its group"
	chmod 0644 "$LOGDIR/current"
	echo "Nov 29 10:00:01 mx qmail-smtpd[1]: validrcptto [192.0.2.9] not found: a@b" >> "$LOGDIR/current"
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 1 ]'
	run -0 rg status
	assert_line --partial "has lines without multilog's stamp"
}
