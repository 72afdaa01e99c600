#!/usr/bin/env bats
# A restart after someone else changed nf_tables: the daemon is ready at
# once with the state file's bans, and reads its table back on a thread
# (minutes at a million bans: the kernel's dump is quadratic). The read
# must reach what the kernel holds, with the daemon's own changes of
# meanwhile winning. 200,000 bans make the read take seconds, so the CLI
# can act while it runs.

load lib

setup() {
	setup_net
	echo "backend = nft" >> "$CONF"
}

teardown() { teardown_net; }

BULK=200000

# A state file with BULK bans for an hour, loaded into a fresh table.
bulk_start() {
	mkdir -p "$STATE"
	now=$(date +%s)
	awk -v until=$((now + 3600)) -v now=$now -v n=$BULK 'BEGIN {
		print "rcptguard-state 1"; print "saved " now
		for (i = 0; i < n; i++)
			printf "ban 10.%d.%d.%d %d 1 -\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, until
		print "end " n " 0" }' > "$STATE/state"
	start_daemon
}

last_load() { grep 'event=state_load' "$DLOG" | tail -n 1; }
reconciled() { grep 'event=reconcile ' "$DLOG" | tail -n 1; }
wait_reconciled() {
	local i
	for i in $(seq 1200); do
		grep -q 'event=reconcile ' "$DLOG" && return 0
		kill -0 $DPID 2>/dev/null || break
		sleep 0.1
	done
	tail "$DLOG"
	return 1
}
# Is ADDR an element of ban4_32 in the kernel? (nft get asks for one.)
in_kernel() { in_s nft get element inet rcptguard ban4_32 "{ $1 }" >/dev/null 2>&1; }
in_state() { grep -q "^ban $1 " "$STATE/state"; }

@test "after a foreign change: ready from the state file, the kernel read back in the background, the CLI's changes meanwhile win" {
	bulk_start
	rg ban 10.77.1.2 --for 1h >/dev/null                     # unbanned during the read
	rg ban 10.77.1.3 --for 1h >/dev/null                     # unbanned by the CLI while down
	rg ban 10.77.1.4 --for 1h >/dev/null                     # deleted by nft while down
	rg ban 192.0.2.9 --for 1h --reason "as saved" >/dev/null  # renoted by nft while down
	stop_daemon
	rg unban 10.77.1.3 >/dev/null
	rg ban 10.77.1.5 --for 1h >/dev/null                     # banned by the CLI while down
	created=$(in_s nft list set inet rcptguard ban4_32 | grep -F '192.0.2.9 ' | sed 's/.*comment "manual \([0-9]*\).*/\1/')
	in_s nft -f - <<-EOF
	delete element inet rcptguard ban4_32 { 10.77.1.4 }
	delete element inet rcptguard ban4_32 { 192.0.2.9 }
	add element inet rcptguard ban4_32 { 192.0.2.9 timeout 2h comment "manual $created renoted" }
	add element inet rcptguard ban4_32 { 198.51.100.7 timeout 1h comment "manual 1700000000 by hand" }
	add table ip elsewhere
	EOF
	start_daemon
	last_load | grep -q "bans=$((BULK + 4)) .* pardoned=1 maps=kept read=state reconcile=background journaled=2" ||
		{ last_load; false; }
	run -0 rg ban 203.0.113.8 --for 1h
	run -0 rg unban 10.77.1.2
	# Both while the read ran; status asks the daemon first (then counts
	# the kernel's bans itself, which takes a while).
	! grep -q 'event=reconcile ' "$DLOG" || { reconciled; false; }
	run -0 rg status
	assert_line --regexp "^reconcile: reading the kernel's bans back for [0-9]+ s"
	wait_reconciled
	reconciled | grep -q "result=ok backend=nft bans=$((BULK + 4)) added=1 removed=1 updated=1 pardoned=1 changed_meanwhile=2 rewritten=0 refused=0 elapsed_ms=[0-9]* merge_ms=[0-9]* longest_turn_ms=[0-9]*$" ||
		{ reconciled; false; }
	grep -q 'event=pardon address=10.77.1.4 why=unbanned_while_daemon_was_down' "$DLOG"
	run -0 rg status
	refute_line --partial "reconcile:"
	# The kernel, the daemon's list and its saved state agree.
	for a in 10.77.1.5 192.0.2.9 198.51.100.7 203.0.113.8 10.100.0.0 10.103.13.63; do
		in_kernel $a || { echo "$a missing from the kernel"; false; }
		in_state $a || { echo "$a missing from the state"; false; }
	done
	for a in 10.77.1.2 10.77.1.3 10.77.1.4; do
		! in_kernel $a || { echo "$a in the kernel"; false; }
		! in_state $a || { echo "$a in the state"; false; }
	done
	grep -q '^ban 192.0.2.9 [0-9]* [0-9]* renoted ' "$STATE/state" || { grep 192.0.2.9 "$STATE/state"; false; }
	# The unban during the read deleted an element: no proof, the next
	# start reads again (the dump may have skipped one).
	grep -Eq '^saved [0-9]+$' "$STATE/state" || { grep '^saved' "$STATE/state"; false; }
	rg list --json > "$BATS_TEST_TMPDIR/list"
	[ "$(grep -c '"address"' "$BATS_TEST_TMPDIR/list")" = $((BULK + 4)) ]
	for a in 10.77.1.5 192.0.2.9 198.51.100.7 203.0.113.8; do
		grep -qF "\"address\":\"$a\"" "$BATS_TEST_TMPDIR/list"
	done
	grep -F '"address":"198.51.100.7"' "$BATS_TEST_TMPDIR/list" | grep -q '"note":"by hand"'
}

@test "a stop during the background read is prompt and clean, and the next start reads again" {
	bulk_start
	stop_daemon
	in_s nft add table ip elsewhere
	start_daemon
	last_load | grep -q 'read=state reconcile=background' || { last_load; false; }
	t0=$(date +%s%N)
	stop_daemon
	stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$stop_ms" -lt 3000 ] || { echo "stopped after $stop_ms ms"; false; }
	grep -q 'event=stop ' "$DLOG"
	! grep -q 'event=reconcile ' "$DLOG"
	! grep -Eq 'level=(err|crit)' "$DLOG" || { grep -E 'level=(err|crit)' "$DLOG"; false; }
	# Saved without a proof: the read was not done.
	grep -Eq '^saved [0-9]+$' "$STATE/state"
	start_daemon
	last_load | grep -q "bans=$BULK .* read=state reconcile=background" || { last_load; false; }
	wait_reconciled
	reconciled | grep -q 'result=ok .* added=0 removed=0 updated=0 pardoned=0 ' || { reconciled; false; }
}

@test "a table flushed during the read fails the read: nothing is pardoned" {
	bulk_start
	stop_daemon
	in_s nft add table ip elsewhere
	start_daemon
	last_load | grep -q 'read=state reconcile=background' || { last_load; false; }
	sleep 0.5                       # the dump under way
	in_s nft flush ruleset
	wait_reconciled
	reconciled | grep -q 'result=failed' || { reconciled; false; }
	! grep -q 'event=pardon' "$DLOG" || { grep -c 'event=pardon' "$DLOG"; false; }
}

@test "unban --all during the read leaves no ban, not even one only the kernel had" {
	bulk_start
	stop_daemon
	in_s nft add element inet rcptguard ban4_32 "{ 198.51.100.7 timeout 1h comment \"manual 1700000000 by hand\" }"
	start_daemon
	last_load | grep -q 'read=state reconcile=background' || { last_load; false; }
	run -0 rg unban --all
	! grep -q 'event=reconcile ' "$DLOG" || { reconciled; false; }
	wait_reconciled
	reconciled | grep -q 'result=ok' || { reconciled; false; }
	! in_kernel 198.51.100.7 || { echo "198.51.100.7 in the kernel"; false; }
	! in_kernel 10.100.0.0
	rg list --json > "$BATS_TEST_TMPDIR/list"
	! grep -q '"address"' "$BATS_TEST_TMPDIR/list" || { head -c 300 "$BATS_TEST_TMPDIR/list"; false; }
}
