#!/bin/sh
# rst_cost.sh - part of make bench: what one connection attempt of a
# banned client costs with ban_action = drop and with rst, per backend:
# bytes in and out on the server's veth, and the time until the client's
# connect() gives up. The client is a real TCP client (the kernel's own
# SYN retries); its namespace's net.ipv4.tcp_syn_retries is lowered to
# RETRIES to keep the run short (the kernel's default is 6: 127 s).
# Usage: rst_cost.sh RETRIES
set -eu
RETRIES=${1:-2}
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
S=rgr-s$id
C=rgr-c$id
bench_setup rgrst
veth_pair "$S" rgrs "$C" rgrc
nsenter --net=/run/netns/$S ip addr add 10.91.0.1/24 dev rgrs
nsenter --net=/run/netns/$C ip addr add 10.91.0.2/24 dev rgrc
nsenter --net=/run/netns/$C sysctl -qw net.ipv4.tcp_syn_retries="$RETRIES"
# Real checksums from the client; XDP_TX into a veth needs a program on
# the peer (ours, no port protected: it passes everything).
nsenter --net=/run/netns/$C ethtool -K rgrc tx off >/dev/null
bpftool prog load "$B/rcptguard.bpf.o" "/sys/fs/bpf/rgr-peer-$id" type xdp
nsenter --net=/run/netns/$C bpftool net attach xdpdrv pinned "/sys/fs/bpf/rgr-peer-$id" dev rgrc
rm -f "/sys/fs/bpf/rgr-peer-$id"
nsenter --net=/run/netns/$S socat TCP-LISTEN:25,fork,reuseaddr SYSTEM:true 3>&- &
lpid=$!
cleanup_more() { kill $lpid 2>/dev/null; }

inside() { nsenter --net=/run/netns/$S "$@"; }
# The SYNs the ban met (its packet counter) and the RSTs the server sent.
# Frames on this veth: a SYN of Linux's (MSS, SACK, timestamps, window
# scale) is 74 bytes, a RST 54 (IPv4, no VLAN tag). Interface counters
# would add neighbour traffic and count XDP and stack paths differently.
syns() {
	inside "$B/rcptguard" -c "$dir/conf" list --json |
		sed -n 's/.*"address":"10.91.0.2".*"packets":\([0-9]*\).*/\1/p'
}
rsts() {
	inside "$B/rcptguard" -c "$dir/conf" stats --prometheus |
		awk '$1 == "rcptguard_rst_sent_total" { print $2 }'
}

for backend in xdp nft; do
	for action in drop rst; do
		cat > "$dir/conf" <<EOF2
interface = rgrs
bpf_pin_dir = /sys/fs/bpf/rgr-$id
query_socket = $dir/query.$backend.$action.sock
control_socket = $dir/control.$backend.$action.sock
state_dir = $dir/state.$backend.$action
user = root
nft_table = $NFT_TABLE
backend = $backend
ban_action = $action
EOF2
		: > "$dir/log"
		# nsenter itself, not inside(): $! must be the daemon.
		nsenter --net=/run/netns/$S "$B/rcptguardd" -f -c "$dir/conf" >"$dir/log" 2>&1 3>&- &
		dpid=$!
		wait_log "$dir/log" "event=start "
		grep -q "event=start .*backend=" "$dir/log" || { cat "$dir/log"; exit 1; }
		# Unbanned first: the neighbour entries are made, not counted.
		nsenter --net=/run/netns/$C socat -T1 - TCP:10.91.0.1:25 </dev/null
		sleep 0.5
		inside "$B/rcptguard" -c "$dir/conf" ban 10.91.0.2 >/dev/null
		t=$(nsenter --net=/run/netns/$C python3 -c '
import socket, time
s = socket.socket()
t = time.monotonic()
try:
    s.connect(("10.91.0.1", 25))
except OSError:
    pass
print(int((time.monotonic() - t) * 1000))')
		in=$((74 * $(syns)))
		out=$((54 * $(rsts)))
		echo "$backend $action: $(syns) SYNs, bytes in $in, out $out, client gave up after $t ms"
		record "rst.$backend.$action.bytes_in" $in B "one banned connect() ($backend, ban_action = $action, tcp_syn_retries $RETRIES): bytes in"
		record "rst.$backend.$action.bytes_out" $out B "the same: bytes out"
		record "rst.$backend.$action.give_up_ms" "$t" ms "the same: until the client's connect() gives up"
		kill "$dpid" 2>/dev/null || { cat "$dir/log"; exit 1; }
		wait "$dpid" 2>/dev/null || true
		dpid=
		"$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
		inside "$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
	done
done
