#!/usr/bin/env bats
# The XDP drop path end to end: real namespaces, veth, listeners, sockets.

load lib

setup() { setup_net; }
teardown() { teardown_net; }

@test "a client reaches port 25 with no ban" {
	start_daemon
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
	run -0 mail_from_client fd77:1::1
	assert_output "220 mail"
}

@test "an IPv4 ban drops port 25, keeps port 80, counts, and unban restores" {
	start_daemon
	run -0 rg ban 10.77.1.2 --for 10m --reason "test"
	assert_output "banned 10.77.1.2 for 10m00s"
	run mail_from_client 10.77.1.1
	assert_failure
	[ "$(ban_packets 10.77.1.2)" -ge 1 ]
	run -0 mail_from_client 10.77.1.1 80
	assert_output "200 web"
	run -0 rg list
	assert_line --regexp '^10\.77\.1\.2 +test +[0-9]+s +(9m|10m)[0-9]+s +[1-9][0-9]* +[1-9][0-9]*$'
	run -0 rg unban 10.77.1.2
	run -0 mail_from_client 10.77.1.1
	assert_output "220 mail"
}

@test "an IPv6 ban drops port 25 and unban restores" {
	start_daemon
	rg ban fd77:1::2
	run mail_from_client fd77:1::1
	assert_failure
	[ "$(ban_packets fd77:1::2)" -ge 1 ]
	run -0 mail_from_client fd77:1::1 80
	rg unban fd77:1::2
	run -0 mail_from_client fd77:1::1
}

@test "a /24 ban drops every client address in it" {
	start_daemon
	rg ban 10.77.1.99/24
	run -0 rg list --json
	assert_output --partial '"address":"10.77.1.0/24"'
	run mail_from_client 10.77.1.1 25 10.77.1.2
	assert_failure
	run mail_from_client 10.77.1.1 25 10.77.1.3
	assert_failure
	[ "$(ban_packets 10.77.1.0/24)" -ge 2 ]
	rg unban 10.77.1.0/24
	run -0 mail_from_client 10.77.1.1
}

@test "a /64 ban drops the client's IPv6 network" {
	start_daemon
	rg ban fd77:1::/64
	run mail_from_client fd77:1::1
	assert_failure
	run -0 mail_from_client 10.77.1.1
}

@test "an allow entry inside a banned prefix wins" {
	start_daemon
	run -0 rg allow add 10.77.1.3
	run -0 rg ban 10.77.1.0/24
	assert_output --partial "banned 10.77.1.0/24"
	run -0 mail_from_client 10.77.1.1 25 10.77.1.3
	assert_output "220 mail"
	run mail_from_client 10.77.1.1 25 10.77.1.2
	assert_failure
	run -0 rg allow list
	assert_line --regexp '^10\.77\.1\.3 +manual'
	run -0 rg allow del 10.77.1.3
	run mail_from_client 10.77.1.1 25 10.77.1.3
	assert_failure
}

@test "a ban of an allowlisted address warns that it will not drop" {
	start_daemon
	run -0 rg ban 127.0.0.1
	assert_output --partial "allow entry 127.0.0.0/8 covers 127.0.0.1"
}

@test "a 2-second ban stops dropping by itself with no daemon running" {
	start_daemon
	stop_daemon
	rg ban 10.77.1.2 --for 2s
	run mail_from_client 10.77.1.1
	assert_failure
	sleep 2
	run -0 mail_from_client 10.77.1.1
	run -0 rg list
	assert_line --regexp '^10\.77\.1\.2 .* expired '
}

@test "kill -9 of the daemon leaves every ban enforced; a restart loses none and re-adds none" {
	start_daemon
	rg ban 10.77.1.2 --for 1h
	rg ban fd77:1::/64 --for 1h
	run mail_from_client 10.77.1.1
	assert_failure
	stop_daemon -9
	run mail_from_client 10.77.1.1
	assert_failure
	run mail_from_client fd77:1::1
	assert_failure
	before=$(rg list --json)
	map_before=$(bpftool map show pinned $PIN/bans_exact | cut -d: -f1)
	start_daemon
	run -0 rg list --json
	# Same entries, creation times and counters: nothing was re-added.
	[ "$(echo "$output" | sed 's/"age_seconds":[0-9]*,//; s/"expires_in_seconds":[0-9]*,//')" = \
	  "$(echo "$before" | sed 's/"age_seconds":[0-9]*,//; s/"expires_in_seconds":[0-9]*,//')" ]
	[ "$(bpftool map show pinned $PIN/bans_exact | cut -d: -f1)" = "$map_before" ]
	grep -q 'event=attach ifname='$IF_S' mode=native link=reused' "$DLOG"
	run mail_from_client 10.77.1.1
	assert_failure
}

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
	assert_output --regexp '"interfaces":\[\{"interface":"'$IF_S'","ifindex":[0-9]+,"mode":"native","program_id":[1-9]'
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

@test "SIGHUP applies new ports; a bad config is refused and the old one stays" {
	start_daemon
	rg ban 10.77.1.2
	run -0 mail_from_client 10.77.1.1 80
	echo "port = 80" >> "$CONF"
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=ok ports=1' "$DLOG"
	run mail_from_client 10.77.1.1 80
	assert_failure
	run -0 mail_from_client 10.77.1.1 25
	echo "port = nope" >> "$CONF"
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=refused error=".*rcptguard.conf:9: port: .nope. must be a number' "$DLOG"
	run mail_from_client 10.77.1.1 80
	assert_failure
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
