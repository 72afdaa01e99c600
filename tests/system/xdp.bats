#!/usr/bin/env bats
# What only the XDP backend has: modes, links, pins, bpffs, foreign
# programs, and the fallback of backend = auto. The drops themselves are
# tested for every backend in enforce.bats.

load lib

setup() {
	setup_net
	echo "backend = xdp" >> "$CONF"
}
teardown() { teardown_net; }

@test "generic mode works when native is not used" {
	echo "xdp_mode = generic" >> "$CONF"
	start_daemon
	run -0 rg status
	assert_line --regexp "^$IF_S +[0-9]+ +generic +[0-9]+ "
	rg ban 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
	[ "$(ban_packets 10.77.1.2)" -ge 1 ]
}

@test "status names interface, mode, program and counts" {
	start_daemon
	rg ban 10.77.1.2
	rg ban 10.9.0.0/16
	run -0 rg status
	assert_line --regexp "^$IF_S +[0-9]+ +native +[1-9][0-9]* +[0-9]+s$"
	assert_line "bans:      1 addresses, 1 prefixes"
	assert_line "ports:     25 465 587"
	run -0 rg status --json
	[ "$(jq -r ".interfaces[] | select(.interface == \"$IF_S\") | .mode" <<< "$output")" = native ]
	[ "$(jq '.interfaces[0].program_id' <<< "$output")" -gt 0 ]
}

@test "the daemon refuses to replace an XDP program it did not attach" {
	bpftool prog load "$B/rcptguard.bpf.o" $PIN-foreign type xdp
	in_s bpftool net attach xdpgeneric pinned $PIN-foreign dev $IF_S
	id=$(bpftool prog show pinned $PIN-foreign | head -1 | cut -d: -f1)
	rm -f $PIN-foreign
	run in_s "$B/rcptguardd" -f -c "$CONF"
	assert_failure 1
	assert_output --partial "cannot attach to $IF_S: another XDP program (id $id) is attached"
	in_s bpftool net detach xdpgeneric dev $IF_S
}

@test "backend = auto falls back to nft when another XDP program is attached" {
	sed -i '/^backend =/d' "$CONF"
	bpftool prog load "$B/rcptguard.bpf.o" $PIN-foreign type xdp
	in_s bpftool net attach xdpgeneric pinned $PIN-foreign dev $IF_S
	rm -f $PIN-foreign
	start_daemon
	grep -q "event=backend_fallback from=xdp to=nft error=\"cannot attach to $IF_S: another XDP program" "$DLOG"
	grep -q "event=start .* backend=nft " "$DLOG"
	rg ban 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
	[ "$(ban_packets 10.77.1.2)" -ge 1 ]
	in_s bpftool net detach xdpgeneric dev $IF_S
}

@test "backend = auto picks XDP native when it works" {
	sed -i '/^backend =/d' "$CONF"
	start_daemon
	grep -q "event=attach ifname=$IF_S mode=native" "$DLOG"
	grep -q "event=start .* backend=xdp " "$DLOG"
	! grep -q "event=backend_fallback" "$DLOG"
}

@test "detach removes the program and every pin" {
	start_daemon
	stop_daemon
	rg ban 10.77.1.2
	run -0 rg detach
	assert_line "detached $IF_S"
	[ ! -e "$PIN" ]
	run -0 mail_from_client 10.77.1.1
	run -0 in_s bpftool net show dev $IF_S
	refute_output --partial "rcptguard_xdp"
}

@test "the daemon attaches to the default-route interface when none is configured" {
	printf 'bpf_pin_dir = %s\nquery_socket = %s\ncontrol_socket = %s\nstate_dir = %s\nuser = root\n' \
		"$PIN" "$QSOCK" "$CSOCK" "$STATE" > "$CONF"
	in_s ip route add default via 10.77.1.2
	start_daemon
	grep -q "event=attach ifname=$IF_S " "$DLOG"
}

@test "without -f the daemon reports success only once attached, then runs in the background" {
	run -0 in_s "$B/rcptguardd" -c "$CONF"
	run -0 rg status
	assert_line --regexp "^$IF_S +[0-9]+ +native "
	DPID=$(pgrep -f "rcptguardd -c $CONF")
	[ -n "$DPID" ]
}

@test "the daemon mounts bpffs when it is missing" {
	# A private mount namespace without bpffs: the daemon must mount it.
	run -0 unshare -m --propagation private sh -c "
		umount -l /sys/fs/bpf 2>/dev/null
		! mountpoint -q /sys/fs/bpf || exit 9
		nsenter --net=/run/netns/$NS_S '$B/rcptguardd' -f -c '$CONF' >'$DLOG' 2>&1 &
		pid=\$!
		for i in \$(seq 100); do grep -q 'event=start ' '$DLOG' && break; sleep 0.05; done
		mountpoint -q /sys/fs/bpf && '$B/rcptguard' -c '$CONF' status
		kill \$pid; wait \$pid"
	assert_line --regexp "^$IF_S +[0-9]+ +native "
}

@test "detach removes pins another version made (only maps this version lacks or sizes otherwise), so the next start works" {
	mkdir -p $PIN
	bpftool map create $PIN/bans_v9 type hash key 4 value 40 entries 16 name bans_v9
	bpftool map create $PIN/stats type percpu_array key 4 value 8 entries 1 name stats
	run -0 rg detach
	assert_line "removed the XDP program and every pinned map under $PIN"
	[ ! -e $PIN ]
	start_daemon
	rg ban 10.77.1.2
	run mail_from_client 10.77.1.1
	assert_failure
}

@test "prefilter maps missing beside pinned bans and allow entries: the bans are carried into new maps and counted" {
	start_daemon
	rg ban 10.77.1.2
	stop_daemon
	# As after an upgrade from pins without prefilters: the pinned bans
	# stay, the prefilters are made anew and must learn them.
	rm $PIN/prefilter_v4 $PIN/prefilter_v4_count $PIN/prefilter_allow_v4 $PIN/prefilter_allow_v4_count
	start_daemon
	grep -q 'event=maps_migrated bans=1 ' "$DLOG"
	run mail_from_client 10.77.1.1
	assert_failure
	rg allow add 10.77.1.2
	stop_daemon
	rm $PIN/prefilter_v4 $PIN/prefilter_v4_count $PIN/prefilter_allow_v4 $PIN/prefilter_allow_v4_count
	start_daemon
	run -0 mail_from_client 10.77.1.1
}
