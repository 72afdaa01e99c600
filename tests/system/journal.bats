#!/usr/bin/env bats
# The state journal: bans and unbans made with the CLI while the daemon is
# down are kept when it starts (also from the state file after a detach or
# a reboot), and the state loads after kill -9 at any moment. run-all.sh
# runs this file once per backend (RG_BACKEND=xdp, RG_BACKEND=nft).

load lib

BACKEND=${RG_BACKEND:-xdp}

setup() {
	setup_net
	echo "backend = $BACKEND" >> "$CONF"
}

teardown() {
	teardown_net
}

listed() { rg list | grep -q "^$1 "; }
# A plain "! listed" would never fail a bats test.
unlisted() { ! rg list | grep -q "^$1 "; }
last_load() { grep 'event=state_load' "$DLOG" | tail -n 1; }

@test "$BACKEND: a ban made while the daemon is down is there after its start, and after a detach" {
	start_daemon
	stop_daemon
	run -0 rg ban 192.0.2.61 --for 1h --reason "while down"
	assert_line "banned 192.0.2.61 for 1h00m"
	start_daemon
	listed 192.0.2.61
	first_load=$(last_load)
	stop_daemon
	run -0 rg ban 192.0.2.62 --for 2h
	# detach (or a reboot) leaves only the state directory.
	rg detach >/dev/null
	start_daemon
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.61 +while down '
	assert_line --regexp '^192\.0\.2\.62 +manual .* (1h59m|2h00m)[0-9]*s? '
	# The log says what came from the journal.
	grep -q 'result=ok .* journaled=1' <<<"$first_load"
	last_load | grep -q 'result=ok bans=2 .* restored=2 .* maps=new journaled=1' || { last_load; false; }
}

@test "$BACKEND: an unban made while the daemon is down never comes back" {
	start_daemon
	rg ban 192.0.2.63 --for 1h
	rg ban 192.0.2.64 --for 1h
	stop_daemon
	grep -q '^ban 192.0.2.63 ' "$STATE/state"
	run -0 rg unban 192.0.2.63
	start_daemon
	unlisted 192.0.2.63
	listed 192.0.2.64
	first_load=$(last_load)
	stop_daemon
	rg detach >/dev/null
	start_daemon
	unlisted 192.0.2.63
	listed 192.0.2.64
	# Straight from unban to a detach, with no start between them.
	stop_daemon
	run -0 rg unban 192.0.2.64
	rg detach >/dev/null
	start_daemon
	unlisted 192.0.2.64
	# The unban was applied from the journal, and pardoned.
	grep -q 'result=ok bans=1 .* pardoned=1 .* journaled=1' <<<"$first_load"
	last_load | grep -q 'result=ok bans=0 .* maps=new journaled=1' || { last_load; false; }
}

@test "$BACKEND: kill -9 while bans change: the state always loads, every ban acknowledged a second earlier and every change made while down is kept" {
	local acked=() unbanned=() a gone list
	start_daemon
	for round in 1 2 3 4 5; do
		for i in 1 2 3 4; do
			a=192.0.2.$((round * 10 + i))
			run -0 rg ban $a --for 1h
			acked+=($a)
		done
		# The promise: a ban is journaled (and fsynced) within a second.
		sleep 1.3
		# More bans while the daemon dies: each may or may not be kept.
		( for i in $(seq 20); do rg ban 198.51.100.$((round * 20 + i)) >/dev/null 2>&1; done ) 3>&- &
		bg=$!
		sleep "0.$((RANDOM % 10))"
		stop_daemon -9
		wait $bg || true
		# With the daemon down: lift an acknowledged ban, add another.
		gone=${acked[0]}
		acked=("${acked[@]:1}" 203.0.113.$round)
		unbanned+=($gone)
		run -0 rg unban $gone
		run -0 rg ban 203.0.113.$round --for 1h
		# A reboot: the kernel's bans are gone, the state directory is left.
		rg detach >/dev/null
		start_daemon
		last_load | grep -q 'result=ok .* maps=new' || { cat "$DLOG"; false; }
		list=$(rg list)
		for a in "${acked[@]}"; do
			grep -q "^$a " <<<"$list" || { echo "round $round: lost $a"; echo "$list"; false; }
		done
		for a in "${unbanned[@]}"; do
			! grep -q "^$a " <<<"$list" || { echo "round $round: $a came back"; false; }
		done
	done
	! grep -q 'result=refused' "$DLOG" || false
}
