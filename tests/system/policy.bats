#!/usr/bin/env bats
# Recipient verdicts over the query socket, and rcptguard-spp run exactly
# as qmail-spp runs it: environment only, stdin closed, one line out.

load lib

setup() {
	setup_net
	DB=$BATS_TEST_TMPDIR/recipients.cdb
	cat > "$BATS_TEST_TMPDIR/recipients.txt" <<-EOF
	bob@example.com
	alice@example.com
	list-default@example.com
	-list-spam@example.com
	@catchall.test
	-trap@catchall.test
	EOF
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt" >/dev/null
	echo "recipients = $DB" >> "$CONF"
}
teardown() { teardown_net; }

ACTION='550 5.1.1 no such mailbox'
REJECT='550 5.1.1 <nobody@example.com>: Recipient address rejected: no such mailbox'

# spp RCPT [VAR=value...]: run the plugin as qmail-spp would.
spp() {
	local rcpt=$1
	shift
	env -i PATH=/usr/bin:/bin TCPREMOTEIP=192.0.2.7 SMTPHELOHOST=mx.example.net \
		SMTPMAILFROM=s@example.net SMTPRCPTTO="$rcpt" SMTPRCPTCOUNT=0 \
		SMTPRCPTCOUNTALL=1 SMTPRCPTHOSTSOK=1 RCPTGUARD_SOCKET="$QSOCK" "$@" \
		"$B/rcptguard-spp" rcpt <&-
}

request() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.7\nrecipient=%s\n\n' "$1"
}

@test "raw policy requests over one persistent connection get one reply each, in order" {
	start_daemon
	run -0 sh -c "{ $(declare -f request); request bob@example.com; request nobody@example.com
		request x@other.test; request anyone@catchall.test; } |
		socat -t2 - UNIX-CONNECT:$QSOCK"
	assert_equal "${lines[0]}" "action=DUNNO"
	assert_equal "${lines[1]}" "action=$ACTION"
	assert_equal "${lines[2]}" "action=DUNNO"
	assert_equal "${lines[3]}" "action=DUNNO"
	assert_equal "${#lines[@]}" 4
}

@test "the asking MTA decides the form: Postfix's requests folded and cut at +, rcptguard-spp's (qmail) ASCII only" {
	printf 'stra\xc3\x9fe@example.com\n' >> "$BATS_TEST_TMPDIR/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt" >/dev/null
	start_daemon
	run -0 sh -c "{ $(declare -f request); request bob+tag@example.com; request STRASSE@example.com
		request bob%example.com@example.com; request bob%other.test@example.com; } |
		socat -t2 - UNIX-CONNECT:$QSOCK"
	assert_equal "${lines[*]}" "action=DUNNO action=DUNNO action=DUNNO action=DUNNO"
	run -0 spp bob+tag@example.com
	assert_output "E550 5.1.1 <bob+tag@example.com>: Recipient address rejected: no such mailbox"
	run -0 spp STRASSE@example.com
	assert_output "E550 5.1.1 <STRASSE@example.com>: Recipient address rejected: no such mailbox"
	run -0 spp "$(printf 'stra\xc3\x9fe@example.com')"
	assert_output ""
	run -0 spp bob%example.com@example.com
	assert_output ""
}

@test "rcptguard-spp: valid, unknown, unknown domain, negative, relay client, authenticated" {
	start_daemon
	run -0 spp bob@example.com
	assert_output ""
	run -0 spp Bob@Example.COM
	assert_output ""
	run -0 spp nobody@example.com
	assert_output "E$REJECT"
	run -0 spp list-x@example.com
	assert_output ""
	run -0 spp list-spam@example.com
	assert_output "E550 5.1.1 <list-spam@example.com>: Recipient address rejected: no such mailbox"
	run -0 spp trap@catchall.test
	assert_output --partial "E550 5.1.1 <trap@catchall.test>"
	run -0 spp anyone@elsewhere.test
	assert_output ""
	run -0 spp nobody@example.com RELAYCLIENT=
	assert_output ""
	run -0 spp nobody@example.com SMTPAUTHUSER=bob
	assert_output ""
	grep -q 'event=verdict verdict=unknown client="192.0.2.7" recipient="nobody@example.com" key=-' "$DLOG"
	grep -q 'event=verdict verdict=negative .* key=list-spam@example.com' "$DLOG"
}

@test "rcptguard-spp output is one newline-terminated line and never O or A" {
	start_daemon
	spp nobody@example.com > "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 1 ]
	[ "$(tail -c1 "$BATS_TEST_TMPDIR/out" | od -An -c | tr -d ' ')" = '\n' ]
	for r in bob@example.com x@other.test anyone@catchall.test; do
		run -0 spp $r
		refute_output --regexp '^[OA]'
	done
}

@test "rcptguard-spp: section from the argument or the program name" {
	start_daemon
	ln -s "$B/rcptguard-spp" "$BATS_TEST_TMPDIR/rcptguard-spp-rcpt"
	run -0 env -i TCPREMOTEIP=192.0.2.7 SMTPRCPTTO=nobody@example.com RCPTGUARD_SOCKET="$QSOCK" \
		"$BATS_TEST_TMPDIR/rcptguard-spp-rcpt" <&-
	assert_output "E$REJECT"
	# In [mail] the recipient left over from an earlier RCPT is not judged.
	run -0 env -i TCPREMOTEIP=192.0.2.7 SMTPRCPTTO=nobody@example.com RCPTGUARD_SOCKET="$QSOCK" \
		"$B/rcptguard-spp" mail <&-
	assert_output ""
	run -0 --separate-stderr env -i TCPREMOTEIP=192.0.2.7 "$B/rcptguard-spp" bogus <&-
	assert_output ""
	[[ $stderr == *"unknown section"* ]]
}

@test "daemon stopped: rcptguard-spp accepts at once, or tempfails when told to" {
	start_daemon
	stop_daemon
	run -0 --separate-stderr spp nobody@example.com
	assert_output ""
	[[ $stderr == *"event=fail_open"* ]]
	run -0 --separate-stderr spp nobody@example.com RCPTGUARD_FAIL=tempfail
	assert_output "E451 4.3.0 recipient check temporarily unavailable, try again later"
}

@test "daemon frozen: rcptguard-spp returns within its timeout and accepts" {
	start_daemon
	kill -STOP $DPID
	start=$(date +%s%N)
	run -0 --separate-stderr spp nobody@example.com RCPTGUARD_TIMEOUT=0.5
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	kill -CONT $DPID
	assert_output ""
	[[ $stderr == *"no reply within the timeout"* ]]
	[ "$took" -ge 450 ] && [ "$took" -lt 1500 ]
}

@test "daemon answering garbage: rcptguard-spp fails open" {
	socat UNIX-LISTEN:$QSOCK,fork SYSTEM:'echo HTTP/1.0 400 nonsense; echo' 3>&- &
	PIDS+=($!)
	for i in $(seq 50); do [ -S "$QSOCK" ] && break; sleep 0.05; done
	run -0 --separate-stderr spp nobody@example.com
	assert_output ""
	[[ $stderr == *"reply without action="* ]]
}

@test "the database replaced under a stream of requests: no failed or wrong verdict" {
	# The load generator's clients would be banned: allowlist them.
	echo "allow = 192.0.2.0/24" >> "$CONF"
	start_daemon
	src=$BATS_TEST_TMPDIR/recipients.txt
	( for i in $(seq 12); do
		echo "extra$i@example.com" >> "$src"
		"$B/rcptguard" recipients compile -o "$DB" "$src" >/dev/null
		sleep 0.25
	  done ) 3>&- &
	writer=$!
	run -0 "$B/tests/policy_load" -s "$QSOCK" -c 4 -n 40000 \
		bob@example.com=DUNNO nobody@example.com=550 anyone@catchall.test=DUNNO
	wait $writer
	assert_output --regexp 'requests=40000 wrong=0'
	[ "$(grep -c 'event=recipients_open why=replaced' "$DLOG")" -ge 2 ]
}

@test "a replaced database is noticed within a second; new verdicts apply" {
	start_daemon
	run -0 spp carol@example.com
	assert_output --partial "E550"
	echo carol@example.com >> "$BATS_TEST_TMPDIR/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt"
	sleep 1
	run -0 spp carol@example.com
	assert_output ""
}

@test "a corrupt, empty or deleted database at run time: the last good one stays" {
	start_daemon
	head -c 5000 /dev/urandom > "$DB.new" && mv "$DB.new" "$DB"
	sleep 1
	grep -q 'event=recipients_reload result=refused error="recipients database .* is not a valid CDB' "$DLOG"
	run -0 spp nobody@example.com
	assert_output "E$REJECT"
	run -0 spp bob@example.com
	assert_output ""
	: > "$DB"
	sleep 1
	rm -f "$DB"
	sleep 1
	grep -q 'event=recipients_missing' "$DLOG"
	run -0 spp nobody@example.com
	assert_output "E$REJECT"
	# Logged once, not every second.
	[ "$(grep -c 'event=recipients_missing' "$DLOG")" -eq 1 ]
}

@test "a missing or corrupt database at start is a clear startup error" {
	rm -f "$DB"
	run -1 in_s "$B/rcptguardd" -f -c "$CONF"
	assert_output --partial "cannot open recipients database $DB"
	echo garbage > "$DB"
	run -1 in_s "$B/rcptguardd" -f -c "$CONF"
	assert_output --partial "is not a valid CDB file"
}

@test "malformed and oversize requests close the connection without a reply, and are logged" {
	start_daemon
	run sh -c "printf 'hello\n\n' | socat -t2 - UNIX-CONNECT:$QSOCK 2>/dev/null"
	assert_output ""
	grep -q 'event=query_close .* reason="line without name=value"' "$DLOG"
	run sh -c "printf 'recipient=x@y\n\n' | socat -t2 - UNIX-CONNECT:$QSOCK 2>/dev/null"
	assert_output ""
	grep -q 'reason="no request= attribute"' "$DLOG"
	run sh -c "{ printf 'request=smtpd_access_policy\n'; head -c 20000 /dev/zero | tr '\\\\0' a; } |
		socat -t2 - UNIX-CONNECT:$QSOCK 2>/dev/null"
	assert_output ""
	grep -q 'reason="request larger than 16 KB"' "$DLOG"
	# The daemon still answers.
	run -0 spp bob@example.com
	assert_output ""
}

@test "1000 concurrent connections are all answered" {
	echo "allow = 192.0.2.0/24" >> "$CONF"
	start_daemon
	run -0 "$B/tests/policy_load" -s "$QSOCK" -c 1000 -n 5000 \
		bob@example.com=DUNNO nobody@example.com=550
	assert_output --regexp 'requests=5000 wrong=0 connections=1000'
	run -0 "$B/tests/policy_load" -s "$QSOCK" -c 8 -n 2000 -1 \
		bob@example.com=DUNNO nobody@example.com=550
	assert_output --regexp 'requests=2000 wrong=0'
}

@test "the query socket gets the configured group and mode; a second daemon is refused" {
	groupadd -f rgtestgrp
	printf 'query_socket_group = rgtestgrp\nquery_socket_mode = 0640\n' >> "$CONF"
	start_daemon
	[ "$(stat -c '%G %a' "$QSOCK")" = "rgtestgrp 640" ]
	run -1 in_s "$B/rcptguardd" -f -c "$CONF"
	assert_output --partial "another process serves $QSOCK"
}

@test "SIGHUP takes a new reply text; a bad database path is refused and the old one stays" {
	start_daemon
	echo 'reject_unknown = 550 5.1.1 no such user here' >> "$CONF"
	kill -HUP $DPID
	sleep 0.3
	run -0 spp nobody@example.com
	assert_output "E550 5.1.1 <nobody@example.com>: Recipient address rejected: no such user here"
	sed -i "s|^recipients = .*|recipients = /nonexistent.cdb|" "$CONF"
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=refused error="cannot open recipients database /nonexistent.cdb' "$DLOG"
	run -0 spp nobody@example.com
	assert_output "E550 5.1.1 <nobody@example.com>: Recipient address rejected: no such user here"
}

@test "TCP on loopback serves the same protocol" {
	echo "query_listen = 127.0.0.1:10040" >> "$CONF"
	start_daemon
	run -0 sh -c "{ $(declare -f request); request nobody@example.com; } |
		nsenter --net=/run/netns/$NS_S socat -t2 - TCP:127.0.0.1:10040"
	assert_output "action=$ACTION"
}

@test "query_listen on a port any local user may bind is warned about, by the daemon's netns" {
	echo "query_listen = 127.0.0.1:10040" >> "$CONF"
	start_daemon
	grep -q 'level=warn event=query_listen_unprivileged_port port=10040 unprivileged_port_start=1024 ' "$DLOG"
	stop_daemon
	# Ports below ip_unprivileged_port_start need root: no warning.
	nsenter --net=/run/netns/$NS_S sysctl -qw net.ipv4.ip_unprivileged_port_start=10041
	start_daemon
	[ "$(grep -c 'event=query_listen_unprivileged_port' "$DLOG")" -eq 1 ]
	[ "$(grep -c 'event=start ' "$DLOG")" -eq 2 ]
}

# tcp_as USER ADDR CLIENT N: N unknown recipients from CLIENT over TCP to
# ADDR (socat syntax), sent by a process of USER; prints the actions.
tcp_as() {
	local i
	for i in $(seq "$4"); do
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=t%s@example.com\n\n' "$3" "$i"
	done | in_s setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups socat -t2 - "TCP:$2" |
		sed -n 's/^action=//p'
}

@test "TCP on loopback: only query_listen_users give evidence; other local users get verdicts only" {
	echo "query_listen = 127.0.0.1:10040" >> "$CONF"
	start_daemon
	grep -q 'level=warn event=query_listen_untrusted' "$DLOG"
	run -0 tcp_as nobody 127.0.0.1:10040 192.0.2.50 6
	[ "${#lines[@]}" -eq 6 ] || { echo "$output"; false; }
	refute_output --partial "421"
	assert_line "$ACTION"
	run -0 rg show 192.0.2.50
	assert_output --partial "nothing known"
	stop_daemon
	echo "query_listen_users = daemon, 4242" >> "$CONF"
	start_daemon
	[ "$(grep -c 'event=query_listen_untrusted' "$DLOG")" -eq 1 ]
	run -0 tcp_as nobody 127.0.0.1:10040 192.0.2.51 6
	refute_output --partial "421"
	run -0 tcp_as root 127.0.0.1:10040 192.0.2.51 6
	refute_output --partial "421"
	run -0 tcp_as daemon 127.0.0.1:10040 192.0.2.52 5
	assert_line --index 4 --partial "421 "
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.52 +unknown-recipient '
	refute_output --partial "192.0.2.51"
}

@test "TCP on IPv6 loopback: the listed user's requests ban" {
	printf 'query_listen = [::1]:10041\nquery_listen_users = daemon\n' >> "$CONF"
	start_daemon
	run -0 tcp_as nobody '[::1]:10041' 192.0.2.53 6
	refute_output --partial "421"
	run -0 tcp_as daemon '[::1]:10041' 192.0.2.54 5
	assert_line --index 4 --partial "421 "
}

# serve ACTION: a one-answer policy peer, for the actions rcptguardd itself
# does not produce yet (421 comes with bans).
serve() {
	printf 'read x\nprintf "action=%%s\\n\\n" "%s"\n' "$1" > "$BATS_TEST_TMPDIR/serve.sh"
	socat UNIX-LISTEN:$QSOCK,fork EXEC:"sh $BATS_TEST_TMPDIR/serve.sh" 3>&- &
	PIDS+=($!)
	for i in $(seq 50); do [ -S "$QSOCK" ] && break; sleep 0.05; done
}

@test "rcptguard-spp words every access(5) action as Postfix would, R where the session ends" {
	serve '421 4.7.0 too many unknown recipients'
	run -0 spp x@example.com
	assert_output "R421 4.7.0 <x@example.com>: Recipient address rejected: too many unknown recipients"
	kill ${PIDS[-1]}; rm -f "$QSOCK"
	serve 'REJECT go away'
	run -0 spp x@example.com
	assert_output "E554 5.7.1 <x@example.com>: Recipient address rejected: go away"
	kill ${PIDS[-1]}; rm -f "$QSOCK"
	serve 'DEFER_IF_PERMIT later'
	run -0 spp x@example.com
	assert_output "E450 4.7.1 <x@example.com>: Recipient address rejected: later"
	kill ${PIDS[-1]}; rm -f "$QSOCK"
	serve '550 blocked'
	run -0 spp x@example.com
	assert_output "E550 5.7.1 <x@example.com>: Recipient address rejected: blocked"
	run -0 env -i TCPREMOTEIP=192.0.2.7 RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" connection <&-
	assert_output "R550 5.7.1 <192.0.2.7>: Client host rejected: blocked"
	kill ${PIDS[-1]}; rm -f "$QSOCK"
	serve 'PREPEND X-Test: 1'
	run -0 --separate-stderr spp x@example.com
	assert_output ""
}

@test "no guess escapes by its shape: long, literal, quoted, routed, unqualified (issue 15)" {
	printf 'bob@[192.0.2.1]\ncarol@[IPv6:2001:DB8::1]\n' >> "$BATS_TEST_TMPDIR/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt" >/dev/null
	echo "ban_threshold = 100" >> "$CONF"
	start_daemon
	# Over 512 bytes: qmail takes up to 900, Postfix queues it; judged and counted.
	long=$(head -c 600 /dev/zero | tr '\0' a)@example.com
	run -0 spp "$long"
	assert_output --partial "E550 5.1.1 <aaaa"
	run -0 spp "$(head -c 600 /dev/zero | tr '\0' a)@catchall.test"
	assert_output ""
	# A HELO too long to send is cut, not a reason to stop judging.
	run -0 spp nobody@example.com SMTPHELOHOST="$(head -c 3000 /dev/zero | tr '\0' h)"
	assert_output "E$REJECT"
	run -0 spp bob@[192.0.2.1]
	assert_output ""
	run -0 spp nobody@[192.0.2.1]
	assert_output --partial "E550 5.1.1 <nobody@[192.0.2.1]>"
	run -0 spp carol@[ipv6:2001:db8:0::1]
	assert_output ""
	run -0 spp 'nobody@[IPv6:2001:db8::1]'
	assert_output --partial "E550"
	run -0 spp '@a.test,@b.test:bob@example.com'
	assert_output ""
	run -0 spp 'john smith@example.com'
	assert_output --partial "E550"
	run -0 spp 'nobody@example.com..'
	assert_output --partial "E550"
	# No domain: the MTA adds its own; counted but not refused.
	run -0 spp nobody
	assert_output ""
	run -0 spp postmaster
	assert_output ""
	run -0 rg show 192.0.2.7
	assert_output --partial "7 bad recipients"
	# The same through the query socket, as Postfix sends it.
	run -0 sh -c "{ $(declare -f request); request 'nobody@[192.0.2.1]'; request \"$long\"; } |
		socat -t2 - UNIX-CONNECT:$QSOCK"
	assert_equal "${lines[0]}" "action=$ACTION"
	assert_equal "${lines[1]}" "action=$ACTION"
}

# txn STATE INSTANCE [RCPT]: one request of a Postfix transaction.
txn() {
	printf 'request=smtpd_access_policy\nprotocol_state=%s\nclient_address=192.0.2.7\ninstance=%s\n' "$1" "$2"
	[ -z "$3" ] || printf 'recipient=%s\n' "$3"
	printf '\n'
}

# ask REQUESTS...: send them on one connection, replies to stdout.
ask() { socat -t2 - UNIX-CONNECT:$QSOCK; }

@test "credit only for a complete message, once per recipient per transaction (issue 15)" {
	start_daemon
	# One guess, so the client is tracked; then 100 valid RCPTs and no DATA.
	{ txn RCPT t0 nobody@example.com; for i in $(seq 100); do txn RCPT t1 bob@example.com; done; } |
		ask > /dev/null
	run -0 rg show 192.0.2.7
	assert_output --partial "score 1.00 of 5.00, 1 bad recipients, 0 bans, 0 valid"
	# smtpd_delay_reject asks three times per RCPT; DATA and END-OF-MESSAGE both come.
	{ for i in 1 2 3; do txn RCPT t2 bob@example.com; txn RCPT t2 Alice@Example.COM; done
	  txn RCPT t2 nobody@example.com; txn DATA t2; txn END-OF-MESSAGE t2; } | ask > /dev/null
	run -0 rg show 192.0.2.7
	assert_output --partial "of 6.00, 2 bad recipients, 0 bans, 2 valid"
	# A new transaction of the same client earns again (end-of-data check only).
	{ txn RCPT t3 bob@example.com; txn END-OF-MESSAGE t3; } | ask > /dev/null
	run -0 rg show 192.0.2.7
	assert_output --partial "3 valid"
}

@test "DATA asked before the 354, then a hang-up: no credit, however many recipients" {
	start_daemon
	txn RCPT t0 nobody@example.com | ask > /dev/null
	# 64 catch-all recipients per transaction, DATA, gone; then the bare
	# postmaster, valid everywhere, with a complete message.
	{ for t in 1 2 3; do
		for i in $(seq 64); do txn RCPT d$t u$i@catchall.test; done
		txn DATA d$t
	  done
	  txn RCPT p1 postmaster; txn DATA p1; txn END-OF-MESSAGE p1; } | ask > /dev/null
	run -0 rg show 192.0.2.7
	assert_output --partial "score 1.00 of 5.00, 1 bad recipients, 0 bans, 0 valid"
}

@test "credit per client and hour is capped by reputation_max_per_hour" {
	echo "reputation_max_per_hour = 3" >> "$CONF"
	start_daemon
	{ txn RCPT t0 nobody@example.com
	  for i in $(seq 10); do txn RCPT m$i bob@example.com; txn END-OF-MESSAGE m$i; done; } |
		ask > /dev/null
	run -0 rg show 192.0.2.7
	assert_output --partial "of 6.50, 1 bad recipients, 0 bans, 3 valid"
}

# sppx SECTION [VAR=value...]: rcptguard-spp in SECTION as qmail-spp runs it.
sppx() {
	local section=$1
	shift
	env -i TCPREMOTEIP=192.0.2.7 RCPTGUARD_SOCKET=$QSOCK "$@" $B/rcptguard-spp $section <&-
}

@test "rcptguard-spp: a message is credited at the session's next MAIL or first RCPT; RSET ends one" {
	start_daemon
	spp nobody@example.com > /dev/null
	# All plugins are children of one qmail-smtpd: the same PPID, the same instance.
	run -0 sh -c "$(declare -f spp sppx); B=$B QSOCK=$QSOCK
		spp bob@example.com SMTPRCPTCOUNTALL=1 && spp alice@example.com SMTPRCPTCOUNTALL=2 &&
		spp list-x@example.com SMTPRCPTCOUNTALL=1 && sppx data && sppx data"
	assert_output ""
	# DATA alone: the client may have hung up before its message.
	run -0 rg show 192.0.2.7
	assert_output --partial "1 bad recipients, 0 bans, 0 valid"
	# [data], then the next [mail] of the same session: list-x's message was complete.
	run -0 sh -c "$(declare -f spp sppx); B=$B QSOCK=$QSOCK
		spp list-x@example.com SMTPRCPTCOUNTALL=1 && sppx data && sppx mail && sppx mail"
	run -0 rg show 192.0.2.7
	assert_output --partial "1 bad recipients, 0 bans, 1 valid"
	# Without a [mail] line, the next transaction's first RCPT says the same.
	run -0 sh -c "$(declare -f spp sppx); B=$B QSOCK=$QSOCK
		spp bob@example.com SMTPRCPTCOUNTALL=1 && spp alice@example.com SMTPRCPTCOUNTALL=2 &&
		sppx data && spp bob@example.com SMTPRCPTCOUNTALL=1"
	run -0 rg show 192.0.2.7
	assert_output --partial "1 bad recipients, 0 bans, 3 valid"
}

# hostile_rcpt CLIENT BYTES...: an unknown recipient whose local part is
# the given bytes (printf escapes), over the query socket.
hostile_rcpt() {
	local client=$1
	shift
	{ printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=' "$client"
	  printf "$@"
	  printf '@example.com\n\n'; } | socat -t2 - UNIX-CONNECT:"$QSOCK" >/dev/null
}

# No byte that acts on a terminal: only printable ASCII and newlines.
terminal_safe() {
	if LC_ALL=C grep -qP '[^\x20-\x7e]' "$1"; then cat -v "$1"; return 1; fi
}

@test "show and top print recipients from the network escaped; --json is valid ASCII JSON" {
	start_daemon
	hostile_rcpt 192.0.2.41 '\033[2J\033]0;owned\007'
	hostile_rcpt 192.0.2.42 '\302\233''31m\233''1m\r\b\177'
	hostile_rcpt 192.0.2.43 '\342\200\256''gpj.exe\\x1b'
	# Random local parts; without '%', '!' and '@', which route the address
	# elsewhere as Postfix's resolver does (docs/postfix.md).
	for i in $(seq 44 63); do
		hostile_rcpt 192.0.2.$i "$(head -c 24 /dev/urandom | tr -d '\n\000%!@\\' | od -An -v -to1 | tr -s ' ' '\\' | tr -d '\n')"
	done
	for i in $(seq 41 63); do
		rg show 192.0.2.$i > "$BATS_TEST_TMPDIR/show"
		terminal_safe "$BATS_TEST_TMPDIR/show"
		grep -q "last bad recipient " "$BATS_TEST_TMPDIR/show"
		rg show --json 192.0.2.$i > "$BATS_TEST_TMPDIR/json"
		terminal_safe "$BATS_TEST_TMPDIR/json"
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$BATS_TEST_TMPDIR/json"
	done
	run -0 rg show 192.0.2.41
	assert_output --partial 'last bad recipient \x1b[2J\x1b]0;owned\x07@example.com'
	rg top --once -n 100 > "$BATS_TEST_TMPDIR/top"
	terminal_safe "$BATS_TEST_TMPDIR/top"
	[ "$(grep -c '^192\.0\.2\.' "$BATS_TEST_TMPDIR/top")" -eq 23 ]
}
