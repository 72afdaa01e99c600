#!/usr/bin/env bats
# Dictionary attackers banned in the kernel: a private Postfix on port 25
# asks rcptguardd, swaks attacks from the client namespace, and the ban
# must drop the client's next SYN while port 80 keeps working.

load lib
load postfix

setup() {
	setup_net
	# Postfix takes port 25 from the plain listener.
	kill "${PIDS[0]}"
	wait "${PIDS[0]}" 2>/dev/null || true
	postfix_setup 25
}

teardown() {
	postfix_stop
	teardown_net
}

start_all() {
	start_daemon
	postfix_start
}

UNKNOWN=a1@example.com,a2@example.com,a3@example.com,a4@example.com,a5@example.com

# spp ADDR RCPT: rcptguard-spp as qmail-spp runs it, for client ADDR.
spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 SMTPMAILFROM=s@example.net SMTPRCPTHOSTSOK=1 \
		RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt <&-
}

@test "five unknown recipients: the fifth gets 421, the next SYN is dropped, port 80 still works; unban restores" {
	start_all
	run swaks_to "$UNKNOWN"
	assert_output --partial "<** 550 5.1.1 <a4@example.com>: Recipient address rejected: no such mailbox"
	assert_output --partial "<** 421 4.7.0 <a5@example.com>: Recipient address rejected: too many unknown recipients; try again later"
	grep -q 'event=ban address=10.77.1.2 reason=unknown-recipient duration=[0-9]* backend=xdp offense=1 evidence=unknown-recipient' "$DLOG"
	run mail_from_client 10.77.1.1 25
	assert_failure
	run -0 mail_from_client 10.77.1.1 80
	assert_output "200 web"
	run -0 rg list
	assert_line --regexp '^10\.77\.1\.2 +unknown-recipient +[0-9]+s +(59m|1h)'
	p1=$(ban_packets 10.77.1.2)
	run mail_from_client 10.77.1.1 25
	[ "$(ban_packets 10.77.1.2)" -gt "$p1" ]
	run -0 rg unban 10.77.1.2
	run -0 swaks_to bob@example.com
	grep -q 'event=unban address=10.77.1.2 backend=xdp by=control uid=0' "$DLOG"
}

@test "the control socket takes durations through the one parser: no overflow, no expired-on-arrival ban" {
	start_daemon
	ctl() { printf '%s\n' "$1" | socat -t2 - UNIX-CONNECT:$CSOCK; }
	# 18446744074 s is more than 2^64 ns: it wrapped to a ban expired on arrival.
	for d in 18446744074 99999999999999999999 0 0s -5 1.5h 10y ''; do
		run ctl "ban 192.0.2.44 $d"
		assert_line --index 0 --regexp '^error '
	done
	run -0 rg list
	refute_output --partial 192.0.2.44
	run ctl "ban 192.0.2.44 1h"
	assert_line --index 0 ok
	run ctl "ban 192.0.2.45 permanent"
	assert_line --index 0 ok
	run -0 rg list --json
	assert_output --regexp '"address":"192\.0\.2\.44"[^}]*"expired":false'
	assert_output --regexp '"address":"192\.0\.2\.45"[^}]*"permanent":true'
}

@test "a manual unban sticks: the same client is not banned again during pardon_time" {
	start_all
	run swaks_to "$UNKNOWN"
	rg unban 10.77.1.2
	run swaks_to "$UNKNOWN"
	refute_output --partial "421"
	assert_output --partial "<** 550 5.1.1 <a5@example.com>"
	grep -q 'event=pardoned address=10.77.1.2' "$DLOG"
	run -0 mail_from_client 10.77.1.1 80
	run -0 swaks_to bob@example.com
}

@test "an allowlisted client is never banned after 100 unknown recipients" {
	echo "allow = 10.77.1.2" >> "$CONF"
	# Postfix's own limit would end the session after 20 errors.
	echo "smtpd_hard_error_limit = 1000" >> "$PF/etc/main.cf"
	start_all
	rcpts=$(seq -f 'x%g@example.com' 1 100 | paste -sd, -)
	run swaks_to "$rcpts"
	refute_output --partial "421"
	assert_output --partial "<** 550 5.1.1 <x100@example.com>"
	grep -q 'event=allowlist_hit address=10.77.1.2 entry=10.77.1.2' "$DLOG"
	run -0 rg list
	refute_output --partial "10.77.1.2"
	run -0 swaks_to bob@example.com
}

@test "tcprules lines that grant RELAYCLIENT allowlist their networks" {
	printf '127.:allow,RELAYCLIENT=""\n10.77.1.:allow,RELAYCLIENT=""\n:allow\n' > "$BATS_TEST_TMPDIR/tcp.smtp"
	echo "allow_file = $BATS_TEST_TMPDIR/tcp.smtp" >> "$CONF"
	start_all
	run -0 rg allow list
	assert_line --regexp '^10\.77\.1\.0/24 +config$'
	run swaks_to "$UNKNOWN"
	refute_output --partial "421"
}

@test "a spamtrap recipient bans at once" {
	echo "spamtrap = Old-Trap@example.com" >> "$CONF"
	start_all
	run swaks_to old-trap@example.com
	# The default says a policy refused it, not that the address is a trap.
	assert_output --partial "<** 421 4.7.0 <old-trap@example.com>: Recipient address rejected: refused by local policy; try again later"
	refute_output --partial "unknown recipients"
	grep -q 'event=ban address=10.77.1.2 reason=spamtrap' "$DLOG"
	run mail_from_client 10.77.1.1 25
	assert_failure
}

@test "a spamtrap's ban is answered with spamtrap_reply on every path: Postfix, qmail-spp, the query socket" {
	cat >> "$CONF" <<-EOF
	spamtrap = trap@example.com
	spamtrap_reply = 421 4.7.0 sent to a spam trap; write to postmaster
	EOF
	start_all
	run swaks_to trap@example.com
	assert_output --partial "<** 421 4.7.0 <trap@example.com>: Recipient address rejected: sent to a spam trap; write to postmaster"
	run -0 spp 192.0.2.61 trap@example.com
	assert_output "R421 4.7.0 <trap@example.com>: Recipient address rejected: sent to a spam trap; write to postmaster"
	# While its ban lasts, every answer to the client says so, a valid recipient's too.
	run -0 spp 192.0.2.61 bob@example.com
	assert_output "R421 4.7.0 <bob@example.com>: Recipient address rejected: sent to a spam trap; write to postmaster"
	q() {
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=%s\n\n' \
			"$1" "$2" | socat -t2 - UNIX-CONNECT:"$QSOCK"
	}
	run -0 q 192.0.2.62 trap@example.com
	assert_line "action=421 4.7.0 sent to a spam trap; write to postmaster"
	# A client banned for guessing is still told so.
	for i in 1 2 3 4; do spp 192.0.2.63 "nobody$i@example.com" >/dev/null; done
	run -0 q 192.0.2.63 nobody5@example.com
	assert_line "action=421 4.7.0 too many unknown recipients; try again later"
	# A bad reply is refused by name.
	echo 'spamtrap_reply = 250 fine' >> "$CONF"
	run -1 rg reload
	assert_output --partial "spamtrap_reply"
}

@test "the same ban flow through rcptguard-spp, run as qmail-spp runs it" {
	start_daemon
	for n in 1 2 3 4; do
		run -0 spp 10.77.1.2 "nobody$n@example.com"
		assert_output "E550 5.1.1 <nobody$n@example.com>: Recipient address rejected: no such mailbox"
	done
	run -0 spp 10.77.1.2 nobody5@example.com
	assert_output "R421 4.7.0 <nobody5@example.com>: Recipient address rejected: too many unknown recipients; try again later"
	run -0 spp 10.77.1.2 bob@example.com
	assert_output --partial "R421"
	run mail_from_client 10.77.1.1 80
	assert_success
	run -0 rg list --reason unknown-recipient --json
	assert_output --partial '"address":"10.77.1.2","reason":"unknown-recipient"'
}

@test "show, top and stats describe an offender" {
	start_daemon
	for i in 1 2 3; do spp 192.0.2.7 "who$i@example.com" >/dev/null; done
	# A valid recipient earns credit once its message is complete: for
	# qmail, at the session's next MAIL after DATA.
	sh -c "$(declare -f spp); B=$B QSOCK=$QSOCK; spp 192.0.2.7 bob@example.com &&
		env -i TCPREMOTEIP=192.0.2.7 RCPTGUARD_SOCKET=$QSOCK $B/rcptguard-spp data <&- &&
		env -i TCPREMOTEIP=192.0.2.7 RCPTGUARD_SOCKET=$QSOCK $B/rcptguard-spp mail <&-" >/dev/null
	run -0 rg show 192.0.2.7
	assert_line --regexp 'tracked as 192\.0\.2\.7: score 3\.00 of 5\.50, 3 bad recipients, 0 bans, 1 valid'
	assert_output --partial "last bad recipient who3@example.com"
	assert_output --partial "unknown-recipient"
	assert_output --partial "valid-recipient"
	run -0 rg top --once
	assert_line --regexp '^192\.0\.2\.7 +3\.00/5\.50 +3 +0 +- +who3@example.com$'
	for i in 4 5 6; do spp 192.0.2.7 "who$i@example.com" >/dev/null; done
	run -0 rg stats --prometheus
	assert_line 'rcptguard_bans_total{reason="unknown-recipient"} 1'
	assert_line 'rcptguard_verdicts_total{verdict="unknown"} 6'
	assert_line --regexp '^rcptguard_dropped_packets_total [0-9]+$'
	assert_line '# TYPE rcptguard_bans_active gauge'
	run -0 rg stats --json
	assert_output --partial '{"name":"rcptguard_bans_active","labels":{},"value":1}'
}

@test "show says which score banned a client and when, and still does after a restart" {
	start_daemon
	for i in 1 2 3 4 5 6; do spp 192.0.2.8 "who$i@example.com" >/dev/null; done
	grep -q 'event=ban address=192.0.2.8 .* evidence=unknown-recipient score=5.00 threshold=5.00' "$DLOG"
	run -0 rg show 192.0.2.8
	assert_line --regexp '^  banned 20[0-9-]+ [0-9:]+ \(unknown-recipient\) at score 5\.00 of 5\.00$'
	banned=$(echo "$output" | grep ' at score ')
	run -0 rg show 192.0.2.8 --json
	assert_output --partial '"ban_reason":"unknown-recipient","ban_level":5.00,"ban_threshold":5.00'
	stop_daemon
	start_daemon
	run -0 rg show 192.0.2.8
	assert_line "$banned"
}

@test "kill -9 under load: bans stay enforced, the plugin fails open; the restart keeps the same state" {
	start_all
	run swaks_to "$UNKNOWN"
	rg ban 198.51.100.0/24 --for 1h --reason "by hand"
	# Ban changes reach the state file within a second.
	sleep 1.2
	"$B/tests/policy_load" -s "$QSOCK" -c 4 -n 200000 -a 1000 bob@example.com=DUNNO \
		>/dev/null 2>&1 3>&- &
	load=$!
	sleep 0.5
	stop_daemon -9
	wait $load || true
	run mail_from_client 10.77.1.1 25
	assert_failure
	run -0 --separate-stderr spp 192.0.2.1 nobody@example.com
	assert_output ""
	# Ages and expiries move, and the client's retransmitted SYNs keep
	# adding to the counters: compare the rest, then that counters only grew.
	strip='s/"age_seconds":[0-9]*,//g; s/"expires_in_seconds":[0-9]*,//g; s/"packets":[0-9]*,"bytes":[0-9]*//g'
	raw_before=$(rg list --json)
	before=$(echo "$raw_before" | sed "$strip")
	map_before=$(bpftool map show pinned $PIN/bans_v4 | cut -d: -f1)
	start_daemon
	run -0 rg list --json
	[ "$(echo "$output" | sed "$strip")" = "$before" ]
	[ "$(echo "$output" | grep -o '"packets":[0-9]*' | head -1 | cut -d: -f2)" -ge \
	  "$(echo "$raw_before" | grep -o '"packets":[0-9]*' | head -1 | cut -d: -f2)" ]
	[ "$(bpftool map show pinned $PIN/bans_v4 | cut -d: -f1)" = "$map_before" ]
	grep -q 'event=state_load result=ok .* restored=0 pardoned=0 maps=kept' "$DLOG"
	run -0 rg show 10.77.1.2
	assert_output --partial "1 bans"
}

@test "kill -9 during state writes never leaves a corrupt state file" {
	echo "state_interval = 1s" >> "$CONF"
	start_daemon
	"$B/tests/policy_load" -s "$QSOCK" -c 4 -n 60000 -a 30000 bob@example.com=DUNNO >/dev/null
	for round in $(seq 8); do
		sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
		stop_daemon -9
		: > "$DLOG"
		start_daemon
		grep -q 'event=state_load result=ok' "$DLOG" || { cat "$DLOG"; false; }
	done
	sleep 1.2
	grep -q 'event=state_load result=ok bans=0 offenders=[1-9]' "$DLOG" ||
		grep -q "offenders=[1-9]" "$STATE/state" || head -3 "$STATE/state"
	run -0 tail -1 "$STATE/state"
	assert_output --regexp '^end 0 [0-9]+$'
}

@test "after a reboot (maps gone) the state file restores the bans" {
	start_daemon
	for i in 1 2 3 4 5; do spp 192.0.2.44 "r$i@example.com" >/dev/null; done
	rg ban 2001:db8:bad::/48 --for 2h
	stop_daemon
	# A reboot empties bpffs: remove every pin.
	in_s "$B/rcptguard" --pin-dir "$PIN" detach >/dev/null
	start_daemon
	grep -q "event=state_load result=ok bans=2 .* restored=2 pardoned=0 maps=new" "$DLOG" || { cat "$DLOG"; cat "$STATE/state"; false; }
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.44 +unknown-recipient '
	assert_line --regexp '^2001:db8:bad::/48 +manual .* (1h59m|2h00m)[0-9]*s? '
}

@test "a ban removed by hand while the daemon was down is pardoned" {
	start_daemon
	for i in 1 2 3 4 5; do spp 192.0.2.45 "r$i@example.com" >/dev/null; done
	stop_daemon
	rg unban 192.0.2.45
	start_daemon
	grep -q 'event=pardon address=192.0.2.45 why=unbanned_while_daemon_was_down' "$DLOG"
	for i in 1 2 3 4 5 6; do run -0 spp 192.0.2.45 "s$i@example.com"; done
	assert_output --partial "E550"
}

@test "unban --all with the daemon down counts only the bans it removed; the rest is an error" {
	start_daemon
	rg ban 192.0.2.71 --for 1h
	rg ban 192.0.2.72 --for 1h
	stop_daemon
	# A frozen map refuses every change from user space.
	bpftool map freeze pinned $PIN/bans_v4
	run -1 rg unban --all
	assert_line "removed 0 bans"
	assert_line "rcptguard: unban 192.0.2.71: Operation not permitted"
	assert_line "rcptguard: 2 bans could not be removed"
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.71 '
}

@test "backend = none logs what it would ban and drops nothing" {
	echo "backend = none" >> "$CONF"
	start_all
	run swaks_to "$UNKNOWN"
	assert_output --partial "<** 421"
	grep -q 'event=ban address=10.77.1.2 reason=unknown-recipient .* backend=none' "$DLOG"
	run -0 mail_from_client 10.77.1.1 25
	run -0 rg status
	assert_output --partial "backend none"
}

@test "the control socket is root-only and logs each peer at log_level = debug" {
	echo "log_level = debug" >> "$CONF"
	start_daemon
	[ "$(stat -c '%a %U' "$CSOCK")" = "600 root" ]
	rg status >/dev/null
	grep -q 'level=debug event=control_connect uid=0 pid=[0-9]*' "$DLOG"
	grep -q 'level=debug event=control_command uid=0 pid=[0-9]* command=status' "$DLOG"
	run -2 rg reload --bogus
	run -0 rg reload
	assert_output "reloaded"
	echo "ban_threshold = lots" >> "$CONF"
	run -1 rg reload
	assert_output --partial "ban_threshold: 'lots' must be a number"
}

@test "three banned addresses of one /24 ban the whole /24 (subnet_bans)" {
	echo "subnet_bans = 3" >> "$CONF"
	start_daemon
	for host in 1 2 3; do
		for i in 1 2 3 4 5; do spp 203.0.113.$host "s$host$i@example.com" >/dev/null; done
	done
	grep -q 'event=ban address=203.0.113.0/24 reason=unknown-recipient' "$DLOG"
	run -0 rg list
	assert_line --regexp '^203\.0\.113\.0/24 +unknown-recipient '
	# Its other addresses are covered too.
	run -0 rg show 203.0.113.77
	assert_output --partial "banned as 203.0.113.0/24 (unknown-recipient)"
}
