#!/usr/bin/env bats
# The address-sanity rule through the real daemon and the XDP backend:
# no evidence bans the unspecified, broadcast or IPv4-mapped space, a
# manual ban that wide needs --force, and a state file cannot smuggle one
# in. IPv4 clients of the namespace keep reaching port 25 (a real TCP
# connect) throughout.

load lib

setup() {
	setup_net
	DB=$BATS_TEST_TMPDIR/recipients.cdb
	echo bob@example.com > "$BATS_TEST_TMPDIR/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt" >/dev/null
	cat >> "$CONF" <<-EOF
	backend = xdp
	recipients = $DB
	ban_threshold = 3
	EOF
}
teardown() { teardown_net; }

metric() { rg stats --prometheus | awk -v m="$1" '$1 == m { print $2 }'; }

# guess ADDR N: N unknown recipients from client_address ADDR.
guess() {
	local i
	for i in $(seq "$2"); do
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=nobody%s@example.com\n\n' "$1" "$i"
	done | socat -t2 - UNIX-CONNECT:$QSOCK >/dev/null
}

@test "unspecified, broadcast, multicast, mapped and reserved sources ban nothing; IPv4 still connects" {
	local a hostile=(:: ::2 ::ffff:0.0.0.0 0.0.0.0 255.255.255.255 224.0.0.1 ff02::1
		fe80::1 ::1.2.3.4 64:ff9b::0.0.0.0 ::ffff:127.0.0.1 ::1:2:3:4:5)
	start_daemon
	for a in "${hostile[@]}"; do
		guess "$a" 6
	done
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
	run -0 mail_from_client 10.77.1.1 25 10.77.1.3
	assert_output "220 mail"
	run -0 rg list --json
	refute_output --partial '"address"'
	# Each refused piece of evidence: one line and a count.
	[ "$(grep -c 'event=evidence_refused address=:: .*why=unspecified' "$DLOG")" = 6 ]
	grep -q 'event=evidence_refused address=::2 .*why=ipv4-compatible' "$DLOG"
	grep -q 'event=evidence_refused address=::1:2:3:4:5 .*why=reserved' "$DLOG"
	grep -q 'event=evidence_refused address=255.255.255.255 .*why=broadcast' "$DLOG"
	[ "$(metric rcptguard_evidence_refused_total)" = $(( ${#hostile[@]} * 6 )) ]
	# The same evidence from a real client bans it, and only it.
	guess 10.77.1.3 3
	run -0 rg list --json
	assert_output --partial '"address":"10.77.1.3"'
	run mail_from_client 10.77.1.1 25 10.77.1.3
	assert_failure
	run -0 mail_from_client 10.77.1.1 25 10.77.1.2
	assert_output "220 mail"
}

@test "a NAT64 client is counted per IPv4 address and banned as the IPv6 address it carries" {
	start_daemon
	guess 64:ff9b::198.51.100.7 2
	guess 64:ff9b::198.51.100.8 2
	run -0 rg list --json
	refute_output --partial '"address"'
	guess 64:ff9b::198.51.100.7 1
	run -0 rg list --json
	assert_output --partial '"address":"64:ff9b::c633:6407"'
	refute_output --partial '/'
}

@test "a manual ban covering the mapped space or wider than /8 or /32 needs --force" {
	start_daemon
	run -2 rg ban ::/64
	assert_output --partial "::/64 covers every IPv4 address (::ffff:0:0/96)"
	assert_output --partial "--force"
	run -2 rg ban 10.0.0.0/7
	assert_output --partial "33554432 IPv4 addresses"
	run -2 rg ban 2001:db8::/31
	run -0 rg list --json
	refute_output --partial '"address"'
	run -0 mail_from_client 10.77.1.1
	run -0 rg ban 10.0.0.0/8
	run -0 rg ban --force ::/64
	assert_output --partial "covers every IPv4 address"
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "a ban covering the mapped space in the state file is refused on load" {
	mkdir -p "$STATE"
	cat > "$STATE/state" <<-EOF
	rcptguard-state 1
	saved 1
	ban ::/64 0 2 - 1
	ban 0.0.0.0 0 2 - 1
	ban 192.0.2.9 0 2 - 1
	end 3 0
	EOF
	start_daemon
	grep -q 'event=state_ban_refused address=::/64 why=covers-ipv4-mapped' "$DLOG"
	grep -q 'event=state_ban_refused address=0.0.0.0 why=unspecified' "$DLOG"
	run -0 rg list --json
	assert_output --partial '"address":"192.0.2.9"'
	refute_output --partial '"address":"::/64"'
	refute_output --partial '"address":"0.0.0.0"'
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
}
