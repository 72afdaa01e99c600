#!/bin/sh
# flood.sh - part of make bench: SYN floods to :25 over veth, sent by
# flood.c from the sender's namespace with live frames, or through an
# AF_PACKET socket where the kernel refuses live frames (then the offered
# load may be below what XDP can drop: the output and the report say which
# generator ran), received by each backend in turn. Floods per backend: from one banned source ("one": its ban stays in
# the CPU's caches, so this isolates the size of the tables), from sources
# scattered over the whole banned set when there are more bans than one
# ("many": a botnet; every lookup misses the caches and the TLB), and from
# 65,536 sources outside the banned set ("outside": passed to the stack).
# Beside them, under the same floods, the floor: a bare XDP_DROP
# (xdp_drop.bpf.c) attached natively to the same veth, the least any XDP
# program costs on this path; every XDP figure is also given as a ratio
# to it.
#
# The receiver's NAPI runs in its own thread (threaded NAPI), so its CPU
# time is the receiver's whole cost per packet: the figure that compares
# backends. Sender and receiver thread share CPU 0: on another CPU the
# frames' pages go back to the sender's page pool across CPUs, a veth
# artefact that costs native XDP most. So packets/s handled is about half
# a CPU's worth; "Mpps per core" (1000 / ns) is the receiver's capacity.
# Every case runs once per round, the rounds one after another (so drift
# on a shared VM over minutes hits every backend alike); each figure
# recorded is the median over the rounds, printed with its range, and the
# ratios come from those medians.
# Usage: flood.sh SECONDS BANS [ROUNDS]
set -eu
T=$1
NBANS=$2
ROUNDS=${3:-1}
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
S=rgf-s$id
R=rgf-r$id
bench_setup rgflood
veth_pair "$S" rgfa "$R" rgfb
# Frames from a socket (the AF_PACKET generator) reach the receiver's NAPI
# only if the sender's veth has no TSO; otherwise veth hands them to
# netif_rx, on the sender's CPU, unless native XDP is attached.
nsenter --net=/run/netns/$S sh -c 'ip addr add 10.88.0.2/24 dev rgfa; ethtool -K rgfa tso off >/dev/null'
# GRO gives the receiving veth a NAPI poll, so frames reach the stack (and
# nft); threaded NAPI puts that poll in a kernel thread whose CPU time is
# the receiver's cost. Its switch is in sysfs, which shows the namespace's
# devices only when mounted from inside it (in a private mount namespace).
nsenter --net=/run/netns/$R sh -c 'ip addr add 10.88.0.1/24 dev rgfb; ethtool -K rgfb gro on >/dev/null'
nsenter --net=/run/netns/$R unshare -m sh -c \
	'mount -t sysfs sysfs /sys && echo 1 > /sys/class/net/rgfb/threaded'
mac=$(nsenter --net=/run/netns/$R ip -o link show rgfb | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/')
# Which generator this kernel gets (flood.c). Frames from a socket reach
# the receiver one by one, each waking its NAPI thread, which would
# preempt the sender at every frame and bill two context switches to each
# packet; as SCHED_BATCH it runs when the sender yields (at a full veth
# ring) or its slice ends, and polls in batches as live frames make it do.
gen=$(nsenter --net=/run/netns/$S "$B/tests/flood" rgfa 10.88.0.2 10.88.0.1 0.01 "$mac" |
	sed -n 's/^generator=\([a-z_-]*\) .*/\1/p')
napi_policy=
[ "$gen" = af_packet ] && napi_policy=-b
# The flood's source and NBANS-1 other addresses, as a state file to restore.
ban_state "$NBANS" > "$dir/state.saved"
outside="10.200.0.0+65536"

dropped() {
	nsenter --net=/run/netns/$R "$B/rcptguard" -c "$dir/conf" stats --prometheus 2>>"$dir/err" |
		awk '$1 == "rcptguard_dropped_packets_total" { print $2 }'
}
# What the floor dropped: veth's own count, the program has none.
xdp_drops() {
	nsenter --net=/run/netns/$R ethtool -S rgfb | awk '/_xdp_drops:/ { t += $2 } END { print t + 0 }'
}
ip_received() {
	nsenter --net=/run/netns/$R awk '/^Ip:/ && ++n == 2 { print $4 }' /proc/net/snmp
}
# The receiver's NAPI threads and their CPU time in ns.
napi_pids() {
	ps -eo pid,comm | awk '$2 ~ /^napi\/rgfb-/ { print $1 }'
}
napi_ns() {
	for p in $(napi_pids); do cat /proc/$p/schedstat; done | awk '{ t += $1 } END { printf "%.0f", t }'
}

# flood NAME KIND SOURCES COUNTER: one flood; COUNTER says what counts as
# handled (dropped: the backend's drop counter; ip_received: packets
# reaching IP). Appends to $dir/rounds: name, kind, counter, handled Mpps,
# ns/packet, % CPU, offered Mpps (the sender's); to $dir/generators the
# generator that sent it.
flood() {
	name=$1 kind=$2 src=$3 counter=$4
	# A reading that fails (or a NAPI thread that changed under us) is
	# taken again, not recorded.
	for try in 1 2 3; do
		: > "$dir/err"
		for p in $(napi_pids); do
			taskset -p 1 "$p" >/dev/null
			[ -z "$napi_policy" ] || chrt $napi_policy -p 0 "$p"
		done
		c0=$($counter) n0=$(napi_ns)
		nsenter --net=/run/netns/$S taskset -c 0 "$B/tests/flood" rgfa "$src" 10.88.0.1 "$T" \
			"$mac" >"$dir/flood.out"
		c1=$($counter) n1=$(napi_ns)
		secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$dir/flood.out")
		offered=$(sed -n 's/.*mpps=\([0-9.]*\).*/\1/p' "$dir/flood.out")
		echo "c0=$c0 c1=$c1 n0=$n0 n1=$n1 secs=$secs" | awk -F '[ =]' '{
			for (i = 2; i <= NF; i += 2) if ($i !~ /^[0-9.]+$/) exit 1
			exit !($4 > $2 && $8 > $6 && $10 > 0) }' && break
		echo "flood: $name, $kind: no reading (c0=$c0 c1=$c1 n0=$n0 n1=$n1 seconds=$secs" \
			"$(cat "$dir/err")); try $try of 3" >&2
		[ "$try" -lt 3 ] || exit 1
	done
	set -- $(echo "$c0 $c1 $n0 $n1 $secs" | awk '{ p = $2 - $1; ns = p ? ($4 - $3) / p : 0
		printf "%.2f %.0f %.0f\n", p / $5 / 1e6, ns, ($4 - $3) / $5 / 1e7 }')
	printf '  round %d: %-15s %-8s %5s ns/packet; handled %5s of %5s Mpps (%s, %s%% CPU)\n' \
		"$round" "$name" "$kind" "$2" "$1" "$offered" "$counter" "$3"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$kind" "$counter" "$1" "$2" "$3" "$offered" >> "$dir/rounds"
	sed -n 's/^generator=\([a-z_-]*\) .*/\1/p' "$dir/flood.out" >> "$dir/generators"
}

# backend_case NAME CONFIG-LINES: the daemon sets the backend up, then
# stops (the kernel enforces without it), and both floods run.
backend_case() {
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
		echo "nft_table = $NFT_TABLE"
		for l in "$@"; do echo "$l"; done
	} > "$dir/conf"
	# nsenter itself, not a function: $! must be the daemon. The log is
	# emptied here: the child's redirection may come after wait_log has
	# read the last case's start line.
	: > "$dir/log"
	nsenter --net=/run/netns/$R "$B/rcptguardd" -f -c "$dir/conf" 2>"$dir/log" &
	dpid=$!
	wait_log "$dir/log" 'event=start '
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
	dpid=
	flood "$name" one 10.88.0.2 dropped
	[ "$NBANS" -gt 1 ] && flood "$name" many "10.100.0.1+$((NBANS - 1))" dropped
	flood "$name" outside "$outside" ip_received
	nsenter --net=/run/netns/$R "$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
	rm -rf "$dir/state"
}

# floor_case: the bare XDP_DROP under the backends' floods (no bans: the
# sources only change what the sender does).
floor_case() {
	nsenter --net=/run/netns/$R ip link set dev rgfb xdpdrv obj "$B/tests/xdp_drop.bpf.o" sec xdp
	flood "xdp floor" one 10.88.0.2 xdp_drops
	[ "$NBANS" -gt 1 ] && flood "xdp floor" many "10.100.0.1+$((NBANS - 1))" xdp_drops
	flood "xdp floor" outside "$outside" xdp_drops
	nsenter --net=/run/netns/$R ip link set dev rgfb xdpdrv off
}

: > "$dir/rounds"
: > "$dir/generators"
round=1
while [ "$round" -le "$ROUNDS" ]; do
	floor_case
	backend_case "xdp native" "backend = xdp" "xdp_mode = native"
	backend_case "xdp generic" "backend = xdp" "xdp_mode = generic"
	backend_case "nft ingress" "backend = nft" "nft_hook = ingress"
	backend_case "nft prerouting" "backend = nft" "nft_hook = prerouting"
	# The stack with nothing in front: every SYN goes through IP to TCP.
	flood "no filter" any "$outside" ip_received
	round=$((round + 1))
done

# Medians over the rounds (the lower middle of an even count), in the
# order the cases ran: name, kind, counter, Mpps, ns, % CPU, ns range,
# offered Mpps.
awk -F '\t' -v OFS='\t' '
	function med(a, k, n,   i, j, t, v) {
		for (i = 1; i <= n; i++) v[i] = a[k, i] + 0
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		lo = v[1]; hi = v[n]
		return v[int((n + 1) / 2)]
	}
	{ k = $1 "\t" $2; if (!(k in cnt)) order[++nk] = k
	  n = ++cnt[k]; c[k] = $3; m[k, n] = $4; ns[k, n] = $5; cpu[k, n] = $6; of[k, n] = $7 }
	END {
		for (i = 1; i <= nk; i++) {
			# ns last: lo and hi are the range of the last med().
			k = order[i]; mm = med(m, k, cnt[k]); cc = med(cpu, k, cnt[k]); oo = med(of, k, cnt[k])
			nn = med(ns, k, cnt[k])
			print k, c[k], mm, nn, cc, lo "-" hi, oo
		}
	}' "$dir/rounds" > "$dir/rates"
gen=$(sort -u "$dir/generators" | paste -sd, -)
echo "generator: $gen"
record "flood.bans$NBANS.generator" "$gen" "" "the floods' sender: live-frames (BPF_PROG_TEST_RUN, XDP_TX), or af_packet (a socket, where the kernel refuses live frames; the offered load may be below what XDP can drop)"
while IFS="$(printf '\t')" read -r name kind counter mpps ns cpu range offered; do
	core=$(echo "$ns" | awk '{ printf "%.1f", $1 ? 1000 / $1 : 0 }')
	printf '%-15s %-8s %5s ns/packet (%s over %d rounds) = %5s Mpps per core; handled %5s of %5s Mpps (%s, %s%% CPU)\n' \
		"$name" "$kind" "$ns" "$range" "$ROUNDS" "$core" "$mpps" "$offered" "$counter" "$cpu"
	key="flood.bans$NBANS.$kind.$(echo "$name" | tr ' ' _)"
	record "$key.ns_per_packet" "$ns" ns "$name, $kind sources, $NBANS bans: receiver CPU per packet ($counter, median of $ROUNDS rounds, range $range)"
	record "$key.mpps_per_core" "$core" Mpps "$name, $kind sources, $NBANS bans: receiver capacity, 1000 / ns"
	record "$key.mpps" "$mpps" Mpps "$name, $kind sources, $NBANS bans: packets/s handled at $cpu % CPU"
	record "$key.offered_mpps" "$offered" Mpps "$name, $kind sources, $NBANS bans: packets/s sent ($gen)"
done < "$dir/rates"
# Ratios, for one banned source and for many (and to the floor, for
# outside sources too): lines to read, figures to record.
for kind in one many outside; do
awk -F '\t' -v n="$NBANS" -v kind=$kind '
	$2 == kind { r[$1] = $4; c[$1] = $5; seen = 1 }
	END {
		if (!seen) exit
		label = kind == "one" ? "one banned source" : kind == "many" ? "sources scattered over the bans" : "sources outside the bans"
		f = c["xdp floor"]
		printf "flood.bans%d.ratio.%s.xdp_native_floor\t%.2f\tx\treceiver CPU per packet, XDP native / the bare XDP_DROP floor, %s\n", n, kind, (f ? c["xdp native"] / f : 0), label
		printf "flood.bans%d.ratio.%s.xdp_generic_floor\t%.2f\tx\treceiver CPU per packet, XDP generic / the bare XDP_DROP floor (native), %s\n", n, kind, (f ? c["xdp generic"] / f : 0), label
		if (kind == "outside") exit
		x = c["xdp native"]
		printf "flood.bans%d.ratio.%s.xdp_nft_ingress\t%.2f\tx\tdrop capacity per core, XDP native / nft ingress, %s\n", n, kind, (x ? c["nft ingress"] / x : 0), label
		printf "flood.bans%d.ratio.%s.xdp_nft_prerouting\t%.2f\tx\tdrop capacity per core, XDP native / nft prerouting, %s\n", n, kind, (x ? c["nft prerouting"] / x : 0), label
		printf "flood.bans%d.ratio.%s.xdp_generic\t%.2f\tx\tdrop capacity per core, XDP native / XDP generic, %s\n", n, kind, (x ? c["xdp generic"] / x : 0), label
		printf "flood.bans%d.ratio.%s.handled_xdp_nft_ingress\t%.2f\tx\tpackets/s dropped, XDP native / nft ingress, %s\n", n, kind, (r["nft ingress"] ? r["xdp native"] / r["nft ingress"] : 0), label
	}' "$dir/rates" | while IFS="$(printf '\t')" read -r k v u t; do
	echo "ratio $t: ${v}x"
	record "$k" "$v" "$u" "$t"
done
done
