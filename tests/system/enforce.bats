#!/usr/bin/env bats
# Enforcement that every backend must give alike: real namespaces, veth,
# listeners and sockets. run-all.sh runs this file once per backend
# (RG_BACKEND=xdp, RG_BACKEND=nft); the tests differ only where a backend
# shows itself (pinned map ids, expired entries the kernel keeps).

load lib
load postfix

BACKEND=${RG_BACKEND:-xdp}

setup() {
	setup_net
	echo "backend = $BACKEND" >> "$CONF"
}

teardown() {
	postfix_stop
	teardown_net
}

@test "$BACKEND: a client reaches port 25 with no ban" {
	start_daemon
	grep -q "event=start .* backend=$BACKEND " "$DLOG"
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
	run -0 mail_from_client fd77:1::1
	assert_output "220 mail"
}

@test "$BACKEND: an IPv4 ban drops port 25, keeps port 80, counts, and unban restores" {
	start_daemon
	run -0 rg ban 10.77.1.2 --for 10m --reason "test"
	assert_output "banned 10.77.1.2 for 10m00s"
	run mail_from_client 10.77.1.1
	assert_failure
	[ "$(ban_packets 10.77.1.2)" -ge 1 ]
	run -0 mail_from_client 10.77.1.1 80
	assert_output "200 web"
	run -0 rg list
	assert_line --regexp '^10\.77\.1\.2 +test +[0-9]+s +(9m|10m)[0-9]+s +[1-9][0-9]* +[1-9][0-9]* +0 +0$'
	run -0 rg unban 10.77.1.2
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
}

@test "$BACKEND: an IPv6 ban drops port 25 and unban restores" {
	start_daemon
	rg ban fd77:1::2
	run mail_from_client fd77:1::1
	assert_failure
	[ "$(ban_packets fd77:1::2)" -ge 1 ]
	run -0 mail_from_client fd77:1::1 80
	rg unban fd77:1::2
	run -0 mail_from_client fd77:1::1
}

@test "$BACKEND: a /24 ban drops every client address in it; nested prefixes coexist" {
	start_daemon
	rg ban 10.77.1.99/24
	rg ban 10.77.0.0/16 --for 1m
	run -0 rg list --json
	assert_output --partial '"address":"10.77.1.0/24"'
	assert_output --partial '"address":"10.77.0.0/16"'
	rg unban 10.77.0.0/16
	run mail_from_client 10.77.1.1 25 10.77.1.2
	assert_failure
	run mail_from_client 10.77.1.1 25 10.77.1.3
	assert_failure
	[ "$(ban_packets 10.77.1.0/24)" -ge 2 ]
	rg unban 10.77.1.0/24
	run -0 mail_from_client 10.77.1.1
}

@test "$BACKEND: a /64 ban drops the client's IPv6 network" {
	start_daemon
	rg ban fd77:1::/64
	run mail_from_client fd77:1::1
	assert_failure
	run -0 mail_from_client 10.77.1.1
}

@test "$BACKEND: an allow entry inside a banned prefix wins" {
	start_daemon
	run -0 rg allow add 10.77.1.3
	run -0 rg ban 10.77.1.0/24
	assert_output --partial "banned 10.77.1.0/24"
	run -0 mail_from_client 10.77.1.1 25 10.77.1.3
	assert_output "220 mail"
	run mail_from_client 10.77.1.1 25 10.77.1.2
	assert_failure
	run -0 rg allow list
	assert_line --regexp '^10\.77\.1\.3 +manual'
	run -0 rg allow del 10.77.1.3
	run mail_from_client 10.77.1.1 25 10.77.1.3
	assert_failure
}

# verdict CLIENT RCPT: the query socket's action for one RCPT.
verdict() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=%s\n\n' \
		"$1" "$2" | socat -t2 - UNIX-CONNECT:"$QSOCK" | sed -n 's/^action=//p'
}

@test "$BACKEND: the allowlist always wins: allow add lifts a ban in the kernel and in verdicts, and says so" {
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	echo "recipients = $BATS_TEST_TMPDIR/r.cdb" >> "$CONF"
	start_daemon
	rg ban 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
	run -0 verdict 10.77.1.2 nobody@example.com
	assert_output --partial "421 "
	run -0 rg allow add 10.77.1.2
	assert_line "allowed 10.77.1.2"
	assert_output --partial "the ban of 10.77.1.2 no longer applies to 10.77.1.2"
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
	run -0 verdict 10.77.1.2 nobody@example.com
	assert_output "550 5.1.1 no such mailbox"
	run -0 verdict 10.77.1.2 bob@example.com
	assert_output "DUNNO"
	run -0 rg show 10.77.1.2
	assert_output --partial "allowlisted by 10.77.1.2 (manual): never dropped or refused"
	assert_output --partial "does not apply to this address"
	refute_output --partial "banned as"
	refute_output --partial "never banned"
	# A manual ban made after the allow entry: the entry still wins.
	rg allow add 10.77.1.3
	rg ban 10.77.1.3
	rg ban 10.77.1.4
	for i in 1 2 3 4 5 6; do
		run -0 verdict 10.77.1.3 "x$i@example.com"
		assert_output "550 5.1.1 no such mailbox"
	done
	run -0 mail_from_client 10.77.1.1 25 10.77.1.3
	assert_output "220 mail"
	run -0 verdict 10.77.1.4 nobody@example.com
	assert_output --partial "421 "
}

@test "$BACKEND: a ban of an allowlisted address warns that it will not drop" {
	start_daemon
	run -0 rg ban 127.0.0.1
	assert_output --partial "allow entry 127.0.0.0/8 covers 127.0.0.1"
}

@test "$BACKEND: with the daemon down the CLI bans, lists, allows and unbans in the kernel" {
	start_daemon
	stop_daemon
	run -0 rg ban 10.77.1.2 --for 10m --reason down
	assert_output --partial "banned 10.77.1.2 for 10m00s"
	run mail_from_client 10.77.1.1
	assert_failure
	run -0 rg list
	assert_line --regexp '^10\.77\.1\.2 +down +'
	run -0 rg allow add 10.77.1.2
	assert_output --partial "the ban of 10.77.1.2 no longer applies to 10.77.1.2"
	run -0 mail_from_client 10.77.1.1
	run -0 rg allow del 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
	run -0 rg unban 10.77.1.2
	run -0 mail_from_client 10.77.1.1
	run -3 rg status
	assert_line "daemon:    not running (bans stay enforced)"
}

@test "$BACKEND: with the daemon down the CLI's changes pass the same front: one log line each" {
	start_daemon
	stop_daemon
	run -0 --separate-stderr rg ban 10.77.1.2 --for 10m --reason down
	assert_output "banned 10.77.1.2 for 10m00s"
	grep -qx "rcptguard: level=info event=ban address=10.77.1.2 reason=manual duration=600 backend=$BACKEND by=cli uid=0" <<<"$stderr"
	run -0 --separate-stderr rg ban 127.0.0.1
	grep -Eq "^rcptguard: note: allow entry 127\.0\.0\.(0/8|1) covers 127\.0\.0\.1;" <<<"$stderr"
	grep -q "event=ban address=127.0.0.1 .* backend=$BACKEND by=cli" <<<"$stderr"
	run -0 --separate-stderr rg allow add 10.77.1.9
	grep -qx "rcptguard: level=info event=allow_add address=10.77.1.9" <<<"$stderr"
	run -0 --separate-stderr rg unban 10.77.1.2
	grep -qx "rcptguard: level=info event=unban address=10.77.1.2 backend=$BACKEND by=cli uid=0" <<<"$stderr"
	run -0 --separate-stderr rg unban --all
	assert_output "removed 1 bans"
	grep -qx "rcptguard: level=info event=unban address=127.0.0.1 backend=$BACKEND by=cli uid=0" <<<"$stderr"
}

@test "$BACKEND: a 2-second ban stops dropping by itself with no daemon running" {
	start_daemon
	stop_daemon
	rg ban 10.77.1.2 --for 2s
	run mail_from_client 10.77.1.1
	assert_failure
	sleep 2
	run -0 mail_from_client 10.77.1.1
	run -0 rg list
	if [ "$BACKEND" = xdp ]; then
		# The map keeps the entry, marked, until the daemon's sweep.
		assert_line --regexp '^10\.77\.1\.2 .* expired '
	else
		# The kernel removed the element itself.
		refute_output --partial 10.77.1.2
	fi
}

@test "$BACKEND: kill -9 of the daemon leaves every ban enforced; a restart loses none and re-adds none" {
	start_daemon
	rg ban 10.77.1.2 --for 1h
	rg ban fd77:1::/64 --for 1h
	run mail_from_client 10.77.1.1
	assert_failure
	stop_daemon -9
	run mail_from_client 10.77.1.1
	assert_failure
	run mail_from_client fd77:1::1
	assert_failure
	# Ages and expiries move, and retransmitted SYNs add to the counters:
	# compare the rest, then that the counters only grew.
	strip='s/"age_seconds":[0-9]*,//g; s/"expires_in_seconds":[0-9]*,//g; s/"packets":[0-9]*,"bytes":[0-9]*//g'
	before=$(rg list --json)
	[ "$BACKEND" = xdp ] && map_before=$(bpftool map show pinned $PIN/bans_v4 | cut -d: -f1)
	start_daemon
	grep -q 'event=state_load result=ok .* restored=0 pardoned=0 maps=kept' "$DLOG"
	run -0 rg list --json
	# Same entries and creation times, counters not reset: nothing was re-added.
	[ "$(echo "$output" | sed "$strip")" = "$(echo "$before" | sed "$strip")" ]
	[ "$(echo "$output" | grep -o '"packets":[0-9]*' | head -1 | cut -d: -f2)" -ge \
	  "$(echo "$before" | grep -o '"packets":[0-9]*' | head -1 | cut -d: -f2)" ]
	if [ "$BACKEND" = xdp ]; then
		[ "$(bpftool map show pinned $PIN/bans_v4 | cut -d: -f1)" = "$map_before" ]
		grep -q 'event=attach ifname='$IF_S' mode=native link=reused' "$DLOG"
	fi
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "$BACKEND: after a reboot (kernel state gone) the state file restores the bans" {
	start_daemon
	rg ban 192.0.2.44 --for 1h
	rg ban 2001:db8:bad::/48 --for 2h
	stop_daemon
	# A reboot empties bpffs and the ruleset.
	rg detach >/dev/null
	start_daemon
	grep -q "event=state_load result=ok bans=2 .* restored=2 pardoned=0 maps=new" "$DLOG" || { cat "$DLOG"; false; }
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.44 +manual '
	assert_line --regexp '^2001:db8:bad::/48 +manual .* (1h59m|2h00m)[0-9]*s? '
}

@test "$BACKEND: SIGHUP applies new ports; a bad config is refused and the old one stays" {
	start_daemon
	rg ban 10.77.1.2
	run -0 mail_from_client 10.77.1.1 80
	echo "port = 80" >> "$CONF"
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=ok ports=1' "$DLOG"
	run mail_from_client 10.77.1.1 80
	assert_failure
	run -0 mail_from_client 10.77.1.1 25
	echo "port = nope" >> "$CONF"
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=refused error=".*rcptguard.conf:[0-9]*: port: .nope. must be a number' "$DLOG"
	run mail_from_client 10.77.1.1 80
	assert_failure
}

@test "$BACKEND: a refused reload leaves the kernel as it was; rcptguard reload names what changed and what waits for a restart" {
	start_daemon
	# The allowlist used to reach the kernel before the spamtrap file failed.
	printf 'allow = 10.77.1.0/24\nspamtrap_file = /nonexistent/traps\n' >> "$CONF"
	run -1 rg reload
	assert_output "rcptguard: cannot open spamtrap_file /nonexistent/traps: No such file or directory"
	grep -q 'event=reload result=refused error="cannot open spamtrap_file' "$DLOG"
	rg ban 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
	rg unban 10.77.1.2
	sed -i '/spamtrap_file/d' "$CONF"
	printf 'port = 80\nnft_hook = prerouting\ndnsbl_cache_size = 4096\n' >> "$CONF"
	run -0 rg reload
	assert_output - <<-EOF
	reloaded
	changed: port,allow
	needs restart: nft_hook,dnsbl_cache_size (the old values stay in force until rcptguardd restarts)
	EOF
	grep -q 'event=reload result=ok ports=1 allow=1 changed="port,allow" needs_restart="nft_hook,dnsbl_cache_size"' "$DLOG"
	# Applied keys are in force; the others still wait.
	run -0 rg reload
	assert_output "reloaded
needs restart: nft_hook,dnsbl_cache_size (the old values stay in force until rcptguardd restarts)"
	run -0 mail_from_client 10.77.1.1 25
	sed -i '/nft_hook\|dnsbl_cache_size/d' "$CONF"
}

@test "$BACKEND: Postfix: five unknown recipients, the fifth gets 421, the next SYN is dropped; unban restores" {
	kill "${PIDS[0]}"
	wait "${PIDS[0]}" 2>/dev/null || true
	postfix_setup 25
	echo "backend = $BACKEND" >> "$CONF"
	start_daemon
	postfix_start
	run swaks_to a1@example.com,a2@example.com,a3@example.com,a4@example.com,a5@example.com
	assert_output --partial "<** 421 4.7.0 <a5@example.com>: Recipient address rejected: too many unknown recipients; try again later"
	grep -q "event=ban address=10.77.1.2 reason=unknown-recipient duration=[0-9]* backend=$BACKEND " "$DLOG"
	run mail_from_client 10.77.1.1 25
	assert_failure
	run -0 mail_from_client 10.77.1.1 80
	assert_output "200 web"
	[ "$(ban_packets 10.77.1.2)" -ge 1 ]
	run -0 rg unban 10.77.1.2
	run -0 swaks_to bob@example.com
}
