#!/bin/sh
# flood.sh - part of make bench: a SYN flood to :25 over veth from a banned
# source, sent with live frames (flood.c) from the sender's namespace on
# CPU 0, received by each backend in turn; prints the drop rate of each and
# the ratios, all measured in this one run. Usage: flood.sh SECONDS BANS
set -eu
T=$1
NBANS=$2
cd "$(dirname "$0")/../.."
B=build
id=$$
S=rgf-s$id
R=rgf-r$id
dir=$(mktemp -d /tmp/rgflood.XXXXXX)
cleanup() {
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	"$B/rcptguard" --pin-dir "/sys/fs/bpf/rgf-$id" detach >/dev/null 2>&1 || true
	ip netns del "$S" 2>/dev/null || true
	ip netns del "$R" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
ip netns add "$S"
ip netns add "$R"
ip link add rgfa netns "$S" type veth peer name rgfb netns "$R"
nsenter --net=/run/netns/$S sh -c 'ip link set rgfa up; ip addr add 10.88.0.2/24 dev rgfa'
# GRO gives the receiving veth a NAPI poll, so frames reach the stack (and nft).
nsenter --net=/run/netns/$R sh -c 'ip link set lo up; ip link set rgfb up
	ip addr add 10.88.0.1/24 dev rgfb; ethtool -K rgfb gro on >/dev/null'
mac=$(nsenter --net=/run/netns/$R ip -o link show rgfb | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/')
# The flood's source and NBANS-1 other addresses, as a state file to restore.
now=$(date +%s)
awk -v n="$NBANS" -v until=$((now + 3600)) -v now="$now" 'BEGIN {
	print "rcptguard-state 1"; print "saved " now
	print "ban 10.88.0.2 " until " 1 -"
	for (i = 1; i < n; i++)
		printf "ban 10.%d.%d.%d %d 1 -\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, until
	print "end " n " 0" }' > "$dir/state.saved"

rcv() { nsenter --net=/run/netns/$R "$@"; }
dropped() {
	nsenter --net=/run/netns/$R "$B/rcptguard" -c "$dir/conf" stats --prometheus 2>/dev/null | awk '$1 == "rcptguard_dropped_packets_total" { print $2 }'
}

# run_case NAME CONFIG-LINES: start the daemon with them, flood, report.
run_case() {
	name=$1
	shift
	mkdir -p "$dir/state"
	cp "$dir/state.saved" "$dir/state/state"
	{
		echo "interface = rgfb"
		echo "bpf_pin_dir = /sys/fs/bpf/rgf-$id"
		echo "query_socket = $dir/q.sock"
		echo "control_socket = $dir/c.sock"
		echo "state_dir = $dir/state"
		echo "user = root"
		echo "allow_own_addresses = no"
		for l in "$@"; do echo "$l"; done
	} > "$dir/conf"
	# nsenter itself, not a function: $! must be the daemon.
	nsenter --net=/run/netns/$R "$B/rcptguardd" -f -c "$dir/conf" 2>"$dir/log" &
	dpid=$!
	i=0
	until grep -q 'event=start ' "$dir/log" || [ $i -gt 3000 ]; do sleep 0.05; i=$((i + 1)); done
	# The kernel enforces without the daemon: stop it, so that only the
	# receiver's packet path runs, and read the counters directly.
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
	dpid=
	before=$(dropped)
	nsenter --net=/run/netns/$S taskset -c 0 "$B/tests/flood" "$B/tests/xdp_tx.bpf.o" rgfa \
		10.88.0.2 10.88.0.1 "$T" "$mac" >"$dir/flood.out"
	after=$(dropped)
	"$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
	rm -rf "$dir/state"
	secs=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' "$dir/flood.out")
	rate=$(echo "$after $before $secs" | awk '{ printf "%.2f", ($1 - $2) / $3 / 1e6 }')
	printf '%-28s %8s Mpps dropped  (%s)\n' "$name" "$rate" "$(cat "$dir/flood.out")"
	echo "$name $rate" >> "$dir/rates"
}

: > "$dir/rates"
run_case "xdp native" "backend = xdp" "xdp_mode = native"
run_case "xdp generic" "backend = xdp" "xdp_mode = generic"
run_case "nft ingress" "backend = nft" "nft_hook = ingress"
run_case "nft prerouting" "backend = nft" "nft_hook = prerouting"
# The stack with nothing in front: every SYN goes through IP to TCP.
b=$(rcv awk '/^Ip:/ && ++n == 2 { print $4 }' /proc/net/snmp)
nsenter --net=/run/netns/$S taskset -c 0 "$B/tests/flood" "$B/tests/xdp_tx.bpf.o" rgfa \
	10.88.0.2 10.88.0.1 "$T" "$mac" >"$dir/flood.out"
a=$(rcv awk '/^Ip:/ && ++n == 2 { print $4 }' /proc/net/snmp)
secs=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' "$dir/flood.out")
rate=$(echo "$a $b $secs" | awk '{ printf "%.2f", ($1 - $2) / $3 / 1e6 }')
printf '%-28s %8s Mpps reached IP  (%s)\n' "no filter" "$rate" "$(cat "$dir/flood.out")"
echo "nofilter $rate" >> "$dir/rates"
awk -v n="$NBANS" '
	{ r[$1 " " $2] = $NF; if ($1 == "nofilter") r["nofilter"] = $2 }
	END {
		x = r["xdp native"]; f = r["nft ingress"]; g = r["xdp generic"]; p = r["nft prerouting"]
		printf "ratios with %d bans: xdp native / nft ingress %.1fx, xdp native / nft prerouting %.1fx, xdp generic / nft ingress %.1fx, xdp native / no filter %.1fx\n",
			n, f ? x / f : 0, p ? x / p : 0, f ? g / f : 0, r["nofilter"] ? x / r["nofilter"] : 0
	}' "$dir/rates"
