#!/usr/bin/env bats
# What only the nft backend has: its own table next to an admin's ruleset,
# setup that is idempotent, the hooks, and bulk loads.

load lib

setup() {
	setup_net
	echo "backend = nft" >> "$CONF"
}

teardown() { teardown_net; }

# The ruleset without rcptguard's table and without counter values.
others() {
	in_s nft list ruleset | awk '/^table inet rcptguard /{skip=1} skip&&/^}/{skip=0; next} !skip' |
		sed 's/counter packets [0-9]* bytes [0-9]*/counter/'
}

ours() {
	# Rule order may differ after a rebuild; the rules may not.
	in_s nft list table inet rcptguard | sed 's/counter packets [0-9]* bytes [0-9]*/counter/;
		s/expires [0-9hms]*//' | sort
}

@test "an admin's own tables survive setup, reload, restart and detach untouched" {
	in_s nft -f - <<-EOF
	table inet admin {
		set friends { type ipv4_addr; elements = { 192.0.2.7 } }
		chain input { type filter hook input priority 0; policy accept; tcp dport 22 counter accept; }
	}
	table ip filter { chain forward { type filter hook forward priority 0; policy drop; }; }
	EOF
	before=$(others)
	start_daemon
	rg ban 10.77.1.2
	[ "$(others)" = "$before" ]
	first=$(ours)
	rg reload
	[ "$(ours)" = "$first" ]
	[ "$(others)" = "$before" ]
	stop_daemon
	start_daemon
	# Twice set up leaves one of everything, bans included.
	[ "$(ours)" = "$first" ]
	[ "$(in_s nft list chain inet rcptguard ingress | grep -c 'comment "ban4_32"')" = 1 ]
	stop_daemon
	run -0 rg detach
	assert_line "removed nftables table inet rcptguard with every ban in it"
	run -1 in_s nft list table inet rcptguard
	[ "$(others)" = "$before" ]
}

@test "bans show in nft list with their timeout, counter and comment" {
	start_daemon
	rg ban 10.77.1.2 --for 10m --reason "dictionary run"
	run mail_from_client 10.77.1.1
	run -0 in_s nft list set inet rcptguard ban4_32
	assert_output --regexp '10\.77\.1\.2 counter packets [1-9][0-9]* bytes [1-9][0-9]* timeout 10m expires [0-9m]+s[0-9]*m?s? comment "manual [0-9]+ dictionary run"'
	run -0 in_s nft list chain inet rcptguard ingress
	assert_output --partial "type filter hook ingress device \"$IF_S\" priority -500; policy accept;"
	run -0 rg status
	assert_line "nftables:  table inet rcptguard, chain ingress"
}

@test "extending a ban refreshes its kernel expiry and keeps its counter" {
	start_daemon
	rg ban 10.77.1.2 --for 3s
	run mail_from_client 10.77.1.1
	p=$(ban_packets 10.77.1.2)
	[ "$p" -ge 1 ]
	rg ban 10.77.1.2 --for 1h
	sleep 3
	run mail_from_client 10.77.1.1
	assert_failure
	[ "$(ban_packets 10.77.1.2)" -gt "$p" ]
	run -0 in_s nft list set inet rcptguard ban4_32
	assert_output --regexp 'timeout 1h expires (59m|1h)'
}

@test "nft_hook = prerouting drops at raw priority" {
	echo "nft_hook = prerouting" >> "$CONF"
	start_daemon
	rg ban 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
	run -0 mail_from_client 10.77.1.1 80
	run -0 in_s nft list chain inet rcptguard prerouting
	assert_output --partial "type filter hook prerouting priority raw; policy accept;"
	# Switching hooks leaves no chain of the old one behind.
	sed -i 's/^nft_hook = prerouting/nft_hook = ingress/' "$CONF"
	stop_daemon
	start_daemon
	run -1 in_s nft list chain inet rcptguard prerouting
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "a bad interface for the ingress hook is a clear error" {
	echo "interface = nosuch0" >> "$CONF"
	run in_s "$B/rcptguardd" -f -c "$CONF"
	assert_failure 1
	assert_output --partial "cannot hook ingress on nosuch0: no such interface"
}

@test "200,000 saved bans load in batches, and a restart re-adds none of them" {
	mkdir -p "$STATE"
	now=$(date +%s)
	awk -v until=$((now + 3600)) -v now=$now 'BEGIN {
		print "rcptguard-state 1"; print "saved " now
		for (i = 0; i < 200000; i++)
			printf "ban 10.%d.%d.%d %d 1 -\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, until
		print "end 200000 0" }' > "$STATE/state"
	start_daemon
	grep -q 'event=state_load result=ok bans=200000 offenders=0 restored=200000 pardoned=0 maps=new' "$DLOG" || { tail "$DLOG"; false; }
	! grep -qi "message too long" "$DLOG"
	run -0 rg status --json
	assert_output --partial '"bans_exact":200000'
	stop_daemon
	start_daemon
	grep -q 'event=state_load result=ok bans=200000 offenders=0 restored=0 pardoned=0 maps=kept' "$DLOG"
	run -0 rg status --json
	assert_output --partial '"bans_exact":200000'
}

# The ban lines of the state file without their expiries (recomputed at
# every save, to the second).
saved_bans() { awk '$1 == "ban" { $3 = ""; print }' "$STATE/state" | sort; }
last_load() { grep 'event=state_load' "$DLOG" | tail -n 1; }

@test "a restart after no nf_tables change anywhere takes the bans from the state file; any change makes it read the kernel" {
	start_daemon
	rg ban 10.77.1.2 --for 1h --reason "kept as saved"
	rg ban fd77:1::/64 --for 1h
	rg ban 10.77.1.3 --for 2s
	rg ban 10.77.1.4 --for 5s
	stop_daemon
	# The save carries the nf_tables generation it matches, with the table,
	# boot and network namespace it counts in.
	grep -Eq "^saved [0-9]+ nft/rcptguard/$(cat /proc/sys/kernel/random/boot_id)/[0-9a-f]+/[0-9]+\$" \
		"$STATE/state"
	before=$(saved_bans)
	# The 2-second ban expires in the kernel meanwhile: no commit, no change.
	sleep 3
	start_daemon
	last_load | grep -q 'bans=4 .* restored=0 pardoned=0 maps=kept read=state' || { last_load; false; }
	# The copy taken from the file is the daemon's: it knows the bans (a
	# new ban of one keeps its creation time), logs the expiry of one, and
	# saves the rest again as they were.
	run -0 rg ban 10.77.1.2 --for 1h --reason "kept as saved"
	run mail_from_client 10.77.1.1
	assert_failure
	for i in $(seq 50); do grep -q 'event=expire address=10.77.1.4 ' "$DLOG" && break; sleep 0.2; done
	grep -q 'event=expire address=10.77.1.4 ' "$DLOG"
	stop_daemon
	[ "$(saved_bans)" = "$(echo "$before" | grep -v '10.77.1.[34] ')" ]
	# The CLI changes the table while the daemon is down: read the kernel.
	rg unban fd77:1::/64 >/dev/null
	start_daemon
	last_load | grep -q 'bans=1 .* pardoned=1 maps=kept read=state reconcile=background journaled=1' || { last_load; false; }
	stop_daemon
	start_daemon
	last_load | grep -q 'maps=kept read=state' || { last_load; false; }
	stop_daemon
	# Someone else's table changes the generation too.
	in_s nft add table ip elsewhere
	start_daemon
	last_load | grep -q 'bans=1 .* pardoned=0 maps=kept read=state reconcile=background' || { last_load; false; }
	# So does a change while the daemon runs: its next save has no generation.
	in_s nft delete table ip elsewhere
	rg ban 192.0.2.5
	stop_daemon
	grep -Eq '^saved [0-9]+$' "$STATE/state"
	start_daemon
	last_load | grep -q 'bans=2 .* maps=kept read=state reconcile=background' || { last_load; false; }
	stop_daemon
	# Another table of ours that nothing touched since is not the one saved.
	echo "nft_table = rgother" >> "$CONF"
	start_daemon
	rg ban 10.77.1.9 >/dev/null
	stop_daemon
	sed -i '/^nft_table = rgother$/d' "$CONF"
	start_daemon
	stop_daemon
	echo "nft_table = rgother" >> "$CONF"
	start_daemon
	last_load | grep -q 'maps=kept read=state reconcile=background' || { last_load; false; }
}
