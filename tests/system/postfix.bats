#!/usr/bin/env bats
# A real Postfix (Debian's package) as a private instance: its own config
# directory and queue under a temp dir, listening on the test namespace's
# veth, with check_policy_service on rcptguardd's query socket; swaks from
# the client namespace. Nothing of a system install is read or changed.

load lib

setup() {
	setup_net
	# Postfix runs as user postfix: the base must be traversable, and the
	# query socket writable by it.
	PF=$(mktemp -d /tmp/rgt-postfix.XXXXXX)
	chmod 755 "$PF"
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	QSOCK=$PF/query.sock
	DB=$PF/recipients.cdb
	printf 'bob@example.com\nlist-default@example.com\n' > "$PF/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$PF/recipients.txt" >/dev/null
	cat > "$CONF" <<-EOF
	interface = $IF_S
	bpf_pin_dir = $PIN
	query_socket = $QSOCK
	query_socket_mode = 0666
	control_socket = $PF/control.sock
	state_dir = $PF/state
	recipients = $DB
	EOF
	cat > "$PF/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PF/queue
	data_directory = $PF/data
	maillog_file = $PF/maillog
	maillog_file_prefixes = $PF
	inet_interfaces = 10.77.1.1
	inet_protocols = ipv4
	myhostname = mx.example.com
	mydestination = example.com
	mynetworks = 127.0.0.0/8
	local_recipient_maps =
	alias_maps =
	alias_database =
	local_transport = discard:
	relay_transport = discard:
	default_transport = discard:
	smtpd_relay_restrictions =
	smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service unix:$QSOCK
	EOF
	cat > "$PF/etc/master.cf" <<-EOF
	10.77.1.1:2525 inet n - n - - smtpd
	postlog   unix-dgram n - n - 1 postlogd
	cleanup   unix n - n - 0 cleanup
	qmgr      unix n - n 300 1 qmgr
	rewrite   unix - - n - - trivial-rewrite
	bounce    unix - - n - 0 bounce
	defer     unix - - n - 0 bounce
	trace     unix - - n - 0 bounce
	verify    unix - - n - 1 verify
	flush     unix n - n 1000? 0 flush
	proxymap  unix - - n - - proxymap
	anvil     unix - - n - 1 anvil
	scache    unix - - n - 1 scache
	discard   unix - - n - - discard
	EOF
	touch -d '-10 seconds' "$PF/etc/main.cf" "$PF/etc/master.cf"
	start_daemon
	run -0 in_s postfix -c "$PF/etc" start
	for i in $(seq 50); do
		in_s ss -Hltn 'sport = :2525' | grep -q . && break
		sleep 0.1
	done
}

teardown() {
	in_s postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	teardown_net
	rm -rf "$PF"
}

swaks_to() {
	in_c swaks --server 10.77.1.1:2525 --from sender@example.net --to "$1" \
		--helo client.example.net --quit-after RCPT --timeout 10
}

@test "Postfix: a valid recipient is accepted" {
	run -0 swaks_to bob@example.com
	assert_output --partial "<-  250 2.1.5 Ok"
	run -0 swaks_to list-announce@example.com
}

@test "Postfix: an unknown recipient is rejected at RCPT with 550 from rcptguardd" {
	run swaks_to nobody@example.com
	assert_failure 24
	assert_output --partial "<** 550 5.1.1 <nobody@example.com>: Recipient address rejected: no such mailbox"
	grep -q 'event=verdict verdict=unknown client="10.77.1.2" recipient="nobody@example.com"' "$DLOG"
	! grep -E 'fatal|panic' "$PF/maillog"
}

@test "Postfix: rcptguardd down, the policy client tempfails and nothing is rejected 5xx" {
	stop_daemon
	run swaks_to bob@example.com
	assert_output --partial "<** 451 4.3.5 <bob@example.com>: Recipient address rejected: Server configuration problem"
	refute_output --partial "<** 5"
}
