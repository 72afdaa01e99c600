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

teardown() {
	teardown_net
	[ -z "${SVC:-}" ] || rm -rf "$SVC"
}

# stamp [AGO]: a tai64n label for now (or AGO seconds ago), as multilog writes it.
stamp() { printf '@4000000%09x%08x' $(( $(date +%s) - ${1:-0} + 10 )) 0; }

# reject IP RCPT [AGO]: one validrcptto (2006) rejection line into current.
reject() { echo "$(stamp "${3:-0}") qmail-smtpd: not in validrcptto: $2 at $1" >> "$LOGDIR/current"; }

# rotate: what multilog does when current is full (names sort by age).
rotate() {
	ROTATIONS=$(( ${ROTATIONS:-0} + 1 ))
	mv "$LOGDIR/current" "$LOGDIR/$(stamp | cut -c1-17)$(printf %08x "$ROTATIONS").s"
	: > "$LOGDIR/current"
}

# as_rcptguard: the daemon drops to user rcptguard (as root, permissions
# do not apply), with its state and the log where that user can reach.
as_rcptguard() {
	getent passwd rcptguard >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rcptguard
	SVC=$(mktemp -d /tmp/rgt-follow.XXXXXX)
	chmod 755 "$SVC"
	LOGDIR=$SVC/smtpd
	STATE=$SVC/state
	mkdir -p "$LOGDIR"
	sed -i -e '/^user = root$/d' -e "s|^state_dir = .*|state_dir = $STATE|" \
		-e "s|^follow = .*|follow = $LOGDIR/current|" "$CONF"
	cp "$CONF" "$SVC/rcptguard.conf"
	CONF=$SVC/rcptguard.conf
	chmod 644 "$CONF"
}

# offender IP FIELD: a field of what the daemon knows about IP.
offender() { rg show "$1" --json | jq -r ".offender.$2 // empty"; }

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
	grep -q "event=follow path=$LOGDIR/current from=end wakeup=inotify" "$DLOG"
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
	grep -q "event=follow path=$LOGDIR/current from=start_when_created wakeup=poll_1s note=\"inotify once $LOGDIR exists\"" "$DLOG"
	mkdir -p "$LOGDIR"
	wait_for 'grep -q "event=follow_wakeup path=$LOGDIR/current wakeup=inotify" "$DLOG"'
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
	# The fixtures' stamps are old: history. Written now, they are today's.
	cat "$TOP/tests/fixtures/logs/garbage.log" >> "$LOGDIR/current"
	sed "s/^@[0-9a-f]\{24\}/$(stamp)/" "$TOP/tests/fixtures/logs/sagredo.log" \
		"$TOP/tests/fixtures/logs/rblsmtpd.log" >> "$LOGDIR/current"
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

@test "an unreadable followed log is a loud error and in status, tried again; once readable, history bans nobody" {
	as_rcptguard
	: > "$LOGDIR/current"
	chmod 600 "$LOGDIR/current"
	# Found waiting when it becomes readable: two days old, and lines
	# without any stamp (no time of their own): neither is evidence.
	for i in 1 2 3 4 5; do reject 192.0.2.40 h$i@example.com 172800; done
	for i in 1 2 3 4 5; do
		echo "qmail-smtpd: not in validrcptto: u$i@example.com at 192.0.2.41" >> "$LOGDIR/current"
	done
	# Written a minute ago: fresh, it counts.
	for i in 1 2 3 4; do reject 192.0.2.42 f$i@example.com 60; done
	start_daemon
	grep -q "level=error event=follow_error file=$LOGDIR/current error=\"Permission denied\" fix=\"let user rcptguard read the file" "$DLOG"
	run -0 rg status
	assert_line "error:     followed log $LOGDIR/current: Permission denied (tried again every second; see the daemon's follow_error line for the fix)"
	sleep 1.5
	[ "$(grep -c 'event=follow_error' "$DLOG")" = 1 ]
	chmod 644 "$LOGDIR/current"
	wait_for 'grep -q "event=follow_readable file=$LOGDIR/current" "$DLOG"'
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 14 ]'
	[ "$(metric rcptguard_log_history_lines_total)" = 10 ]
	[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 4 ]
	run -0 rg status
	refute_line --partial "error:"
	reject 192.0.2.42 f5@example.com
	wait_for 'banned 192.0.2.42'
	! banned 192.0.2.40
	! banned 192.0.2.41
	# Read live, a line without a stamp counts as now.
	for i in 1 2 3 4 5; do
		echo "qmail-smtpd: not in validrcptto: u$i@example.com at 192.0.2.44" >> "$LOGDIR/current"
	done
	wait_for 'banned 192.0.2.44'
	! banned 192.0.2.41
}

@test "a directory only searchable (o+x) cannot be watched: the follower logs that it polls, and the fix" {
	as_rcptguard
	: > "$LOGDIR/current"
	chmod 711 "$LOGDIR"
	start_daemon
	grep -q "level=warn event=follow path=$LOGDIR/current from=end wakeup=poll_1s dir=$LOGDIR error=\"Permission denied\" .*fix=\"let user rcptguard read" "$DLOG"
	for i in 1 2 3 4 5; do reject 192.0.2.45 p$i@example.com; done
	wait_for 'banned 192.0.2.45'
	stop_daemon
	chmod 755 "$LOGDIR"
	start_daemon
	grep -q "level=info event=follow path=$LOGDIR/current from=saved_position wakeup=inotify" "$DLOG"
}

@test "three rotations while the daemon is down: every line is judged once, in order" {
	: > "$LOGDIR/current"
	start_daemon
	reject 192.0.2.50 s0@example.com
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 1 ]'
	stop_daemon
	# Client N's last line is in file N: each client's last recipient
	# shows that file N was read after the ones before it.
	for f in 1 2 3 4; do
		for c in $(seq "$f" 4); do reject 192.0.2.5$c "c$c-f$f@example.com"; done
		[ "$f" = 4 ] || rotate
	done
	start_daemon
	grep -q "event=follow path=$LOGDIR/current from=saved_position" "$DLOG"
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 10 ]'
	sleep 0.3
	[ "$(metric rcptguard_log_lines_total)" = 10 ]
	[ "$(metric rcptguard_log_history_lines_total)" = 0 ]
	[ "$(metric rcptguard_log_rotations_total)" = 3 ]
	for c in 1 2 3 4; do
		[ "$(offender 192.0.2.5$c bad_total)" = "$c" ]
		[ "$(offender 192.0.2.5$c last_recipient)" = "c$c-f$c@example.com" ]
	done
}

@test "after a long stop, lines older than ban_window are history; a restart reads none twice" {
	: > "$LOGDIR/current"
	start_daemon
	stop_daemon
	for i in 1 2 3 4 5; do reject 192.0.2.60 o$i@example.com 3600; done
	reject 192.0.2.61 n1@example.com
	start_daemon
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 6 ]'
	[ "$(metric rcptguard_log_history_lines_total)" = 5 ]
	[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 1 ]
	! banned 192.0.2.60
	[ "$(offender 192.0.2.61 bad_total)" = 1 ]
	stop_daemon
	start_daemon
	reject 192.0.2.61 n2@example.com
	wait_for '[ "$(metric rcptguard_log_lines_total)" = 1 ]'
	sleep 0.3
	[ "$(metric rcptguard_log_lines_total)" = 1 ]
	[ "$(metric rcptguard_log_events_total{kind=\"unknown-recipient\"})" = 1 ]
}
