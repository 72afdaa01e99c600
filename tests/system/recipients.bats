#!/usr/bin/env bats
# The recipients database changed under the running daemon: in place, cut
# short, shrunk, unreadable to its user; what recipients check and reload
# say about it; and the plugin's timeout against the daemon's longest wait.

load lib

setup() {
	setup_net
	DB=$BATS_TEST_TMPDIR/r.cdb
	GOOD=$BATS_TEST_TMPDIR/good.cdb
	{ echo bob@example.com; seq -f 'user%g@example.com' 3000; seq -f 'x@d%g.test' 40; } \
		> "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$GOOD" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	cp "$GOOD" "$DB"
	SIZE=$(stat -c %s "$GOOD")
	# The load generator's clients would be banned: allowlist them.
	printf 'recipients = %s\nallow = 192.0.2.0/24\n' "$DB" >> "$CONF"
}

teardown() {
	teardown_net
	[ -z "${SVC:-}" ] || rm -rf "$SVC"
}

# verdicts: one request each, from the daemon, as policy_load checks them.
verdicts() { "$B/tests/policy_load" -s "$QSOCK" -n "$#" "$@"; }

refusals() { grep -c "event=recipients_reload result=refused .* path=$DB " "$DLOG" || true; }

# Every way of changing the live file in place, slowly enough that the
# daemon looks at each stage (it checks every 500 ms).
mutate() {
	local round off blocks=$(( (SIZE + 4095) / 4096 ))
	for round in 1 2; do
		cp "$GOOD" "$DB"; sleep 0.7
		truncate -s 0 "$DB"; sleep 0.7
		cp "$GOOD" "$DB"; truncate -s $((SIZE * 7 / 10)) "$DB"; sleep 0.7
		: > "$DB"
		for off in $(seq 0 $((blocks - 1))); do
			dd if="$GOOD" of="$DB" bs=4096 skip=$off seek=$off count=1 conv=notrunc \
				status=none
			sleep 0.1
		done
		sleep 0.7
	done
}

@test "the live file rewritten in place under a stream of verdicts: no crash, every verdict right" {
	start_daemon
	mutate 3>&- &
	m=$!
	runs=0
	while kill -0 $m 2>/dev/null; do
		run -0 "$B/tests/policy_load" -s "$QSOCK" -c 2 -n 3000 \
			bob@example.com=DUNNO user2999@example.com=DUNNO nobody@example.com=550
		assert_output --regexp 'requests=3000 wrong=0 '
		runs=$((runs + 1))
	done
	wait $m
	kill -0 $DPID
	[ "$runs" -ge 5 ]
	# Cut files were refused, once each; the whole file came back into use.
	[ "$(refusals)" -ge 4 ]
	grep -q 'error=".*truncated' "$DLOG"
	sleep 1.2
	run -0 rg status
	refute_output --partial 'refused'
	grep 'event=recipients_' "$DLOG" | tail -n 1 | grep -q 'event=recipients_open why=replaced'
}

@test "a cut or shrunk file renamed into place is refused (log, metric, status); reload --force takes a shrunk one" {
	start_daemon
	head -c $((SIZE * 7 / 10)) "$GOOD" > "$DB.tmp"
	mv "$DB.tmp" "$DB"
	sleep 1.2
	run -0 verdicts bob@example.com=DUNNO user3000@example.com=DUNNO nobody@example.com=550
	[ "$(refusals)" = 1 ]
	grep "path=$DB " "$DLOG" | grep -q 'error="recipients database .* is not a valid CDB file: .*(truncated?)'
	run -0 rg stats
	assert_line --regexp '^rcptguard_recipients_reload_total\{result="refused"\} +1$'
	run -0 rg status
	assert_line --regexp '^warning: +recipients file refused; the last good database stays in use: .*truncated'
	# Still refused, and logged once, while it stays the same.
	sleep 1.2
	[ "$(refusals)" = 1 ]

	# A whole file that lost most addresses.
	printf 'bob@example.com\ncarol@example.com\n' |
		"$B/rcptguard" recipients compile -o "$DB" >/dev/null
	sleep 1.2
	[ "$(refusals)" = 2 ]
	grep -q 'lost more than recipients_max_shrink (50%)' "$DLOG"
	run -0 verdicts user5@example.com=DUNNO carol@example.com=550
	run -1 rg recipients reload
	assert_output --partial 'recipients_max_shrink'
	run -0 rg recipients reload --force
	assert_output 'reloaded: 2 keys, 1 domains'
	run -0 verdicts user5@example.com=550 carol@example.com=DUNNO
	run -0 rg status
	refute_output --partial 'refused'
	run -0 rg stats
	assert_line --regexp '^rcptguard_recipients_reload_total\{result="ok"\} +1$'
	assert_line --regexp '^rcptguard_recipients_keys +2$'
}

@test "recipients_max_shrink = 100 takes any valid replacement; an empty one never" {
	echo 'recipients_max_shrink = 100' >> "$CONF"
	start_daemon
	echo bob@example.com | "$B/rcptguard" recipients compile -o "$DB" >/dev/null
	sleep 1.2
	run -0 verdicts user5@example.com=550 bob@example.com=DUNNO
	: > "$DB.tmp"
	mv "$DB.tmp" "$DB"
	run -1 rg recipients reload --force
	assert_output --partial 'shorter than a CDB header'
	run -0 verdicts user5@example.com=550 bob@example.com=DUNNO
}

@test "recipients check answers what the daemon answers, and says when it refused the file" {
	echo 'spamtrap = trap@example.com' >> "$CONF"
	start_daemon
	printf 'bob@example.com\ncarol@example.com\n' |
		"$B/rcptguard" recipients compile -o "$DB" >/dev/null
	sleep 1.2
	run -0 --separate-stderr rg recipients check carol@example.com user7@example.com
	assert_line --regexp '^carol@example\.com +unknown +-$'
	assert_line --regexp '^user7@example\.com +valid +user7@example\.com$'
	[[ $stderr == *"rcptguardd answers from its last good database; it refused the file:"*"recipients_max_shrink"* ]]
	# The file itself, on request.
	run -0 rg recipients check --db "$DB" carol@example.com
	assert_line --regexp '^carol@example\.com +valid '
	# The daemon knows the spamtraps too.
	run -0 rg recipients check --json trap@example.com
	assert_output --partial '"verdict":"spamtrap"'
	stop_daemon
	run -0 rg recipients check carol@example.com
	assert_line --regexp '^carol@example\.com +valid '
}

@test "compiled under umask 077, the database is read by the daemon running as an unprivileged user" {
	SVC=$(mktemp -d /tmp/rgt-svc.XXXXXX)
	chmod 755 "$SVC"
	getent passwd rcptguard >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rcptguard
	cp "$GOOD" "$SVC/r.cdb"
	chmod 644 "$SVC/r.cdb"
	sed -i -e '/^user = root$/d' -e "s|^recipients = .*|recipients = $SVC/r.cdb|" \
		-e "s|^state_dir = .*|state_dir = $SVC/state|" "$CONF"
	start_daemon
	grep -q "event=privdrop user=rcptguard" "$DLOG"
	run -0 verdicts newuser@example.com=550
	{ cat "$BATS_TEST_TMPDIR/r.txt"; echo newuser@example.com; } |
		( umask 077; "$B/rcptguard" recipients compile -o "$SVC/r.cdb" >/dev/null )
	[ "$(stat -c %a "$SVC/r.cdb")" = 644 ]
	sleep 1.2
	run -0 verdicts newuser@example.com=DUNNO bob@example.com=DUNNO
	run -0 rg status
	refute_output --partial 'refused'
	# --mode for those who want it narrower.
	"$B/rcptguard" recipients compile --mode 0640 -o "$BATS_TEST_TMPDIR/m.cdb" \
		"$BATS_TEST_TMPDIR/r.txt" >/dev/null
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/m.cdb")" = 640 ]
	run -2 "$B/rcptguard" recipients compile --mode 9 -o "$BATS_TEST_TMPDIR/m.cdb"
}

@test "rcptguard-spp waits longer than the daemon's default dnsbl_wait; a longer dnsbl_wait is warned about at start" {
	# A daemon that answers after 3 s, longer than dnsbl_wait's default 2 s.
	socat -t 10 UNIX-LISTEN:$QSOCK,fork SYSTEM:'sleep 3; echo action=550 5.1.1 no; echo' 3>&- &
	PIDS+=($!)
	for i in $(seq 50); do [ -S "$QSOCK" ] && break; sleep 0.05; done
	run -0 env -i TCPREMOTEIP=192.0.2.7 SMTPRCPTTO=nobody@example.com \
		RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt <&-
	assert_output --partial 'E550'
	kill "${PIDS[-1]}"
	rm -f "$QSOCK"
	printf 'dnsbl = bl.test\ndns_server = 127.0.0.1:9\n' >> "$CONF"
	start_daemon
	run grep -c 'event=config_warning key=dnsbl_wait' "$DLOG"
	assert_output 0
	stop_daemon
	echo 'dnsbl_wait = 4.5' >> "$CONF"
	start_daemon
	grep -q 'event=config_warning key=dnsbl_wait value=4.5 note="rcptguard-spp gives up after 5 s' "$DLOG"
}
