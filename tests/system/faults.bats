#!/usr/bin/env bats
# Fault injection: a full or read-only state directory, descriptors run
# out, slow clients, and the daemon killed at random moments of an attack.

load lib

setup() {
	setup_net
	DB=$BATS_TEST_TMPDIR/r.cdb
	printf 'bob@example.com\n' | "$B/rcptguard" recipients compile -o "$DB" >/dev/null
	echo "recipients = $DB" >> "$CONF"
}

teardown() {
	mountpoint -q "$STATE" && umount -l "$STATE"
	teardown_net
}

spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 RCPTGUARD_SOCKET="$QSOCK" RCPTGUARD_TIMEOUT=${3:-2} \
		"$B/rcptguard-spp" rcpt <&-
}

# ban_via_spp IP: five unknown recipients.
ban_via_spp() { for i in 1 2 3 4 5; do spp $1 "u$i@example.com" >/dev/null; done; }

@test "a full, then read-only state directory: enforcing goes on, one log line, the old file stays, recovery" {
	mkdir -p "$STATE"
	mount -t tmpfs -o size=256k tmpfs "$STATE"
	# Ban changes go to the journal; a full save every second meets the full disk.
	echo "state_interval = 1s" >> "$CONF"
	start_daemon
	ban_via_spp 192.0.2.50
	sleep 1.3
	cat "$STATE/state" "$STATE/journal" | grep -q '^ban 192.0.2.50 '
	# Fill the disk.
	dd if=/dev/zero of="$STATE/filler" bs=4k 2>/dev/null || true
	sleep 1.3
	before=$(cat "$STATE/state")
	grep -q '^ban 192.0.2.50 ' <<<"$before"
	ban_via_spp 192.0.2.51
	ban_via_spp 192.0.2.52
	sleep 2.5
	[ "$(grep -c 'event=state_save result=failed' "$DLOG")" = 1 ]
	[ "$(cat "$STATE/state")" = "$before" ]
	run mail_from_client 10.77.1.1
	assert_success
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.52 '
	rm "$STATE/filler"
	sleep 1.5
	grep -q 'event=state_save result=ok note=recovered' "$DLOG"
	grep -q '^ban 192.0.2.52 ' "$STATE/state"
	# Read-only now.
	mount -o remount,ro "$STATE"
	ban_via_spp 192.0.2.53
	sleep 1.5
	[ "$(grep -c 'event=state_save result=failed' "$DLOG")" = 2 ]
	grep -q '^ban 192.0.2.52 ' "$STATE/state"
	mount -o remount,rw "$STATE"
	sleep 1.5
	grep -q '^ban 192.0.2.53 ' "$STATE/state"
	kill -0 $DPID
}

@test "descriptors run out and slow clients trickle: verdicts for the others keep flowing" {
	printf 'max_connections = 100000\nallow = 192.0.2.0/24\n' >> "$CONF"
	# A daemon allowed 64 descriptors, 500 idle connections and a slow one.
	nsenter --net=/run/netns/$NS_S prlimit --nofile=64:64 "$B/rcptguardd" -f -c "$CONF" >>"$DLOG" 2>&1 3>&- &
	DPID=$!
	for i in $(seq 100); do grep -q 'event=start ' "$DLOG" && break; sleep 0.05; done
	run -0 "$B/tests/policy_load" -s "$QSOCK" -c 2 -n 40000 -i 500 -t \
		bob@example.com=DUNNO nobody@example.com=550
	assert_output --regexp 'requests=40000 wrong=0 .* idle_held=500 of 500 trickled=[1-9][0-9]*'
	grep -q 'event=query_refused .* why=no_file_descriptors note="the idlest connections are closed to make room' "$DLOG"
	# The loop did not spin: the daemon used little CPU while refusing.
	ticks=$(awk '{ print $14 + $15 }' /proc/$DPID/stat)
	[ "$ticks" -lt 500 ]
	kill -0 $DPID
}

@test "kill -9 at random moments of an attack, 20 times: bans stay, the plugin fails open, nothing valid is rejected" {
	valid=$BATS_TEST_TMPDIR/valid.out
	: > "$valid"
	start_daemon
	for round in $(seq 20); do
		attacker=198.51.100.$round
		# The attack and a valid client's mail, side by side.
		( for i in 1 2 3 4 5 6 7; do spp $attacker "x$round-$i@example.com" 1 >/dev/null; done ) &
		apid=$!
		( for i in 1 2 3 4 5 6; do spp 192.0.2.10 bob@example.com 1; done >> "$valid" ) &
		vpid=$!
		sleep "0.$(( RANDOM % 4 ))$(( RANDOM % 10 ))"
		stop_daemon -9
		wait $apid $vpid
		# The plugin, with no daemon, accepts at once.
		run -0 timeout 3 env -i TCPREMOTEIP=192.0.2.10 SMTPRCPTTO=bob@example.com \
			RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt
		refute_output --partial "E5"
		before=$(rg list --json | grep -o '"address":"[^"]*"' | sort)
		start_daemon
		after=$(rg list --json | grep -o '"address":"[^"]*"' | sort)
		# Every ban in the kernel at the kill is there after the restart.
		[ -z "$(comm -23 <(echo "$before") <(echo "$after"))" ]
	done
	! grep -q "E5" "$valid"
	# The attackers that got far enough were banned and stay banned.
	run -0 rg list
	assert_output --regexp '198\.51\.100\.[0-9]+ +unknown-recipient'
}

@test "stderr is a pipe nobody reads: verdicts keep flowing, SIGTERM stops the daemon, the loss is counted and reported" {
	# policy_load asks for clients in 192.0.2.0/24: allowlisted, never banned.
	printf "log_verdicts = all\nallow = 192.0.2.0/24\n" >> "$CONF"
	fifo=$BATS_TEST_TMPDIR/log.fifo
	mkfifo "$fifo"
	# Held open for reading, never read: the pipe fills after 64 KB.
	exec 5<>"$fifo"
	nsenter --net=/run/netns/$NS_S "$B/rcptguardd" -f -c "$CONF" >"$fifo" 2>&1 3>&- 5>&- &
	DPID=$!
	for i in $(seq 100); do [ -S "$QSOCK" ] && break; sleep 0.05; done
	# One log line per verdict: far more than the pipe and the queue hold.
	run -0 timeout 60 "$B/tests/policy_load" -s "$QSOCK" -c 4 -n 20000 \
		bob@example.com=DUNNO nobody@example.com=550
	assert_output --regexp 'requests=20000 wrong=0 '
	run -0 rg stats --prometheus
	dropped=$(echo "$output" | awk '$1 == "rcptguard_log_dropped_total" { print $2 }')
	[ "$dropped" -gt 0 ]
	# The reader comes back: the next line says how many were lost.
	cat <&5 > "$BATS_TEST_TMPDIR/drained" &
	reader=$!
	sleep 0.5
	run -0 "$B/tests/policy_load" -s "$QSOCK" -n 1 bob@example.com=DUNNO
	kill -TERM $DPID
	for i in $(seq 50); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
	! kill -0 $DPID 2>/dev/null
	DPID=
	for i in $(seq 50); do grep -q 'event=stop' "$BATS_TEST_TMPDIR/drained" && break; sleep 0.1; done
	kill $reader 2>/dev/null || true
	exec 5<&-
	grep -Eq "event=log_dropped lines=[0-9]+" "$BATS_TEST_TMPDIR/drained"
	grep -q 'event=stop signal=' "$BATS_TEST_TMPDIR/drained"
	# Whole lines only: every line is one of ours.
	! grep -v '^rcptguardd: level=' "$BATS_TEST_TMPDIR/drained"
}

@test "at max_connections the idlest connection gives way: verdicts for new clients keep flowing" {
	printf 'max_connections = 20\nallow = 192.0.2.0/24\n' >> "$CONF"
	start_daemon
	run -0 "$B/tests/policy_load" -s "$QSOCK" -c 2 -n 4000 -i 200 \
		bob@example.com=DUNNO nobody@example.com=550
	assert_output --regexp 'requests=4000 wrong=0 '
	grep -q 'event=query_refused .* why=max_connections note="the idlest connections are closed to make room' "$DLOG"
}

@test "a daemon started in its first ten minutes of uptime keeps its idle connections" {
	echo "backend = none" >> "$CONF"
	# A fresh time namespace whose monotonic clock reads about 100 s.
	up=$(cut -d. -f1 /proc/uptime)
	nsenter --net=/run/netns/$NS_S unshare --time --monotonic=$((100 - up)) --fork \
		"$B/rcptguardd" -f -c "$CONF" >>"$DLOG" 2>&1 3>&- &
	upid=$!
	for i in $(seq 100); do [ -S "$QSOCK" ] && break; sleep 0.05; done
	# unshare --fork ignores SIGTERM: teardown stops the daemon itself.
	DPID=$(pgrep -P $upid)
	req='request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.9\nrecipient=nobody@example.com\n\n'
	mkfifo "$BATS_TEST_TMPDIR/in"
	socat -t 30 UNIX-CONNECT:"$QSOCK" - <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 3>&- &
	exec 7>"$BATS_TEST_TMPDIR/in"
	printf "$req" >&7
	# The idle sweep runs every 10 s.
	sleep 11
	printf "$req" >&7 || true
	sleep 0.5
	exec 7>&-
	[ "$(grep -c '^action=550' "$BATS_TEST_TMPDIR/out")" = 2 ]
	! grep -q 'why=idle' "$DLOG"
}
