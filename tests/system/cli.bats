#!/usr/bin/env bats
# Command-line errors: clear messages, documented exit codes, nothing changed.

load lib

setup() {
	rg_ids
	printf 'bpf_pin_dir = %s\n' "$PIN" > "$CONF"
}

@test "no command: usage, exit 2" {
	run -2 "$B/rcptguard"
	assert_output --partial "usage: rcptguard"
}

@test "unknown command: exit 2 names it" {
	run -2 rg frobnicate
	assert_output "rcptguard: unknown command 'frobnicate'; see 'rcptguard --help'"
}

@test "bad address: exit 2 names the argument" {
	run -2 rg ban 300.1.2.3
	assert_output "rcptguard: '300.1.2.3' is not an IPv4 or IPv6 address"
	run -2 rg ban 192.0.2.1/40
	assert_output "rcptguard: '192.0.2.1/40': prefix length must be 0..32"
	run -2 rg unban nonsense
	run -2 rg allow add 1.2.3
}

@test "bad duration: exit 2 names the argument" {
	run -2 rg ban 192.0.2.1 --for 10y
	assert_output --partial "'10y' is not a duration"
	run -2 rg ban 192.0.2.1 --for
}

@test "missing arguments and extra arguments: exit 2" {
	run -2 rg ban
	assert_output --partial "ban needs an address"
	run -2 rg allow
	run -2 rg allow frob 1.2.3.4
	run -2 rg list --yaml
	run -2 rg detach now
}

@test "no maps pinned: exit 1 and says how to create them" {
	run -1 rg list
	assert_output "rcptguard: no rcptguard maps are pinned at $PIN; start rcptguardd once to create them"
	run -1 rg ban 192.0.2.1
}

@test "a bad config file: exit 1 names file and line" {
	printf 'port = 25\nbogus = 1\n' > "$CONF"
	run -1 rg list
	assert_output "rcptguard: $CONF:2: unknown key 'bogus'"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output "rcptguardd: $CONF:2: unknown key 'bogus'"
}

@test "rcptguardd: bad option exit 2, missing config exit 1" {
	run -2 "$B/rcptguardd" -x
	run -1 "$B/rcptguardd" -t -c /nonexistent.conf
	assert_output --partial "cannot open /nonexistent.conf"
}
