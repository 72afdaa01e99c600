#!/usr/bin/env bats
# Upgrades: maps pinned by an earlier release (another ban value size,
# another set of maps) or with other max_bans/max_prefix_bans/max_allow
# are carried over at start, bans enforced all along. The old maps come
# from tests/system/oldlayout.bpf.c, pinned, filled and attached by
# tests/system/oldpins (an old tree cannot be built from a tarball, and a
# pinned XDP bpf_link is beyond bpftool).

load lib

setup() {
	setup_net
	echo "backend = xdp" >> "$CONF"
	CNT=rgtcnt$ID
}
teardown() {
	[ -n "${GEN:-}" ] && kill $GEN 2>/dev/null
	in_s nft delete table inet $CNT 2>/dev/null || true
	teardown_net
}

# An earlier release running: its maps pinned and filled, its program
# attached to the server's interface. $1: the ban value size (40, 64).
old_install() {
	in_s "$B/tests/oldpins" "$B/tests/oldlayout$1.bpf.o" "$PIN" $IF_S <<-EOF
	ban 10.77.1.2 3600 2 11 1100 1700000000 guessed five rcpts
	ban fd77:1::2 0 1 7 700 1700000001 by hand, v6
	ban 10.9.0.0/16 7200 5 3 300 1700000002
	ban 2001:db8::/48 0 1 4 400 1700000003 a v6 net
	ban 192.0.2.9 -5 2 1 60 1700000004
	allow 198.51.100.7 2 1700000005
	allow 198.51.100.0/24 2 1700000006
	EOF
}

# SYNs to :25 from the banned client, v4 and v6, as fast as a loop goes,
# until killed; an nft counter behind XDP in the server's namespace counts
# those that got through.
flood_banned() {
	in_s nft -f - <<-EOF
	table inet $CNT {
		chain in { type filter hook prerouting priority -400;
			ip saddr 10.77.1.2 tcp dport 25 counter
			ip6 saddr fd77:1::2 tcp dport 25 counter
		}
	}
	EOF
	nsenter --net=/run/netns/$NS_C python3 -c '
import socket, time
while True:
    for fam, src, dst in ((socket.AF_INET, "10.77.1.2", "10.77.1.1"),
                          (socket.AF_INET6, "fd77:1::2", "fd77:1::1")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((src, 0))
        s.connect_ex((dst, 25))
        s.close()
    time.sleep(0.001)' 3>&- &
	GEN=$!
}

# Packets counted by the nft counters: those XDP let through.
passed() {
	in_s nft list table inet $CNT | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | paste -sd+ | bc
}

# A field of one ban of list --json.
ban_field() {
	rg list --json | jq -r ".[] | select(.address == \"$1\") | .$2"
}

check_carried() {
	[ "$(ban_field 10.77.1.2 reason)" = unknown-recipient ]
	[ "$(ban_field 10.77.1.2 note)" = "guessed five rcpts" ]
	[ "$(ban_field 10.77.1.2 created)" = 1700000000 ]
	[ "$(ban_field 10.77.1.2 packets)" -ge 11 ]
	[ "$(ban_field 10.77.1.2 bytes)" -ge 1100 ]
	left=$(ban_field 10.77.1.2 expires_in_seconds)
	[ "$left" -gt 3500 ] && [ "$left" -le 3600 ]
	[ "$(ban_field fd77:1::2 permanent)" = true ]
	[ "$(ban_field fd77:1::2 note)" = "by hand, v6" ]
	[ "$(ban_field fd77:1::2 packets)" -ge 7 ]
	[ "$(ban_field 10.9.0.0/16 created)" = 1700000002 ]
	[ "$(ban_field 10.9.0.0/16 reason)" = dnsbl ]
	[ "$(ban_field 10.9.0.0/16 bytes)" = 300 ]
	left=$(ban_field 10.9.0.0/16 expires_in_seconds)
	[ "$left" -gt 7100 ] && [ "$left" -le 7200 ]
	[ "$(ban_field 2001:db8::/48 note)" = "a v6 net" ]
	[ "$(ban_field 2001:db8::/48 packets)" = 4 ]
	[ -z "$(ban_field 192.0.2.9 address)" ]
	run -0 rg allow list
	assert_line --regexp "^198\.51\.100\.7 +manual"
	assert_line --regexp "^198\.51\.100\.0/24 +manual"
}

carried_across_swap() {
	old_install $1
	flood_banned
	sleep 0.5
	[ "$(passed)" = 0 ]
	start_daemon
	sleep 0.5
	kill $GEN; GEN=
	run -0 grep -c 'event=maps_migrated bans=2 prefixes=2 allows=2 notes=3 from="bans_' "$DLOG"
	grep "event=maps_migrated .* expired=1 refused=0" "$DLOG"
	# Not one SYN of the banned client got past XDP, before, during or
	# after the swap, and the new program counts the drops.
	[ "$(passed)" = 0 ]
	[ "$(ban_field 10.77.1.2 packets)" -gt 11 ]
	[ "$(ban_field fd77:1::2 packets)" -gt 7 ]
	check_carried
	run -0 rg list
	assert_line --regexp "^10\.77\.1\.2 +guessed five rcpts "
	# The new layout replaced every pin; the CLI reads it with the daemon down.
	[ ! -e "$PIN/migrating" ]
	stop_daemon
	check_carried
	run mail_from_client 10.77.1.1
	assert_failure
	run -0 mail_from_client 10.77.1.1 80
	# The counter behind XDP does count what passes.
	rg unban 10.77.1.2
	run -0 mail_from_client 10.77.1.1
	[ "$(passed)" -ge 1 ]
}

@test "bans pinned by the release before ban_action = rst (40-byte values) are carried over, enforced throughout" {
	carried_across_swap 40
	grep -q 'from="bans_prefix value_size 40, this build [0-9]*"' "$DLOG"
}

@test "bans pinned by commit abfa089's layout (64-byte values, 16-byte exact keys, other max_entries) are carried over" {
	carried_across_swap 64
}

@test "a max_bans change carries the bans over; those that no longer fit are refused, counted and logged" {
	start_daemon
	for a in 10.77.1.2 10.77.1.9 10.77.1.10 10.77.1.11 10.77.1.12; do
		rg ban --reason "n $a" $a
	done
	rg ban 10.9.0.0/16
	allows=$(rg allow list --json | jq length)
	stop_daemon
	echo "max_bans = 3" >> "$CONF"
	start_daemon
	# This build's own prefilter maps are no allow or ban entries.
	grep -q "event=maps_migrated bans=3 prefixes=1 allows=$allows notes=3 from=\"bans_[a-z0-9]* max_entries 1048576, this build 3\" expired=0 refused=2" "$DLOG"
	run -1 grep -q 'event=maps_migrate_refused map=' "$DLOG"
	grep -q 'event=maps_migrate_refused what=bans count=2 error=".*" fix="raise max_bans; the bans that did not fit are lifted"' "$DLOG"
	[ "$(rg list --json | jq length)" = 4 ]
	[ "$(ban_field 10.9.0.0/16 address)" = 10.9.0.0/16 ]
	# Raised again: the bans that fitted come along.
	stop_daemon
	sed -i 's/^max_bans = 3$/max_bans = 100/' "$CONF"
	start_daemon
	grep -q 'event=maps_migrated bans=3 prefixes=1 .* from="bans_[a-z0-9]* max_entries 3, this build 100" expired=0 refused=0' "$DLOG"
	[ "$(ban_field 10.9.0.0/16 address)" = 10.9.0.0/16 ]
}

@test "with the daemon down, the CLI refuses an old layout and says that starting the daemon carries the bans over" {
	old_install 40
	for cmd in list "ban 10.77.1.5" status; do
		run rg $cmd
		assert_failure
		assert_output --regexp "the maps pinned at $PIN were made by another rcptguard version \(bans_prefix value_size 40, this build [0-9]+\); start rcptguardd: it carries their bans over"
	done
	# backend = auto (the default) names the same cause.
	sed -i '/^backend =/d' "$CONF"
	run rg list
	assert_failure
	assert_output --regexp "were made by another rcptguard version \(bans_prefix value_size 40, this build [0-9]+\); start rcptguardd"
	start_daemon
	stop_daemon
	run -0 rg list
	assert_line --regexp "^10\.77\.1\.2 +guessed five rcpts "
}

@test "a migration that died (new maps half built, or half of the pins replaced) is redone from the old pins at the next start" {
	old_install 40
	# Died while building: the staging directory holds a part of the bans.
	"$B/tests/oldpins" "$B/tests/oldlayout64.bpf.o" "$PIN/migrating" <<-EOF
	ban 10.77.1.2 60 1 0 0 1
	EOF
	# Died while replacing the pins: bans_prefix already is a new one.
	"$B/tests/oldpins" "$B/tests/oldlayout64.bpf.o" "$PIN-new" <<-EOF
	ban 10.9.0.0/16 7200 5 3 300 1700000002
	ban 2001:db8::/48 0 1 4 400 1700000003 a v6 net
	EOF
	mv "$PIN-new/bans_prefix" "$PIN/bans_prefix"
	rm -rf "$PIN-new"
	start_daemon
	grep -q "event=maps_migrated bans=2 prefixes=2 allows=2 notes=3 " "$DLOG"
	check_carried
	[ ! -e "$PIN/migrating" ]
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "a ban map of a shape no rule reads is refused with a line, and the state file puts back the bans it knows" {
	start_daemon
	rg ban 10.77.1.2
	rg ban --reason "kept by the state" fd77:1::2
	stop_daemon
	rm "$PIN/bans_v4"
	bpftool map create "$PIN/bans_v4" type hash key 8 value 40 entries 16 name bans_v4
	start_daemon
	grep -q 'event=maps_migrate_refused map=bans_v4 entries=0 key_size=8 value_size=40 map_type=1 why="its key is not an address"' "$DLOG"
	grep -q 'event=maps_migrated bans=1 prefixes=0 .* from="bans_v4 key_size 8, this build 4"' "$DLOG"
	grep -q 'event=state_load result=ok bans=2 .* restored=2 ' "$DLOG"
	[ "$(ban_field fd77:1::2 note)" = "kept by the state" ]
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "a daemon killed while it replaces the pins (some new, some old) loses no ban: the next start carries them again" {
	old_install 40
	flood_banned
	# Stopped at the fourth pin it moves, then SIGKILL: no chance to tidy up.
	in_s gdb -batch -nx -ex 'break migrate_commit' -ex run -ex 'break rename' \
		-ex 'ignore 2 3' -ex continue -ex 'info args' -ex kill \
		--args "$B/rcptguardd" -f -c "$CONF" >"$BATS_TEST_TMPDIR/gdb.log" 2>&1 3>&-
	grep -q "^Breakpoint 2[.0-9]*, rename " "$BATS_TEST_TMPDIR/gdb.log"
	# Three pins moved, the rest still in the staging directory.
	left=$(ls "$PIN/migrating" | wc -l)
	[ "$left" -ge 1 ]
	start_daemon
	kill $GEN; GEN=
	grep -q "event=maps_migrated bans=2 prefixes=2 allows=2 notes=3 " "$DLOG"
	[ "$(passed)" = 0 ]
	check_carried
	[ ! -e "$PIN/migrating" ]
}

@test "while a starting daemon carries the maps over, the CLI changes no entry beside it and says so" {
	start_daemon
	rg ban 10.77.1.2
	stop_daemon
	echo "max_allow = 1000" >> "$CONF"
	# Held just before it reads the old maps; the CLI runs meanwhile.
	in_s gdb -batch -nx -ex 'break migrate_carry' -ex run \
		-ex "shell $B/rcptguard -c $CONF allow add 10.77.1.2 >$BATS_TEST_TMPDIR/cli 2>&1; echo \$? >$BATS_TEST_TMPDIR/rc" \
		-ex "shell $B/rcptguard -c $CONF unban 10.77.1.2 >>$BATS_TEST_TMPDIR/cli 2>&1; echo \$? >>$BATS_TEST_TMPDIR/rc" \
		-ex kill --args "$B/rcptguardd" -f -c "$CONF" >"$BATS_TEST_TMPDIR/gdb.log" 2>&1 3>&-
	grep -q "^Breakpoint 1[.0-9]*, migrate_carry " "$BATS_TEST_TMPDIR/gdb.log"
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "$(printf '1\n1')" ]
	[ "$(grep -c 'is locked by another rcptguardd or rcptguard .*; nothing was changed' "$BATS_TEST_TMPDIR/cli")" = 2 ]
	start_daemon
	run -1 grep -q '"10.77.1.2"' <(rg allow list --json)
	[ "$(ban_field 10.77.1.2 address)" = 10.77.1.2 ]
	run mail_from_client 10.77.1.1
	assert_failure
}
