#!/usr/bin/env bats
# A session open when its client is banned ends at once: the kernel drops
# the client's later packets, so without this the MTA's process would wait
# for its timeout. A real Postfix (v4 and v6), a qmail-smtpd stand-in under
# tcpserver asking rcptguard-spp, a dual-stack listener (v4-mapped peers).
# run-all.sh runs this file once per backend (RG_BACKEND=xdp, nft).

load lib
load postfix

BACKEND=${RG_BACKEND:-xdp}

setup() {
	setup_net
	echo "backend = $BACKEND" >> "$CONF"
	HOLDERS=()
	# A session's two ends: the client says EHLO, the server its banner;
	# then each reads until the connection ends.
	printf '#!/bin/sh\nprintf "EHLO c.example.net\\r\\n"\nexec cat >/dev/null\n' \
		> "$BATS_TEST_TMPDIR/client"
	printf '#!/bin/sh\necho 220 mail\nexec cat >/dev/null\n' > "$BATS_TEST_TMPDIR/server"
	chmod 755 "$BATS_TEST_TMPDIR/client" "$BATS_TEST_TMPDIR/server"
}

teardown() {
	local p
	for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null || true; done
	postfix_stop
	teardown_net
}

# hold ADDR PORT [SOURCE]: a client session that says EHLO and then waits
# (100 s of silence) for the server; its pid goes to HOLDERS. socat ends
# when the connection does.
hold() {
	local host=$1 src=${3:+,bind=$3}
	case $host in *:*) host="[$host]" ;; esac
	nsenter --net=/run/netns/$NS_C socat -T100 "TCP:$host:$2$src" \
		EXEC:"$BATS_TEST_TMPDIR/client" 3>&- &
	HOLDERS+=($!)
}

# sessions PORT PEER: established server-side sockets of PEER on PORT.
sessions() {
	in_s ss -Htn state established "( sport = :$1 )" | grep -cF " $2:" || true
}

# wait_sessions PORT PEER N [TRIES]: until exactly N (every 50 ms).
wait_sessions() {
	local i
	for i in $(seq ${4:-100}); do
		[ "$(sessions "$1" "$2")" -eq "$3" ] && return 0
		sleep 0.05
	done
	echo "sessions of $2 on :$1: $(sessions "$1" "$2"), not $3" >&2
	return 1
}

# holders_alive: how many held sessions' clients still run.
holders_alive() {
	local p n=0
	for p in "${HOLDERS[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	echo $n
}

# Postfix on port 25 of both server addresses (the socat listener goes).
postfix_dual() {
	kill "${PIDS[0]}"
	wait "${PIDS[0]}" 2>/dev/null || true
	postfix_setup 25
	echo "backend = $BACKEND" >> "$CONF"
	sed -i 's/^inet_protocols = .*/inet_protocols = all/
		s/^inet_interfaces = .*/inet_interfaces = 10.77.1.1, [fd77:1::1]/' "$PF/etc/main.cf"
	echo "[fd77:1::1]:25 inet n - n - - smtpd" >> "$PF/etc/master.cf"
	start_daemon
	postfix_start
}

# smtp_unknown SERVER: five unknown recipients in one session, pipelined
# (swaks needs a Perl module for IPv6 that Debian does not pull in).
smtp_unknown() {
	local host=$1
	case $host in *:*) host="[$host]" ;; esac
	{
		printf 'EHLO client.example.net\r\nMAIL FROM:<sender@example.net>\r\n'
		printf 'RCPT TO:<a%d@example.com>\r\n' 1 2 3 4 5
		printf 'QUIT\r\n'
	} | in_c timeout 10 socat -T5 - "TCP:$host:25"
}

@test "$BACKEND: Postfix, IPv4: five sessions held across the ban end within a second; the banning one gets its 421" {
	postfix_dual
	for i in 1 2 3 4 5; do hold 10.77.1.1 25; done
	wait_sessions 25 10.77.1.2 5
	run smtp_unknown 10.77.1.1
	assert_output --partial "421 4.7.0 <a5@example.com>: Recipient address rejected: too many unknown recipients"
	# No smtpd holds a session of the banned client any more.
	wait_sessions 25 10.77.1.2 0 20
	[ "$(holders_alive)" -eq 0 ]
	grep -q "event=close_sessions address=10.77.1.2 backend=$BACKEND sessions_closed=5 spared=0" "$DLOG"
	[ "$(grep -c 'disconnect from unknown\[10.77.1.2\]' "$PF/maillog")" -eq 6 ]
	! grep -E 'fatal|panic' "$PF/maillog"
	run mail_from_client 10.77.1.1 25
	assert_failure
}

@test "$BACKEND: Postfix, IPv6: sessions held across a /64 ban end within a second" {
	postfix_dual
	for i in 1 2 3 4 5; do hold fd77:1::1 25; done
	wait_sessions 25 "[fd77:1::2]" 5
	run smtp_unknown fd77:1::1
	assert_output --partial "421 4.7.0 <a5@example.com>"
	grep -q "event=ban address=fd77:1::/64 " "$DLOG"
	wait_sessions 25 "[fd77:1::2]" 0 20
	[ "$(holders_alive)" -eq 0 ]
	grep -q "event=close_sessions address=fd77:1::/64 backend=$BACKEND sessions_closed=5" "$DLOG"
	[ "$(grep -c 'disconnect from unknown\[fd77:1::2\]' "$PF/maillog")" -eq 6 ]
}

@test "$BACKEND: rcptguard-spp under tcpserver: held sessions end and their servers exit" {
	kill "${PIDS[0]}"
	wait "${PIDS[0]}" 2>/dev/null || true
	# A qmail-smtpd stand-in: qmail-spp runs rcptguard-spp per RCPT, and
	# an R line is the answer (qmail-smtpd hangs up after a 421).
	cat > "$BATS_TEST_TMPDIR/smtpd" <<-EOF
	#!/bin/sh
	printf '220 mx ESMTP\r\n'
	while IFS= read -r line; do
		case \$line in
		RCPT*) r=\${line#*<}; r=\${r%%>*}
			out=\$(SMTPRCPTTO=\$r RCPTGUARD_SOCKET=$QSOCK $B/rcptguard-spp rcpt </dev/null)
			case \$out in
			R421*) printf '%s\r\n' "\${out#R}"; exit 0 ;;
			[RE]*) printf '%s\r\n' "\${out#?}" ;;
			*) printf '250 ok\r\n' ;;
			esac ;;
		QUIT*) printf '221 bye\r\n'; exit 0 ;;
		*) printf '250 ok\r\n' ;;
		esac
	done
	EOF
	chmod 755 "$BATS_TEST_TMPDIR/smtpd"
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/r.txt"
	echo "recipients = $BATS_TEST_TMPDIR/r.cdb" >> "$CONF"
	start_daemon
	nsenter --net=/run/netns/$NS_S tcpserver -H -R 10.77.1.1 25 "$BATS_TEST_TMPDIR/smtpd" 3>&- &
	TCPSERVER=$!
	PIDS+=($TCPSERVER)
	wait_listening 25
	for i in 1 2 3 4; do hold 10.77.1.1 25; done
	wait_sessions 25 10.77.1.2 4
	[ "$(pgrep -c -P $TCPSERVER)" -eq 4 ]
	run smtp_unknown 10.77.1.1
	assert_output --partial "421 4.7.0 <a5@example.com>"
	wait_sessions 25 10.77.1.2 0 20
	[ "$(holders_alive)" -eq 0 ]
	[ "$(pgrep -c -P $TCPSERVER)" -eq 0 ]
	grep -q "event=close_sessions address=10.77.1.2 backend=$BACKEND sessions_closed=4" "$DLOG"
}

@test "$BACKEND: a manual /24 ban ends v4-mapped sessions on a dual-stack listener, sparing an allowlisted address" {
	# Dual-stack, like the lib's listeners, but keeping its sessions open.
	# nsenter directly: $! must be the listener itself.
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:587,fork,reuseaddr,ipv6only=0 \
		EXEC:"$BATS_TEST_TMPDIR/server" 3>&- &
	PIDS+=($!)
	wait_listening 587
	start_daemon
	run -0 rg allow add 10.77.1.3
	for i in 1 2 3; do hold 10.77.1.1 587 10.77.1.2; done
	for i in 1 2; do hold 10.77.1.1 587 10.77.1.3; done
	hold fd77:1::1 587
	wait_sessions 587 "[::ffff:10.77.1.2]" 3
	wait_sessions 587 "[::ffff:10.77.1.3]" 2
	run -0 rg ban 10.77.1.0/24
	wait_sessions 587 "[::ffff:10.77.1.2]" 0 20
	# The allowlisted address and the IPv6 client outside the ban stay.
	[ "$(sessions 587 "[::ffff:10.77.1.3]")" -eq 2 ]
	[ "$(sessions 587 "[fd77:1::2]")" -eq 1 ]
	[ "$(holders_alive)" -eq 3 ]
	grep -q "event=close_sessions address=10.77.1.0/24 backend=$BACKEND sessions_closed=3 spared=2" "$DLOG"
}

@test "$BACKEND: only the protected ports: of two sessions, the one on 587 ends, the one on 8080 stays" {
	# Dual-stack, like the lib's listeners, but keeping their sessions open.
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:587,fork,reuseaddr,ipv6only=0 \
		EXEC:"$BATS_TEST_TMPDIR/server" 3>&- &
	PIDS+=($!)
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 \
		EXEC:"$BATS_TEST_TMPDIR/server" 3>&- &
	PIDS+=($!)
	wait_listening 587
	wait_listening 8080
	start_daemon
	hold 10.77.1.1 587
	hold 10.77.1.1 8080
	wait_sessions 587 "[::ffff:10.77.1.2]" 1
	wait_sessions 8080 "[::ffff:10.77.1.2]" 1
	run -0 rg ban 10.77.1.2
	wait_sessions 587 "[::ffff:10.77.1.2]" 0 20
	[ "$(sessions 8080 "[::ffff:10.77.1.2]")" -eq 1 ]
	[ "$(holders_alive)" -eq 1 ]
	grep -q "event=close_sessions address=10.77.1.2 backend=$BACKEND sessions_closed=1 spared=0" "$DLOG"
}

@test "$BACKEND: with the daemon down, a ban made by the CLI ends the sessions too" {
	# nsenter directly: $! must be the listener itself.
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:465,fork,reuseaddr,ipv6only=0 \
		EXEC:"$BATS_TEST_TMPDIR/server" 3>&- &
	PIDS+=($!)
	wait_listening 465
	start_daemon
	stop_daemon
	for i in 1 2; do hold 10.77.1.1 465; done
	wait_sessions 465 "[::ffff:10.77.1.2]" 2
	run -0 --separate-stderr rg ban 10.77.1.2
	assert_output "banned 10.77.1.2 for 1h00m"
	grep -qx "rcptguard: closed 2 open sessions of 10.77.1.2" <<<"$stderr"
	wait_sessions 465 "[::ffff:10.77.1.2]" 0 20
}

@test "$BACKEND: close_sessions = no leaves the sessions to the MTA's timeout" {
	# nsenter directly: $! must be the listener itself.
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:465,fork,reuseaddr,ipv6only=0 \
		EXEC:"$BATS_TEST_TMPDIR/server" 3>&- &
	PIDS+=($!)
	wait_listening 465
	echo "close_sessions = no" >> "$CONF"
	start_daemon
	hold 10.77.1.1 465
	wait_sessions 465 "[::ffff:10.77.1.2]" 1
	rg ban 10.77.1.2
	sleep 0.5
	[ "$(sessions 465 "[::ffff:10.77.1.2]")" -eq 1 ]
	stop_daemon
	rg unban 10.77.1.2
	rg ban 10.77.1.2
	sleep 0.2
	[ "$(sessions 465 "[::ffff:10.77.1.2]")" -eq 1 ]
}

@test "backend = none closes nothing and says what it would close" {
	# nsenter directly: $! must be the listener itself.
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:465,fork,reuseaddr,ipv6only=0 \
		EXEC:"$BATS_TEST_TMPDIR/server" 3>&- &
	PIDS+=($!)
	wait_listening 465
	sed -i 's/^backend = .*/backend = none/' "$CONF"
	start_daemon
	for i in 1 2; do hold 10.77.1.1 465; done
	wait_sessions 465 "[::ffff:10.77.1.2]" 2
	rg ban 10.77.1.2
	sleep 0.5
	[ "$(sessions 465 "[::ffff:10.77.1.2]")" -eq 2 ]
	grep -q "event=close_sessions address=10.77.1.2 backend=none would_close=2 spared=0" "$DLOG"
}
