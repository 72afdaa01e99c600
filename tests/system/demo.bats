#!/usr/bin/env bats
# make demo must keep working and clean up after itself.

load lib

@test "the demo shows the attack rejected, banned, dropped and unbanned, then cleans up" {
	run -0 timeout 60 bash "$TOP/tests/demo/demo.sh"
	assert_output --partial "<** 550 5.1.1 <a1@example.com>: Recipient address rejected: no such mailbox"
	assert_output --partial "<** 421 4.7.0 <a5@example.com>"
	assert_line "port 25, try 1: no answer"
	assert_line "port 80: HTTP/1.0 200 OK"
	assert_output --partial "250 2.1.5 Ok"
	# It ends with what the ban saved: bytes and processes.
	assert_line --regexp '^dropped:   [1-9][0-9]* packets, [1-9][0-9]* bytes, in the driver: no socket, no process$'
	assert_line --regexp '^bandwidth: about [1-9][0-9]* bytes saved '
	assert_line "processes: 3 smtpd processes never started: each connection the bot tried"
	run ip netns list
	refute_output --partial "rgdemo"
	run ls /sys/fs/bpf
	refute_output --partial "rgdemo"
	run ls /tmp
	refute_output --partial "rgdemo."
}
