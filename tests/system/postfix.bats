#!/usr/bin/env bats
# A real Postfix (Debian's package) as a private instance (postfix.bash)
# with check_policy_service on rcptguardd's query socket; swaks from the
# client namespace.

load lib
load postfix

setup() {
	setup_net
	postfix_setup 2525
	start_daemon
	postfix_start
}

teardown() {
	postfix_stop
	teardown_net
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
