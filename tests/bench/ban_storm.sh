#!/bin/sh
# ban_storm.sh - part of make bench: verdict latency of valid mail while a
# storm of attackers is banned, for each backend. One client asks about a
# valid recipient over and over (policy_load, one connection) while
# attack_load opens N sessions at once, each asking 5 unknown recipients:
# N bans arrive within seconds. The same stream runs quiet first; p50, p99
# and the worst wait of both are recorded, and the ratio storm/quiet of
# each. With nft every ban is a netlink commit the loop waits for: bans of
# one turn of the loop share one batch.
# Usage: ban_storm.sh BANS [BACKENDS]
set -eu
NBANS=$1
BACKENDS=${2:-"nft xdp"}
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
S=rgs-$id
bench_setup rgstorm
veth_pair "$S" rgsa "$S" rgsb
printf 'bob@example.com\n' | "$B/rcptguard" recipients compile -o "$dir/r.cdb" >/dev/null
ulimit -n $((NBANS + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# stream NAME TEXT N: the valid client's requests; its figures recorded.
stream() {
	"$B/tests/policy_load" -s "$dir/q.sock" -c 1 -n "$3" bob@example.com=DUNNO > "$dir/$1.out"
	sed 's/^/  /' "$dir/$1.out"
	set -- "$1" "$2" $(sed 's/.*p50_us=\([0-9.]*\) p99_us=\([0-9.]*\) max_us=\([0-9.]*\).*/\1 \2 \3/' \
		"$dir/$1.out")
	record "storm.$be.$1.p50_us" "$3" us "verdict latency p50 of valid mail, $2 ($be)"
	record "storm.$be.$1.p99_us" "$4" us "verdict latency p99 of valid mail, $2 ($be)"
	record "storm.$be.$1.max_us" "$5" us "worst verdict latency of valid mail, $2 ($be)"
}

for be in $BACKENDS; do
	cat > "$dir/conf" <<EOF2
backend = $be
interface = rgsa
bpf_pin_dir = /sys/fs/bpf/rgs-$id
nft_table = $NFT_TABLE
query_socket = $dir/q.sock
control_socket = $dir/c.sock
state_dir = $dir/state-$be
recipients = $dir/r.cdb
user = root
allow = 192.0.2.0/24
max_connections = $((NBANS + 100))
EOF2
	nsenter --net=/run/netns/$S "$B/rcptguardd" -f -c "$dir/conf" 2>"$dir/log" &
	dpid=$!
	wait_log "$dir/log" 'event=start '
	echo "-- $be: valid mail alone, then while $NBANS attackers are banned"
	stream quiet "alone" $((NBANS * 2))
	stream storm "while $NBANS attackers are banned" $((NBANS * 6)) &
	spid=$!
	"$B/tests/attack_load" -s "$dir/q.sock" -n "$NBANS" -r 5 | sed 's/^/  /'
	wait $spid
	banned=$("$B/rcptguard" -c "$dir/conf" stats --prometheus |
		awk '$1 == "rcptguard_bans_active" { print $2 }')
	echo "  bans_active=$banned"
	[ "$banned" -ge "$NBANS" ] || { echo "ban_storm: only $banned of $NBANS bans" >&2; exit 1; }
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
	dpid=
	nsenter --net=/run/netns/$S "$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
done
