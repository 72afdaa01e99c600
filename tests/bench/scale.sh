#!/bin/sh
# scale.sh - part of make bench: bans and recipients by the million.
# For each ban count and backend: the daemon's start with the bans to load
# from the state file into a fresh backend, its restart with them already
# in the kernel (and the log's proof that none was re-added), the kernel
# memory of the XDP maps. nft restarts twice: with nothing changed in
# nf_tables (its bans are taken from the state file) and after another
# table changed (taken from the state file too, and read back from the
# kernel in the background: the time until that reconciliation's log
# line). Then `recipients
# compile` of NRCPT addresses and ns per lookup.
# Usage: scale.sh NRCPT NBANS...   (SCALE_BACKENDS="nft": one backend only)
set -eu
NRCPT=$1
shift
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
ns=rgs-$id
pin=/sys/fs/bpf/rgs-$id
bench_setup rgscale
veth_pair "$ns" rgs0 "$ns" rgs1

stop() {
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
	dpid=
}
# Start the daemon; took = the seconds from its exec to its start line.
timed_start() {
	n0=$(grep -c 'event=start ' "$dir/log" 2>/dev/null || true)
	t0=$(date +%s.%N)
	# nsenter itself, not a function: $! must be the daemon.
	nsenter --net=/run/netns/$ns "$B/rcptguardd" -f -c "$dir/conf" >/dev/null 2>>"$dir/log" &
	dpid=$!
	until [ "$(grep -c 'event=start ' "$dir/log")" -gt "$n0" ]; do
		kill -0 "$dpid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
		sleep 0.01
	done
	took=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
}
last_load() {
	grep 'event=state_load' "$dir/log" | tail -1 | sed 's/.*\(restored=[0-9]*\).*\(maps=.*\)/\1 \2/'
}
# The kernel memory of the maps pinned for this daemon (bpftool's
# bytes_memlock: what the kernel charged for them).
xdp_kernel_bytes() {
	for f in "$pin"/*; do bpftool -j map show pinned "$f" 2>/dev/null || true; done |
		sed -n 's/.*"bytes_memlock":\([0-9]*\).*/\1/p' | awk '{ t += $1 } END { print t + 0 }'
}

for n in "$@"; do
	ban_state "$n" > "$dir/state.saved"
	for be in ${SCALE_BACKENDS:-xdp nft}; do
		mkdir -p "$dir/state"
		cp "$dir/state.saved" "$dir/state/state"
		cat > "$dir/conf" <<-EOF2
		interface = rgs0
		backend = $be
		bpf_pin_dir = $pin
		query_socket = $dir/q.sock
		control_socket = $dir/c.sock
		state_dir = $dir/state
		user = root
		nft_table = $NFT_TABLE
		EOF2
		: > "$dir/log"
		timed_start
		load=$took
		first=$(last_load)
		mem=
		[ $be = xdp ] && mem=$(xdp_kernel_bytes)
		stop
		timed_start
		again=$took
		second=$(last_load)
		stop
		changed= third= reconciled= fixed=
		if [ $be = nft ]; then
			nsenter --net=/run/netns/$ns nft add table ip rgscale_other
			timed_start
			changed=$took
			third=$(last_load)
			until grep -q 'event=reconcile ' "$dir/log"; do
				kill -0 "$dpid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
				sleep 0.05
			done
			reconciled=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
			fixed=$(grep 'event=reconcile ' "$dir/log" | sed 's/.*\(result=[a-z]*\).*\(added=.*longest_turn_ms=[0-9]*\).*/\1 \2/')
			stop
			nsenter --net=/run/netns/$ns nft delete table ip rgscale_other
		fi
		nsenter --net=/run/netns/$ns "$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
		rm -rf "$dir/state"
		printf '%-4s %8d bans: fresh start %6ss (%s); restart %6ss (%s)%s%s\n' "$be" "$n" "$load" \
			"$first" "$again" "$second" \
			"${changed:+; after a change elsewhere ${changed}s ($third), reconciled ${reconciled}s ($fixed)}" \
			"${mem:+; XDP maps $((mem / 1048576)) MB in the kernel}"
		record "scale.$be.bans$n.load_seconds" "$load" s "$be: daemon start loading $n bans into a fresh backend ($first)"
		record "scale.$be.bans$n.restart_seconds" "$again" s "$be: daemon restart with $n bans already in the kernel ($second)"
		[ -z "$changed" ] || record "scale.nft.bans$n.restart_changed_seconds" "$changed" s \
			"nft: the same restart after another table changed ($third)"
		[ -z "$reconciled" ] || record "scale.nft.bans$n.reconcile_seconds" "$reconciled" s \
			"nft: from that restart's exec until the kernel's bans were read back ($fixed)"
		case $fixed in ""|"result=ok added=0 removed=0 updated=0 "*) ;;
		*) echo "scale: the reconciliation corrected bans nobody changed: $fixed" >&2; exit 1 ;;
		esac
		for got in "$second" ${changed:+"$third"}; do
			case $got in "restored=0 maps=kept"*) ;; *) echo "scale: the restart re-added bans: $got" >&2; exit 1 ;; esac
		done
		case $be:$second:$third in
		xdp:*|nft:*read=state\ journaled*:*read=state\ reconcile=background*) ;;
		*) echo "scale: nft restarts read the wrong source: $second, then $third" >&2; exit 1 ;;
		esac
		[ -z "$mem" ] || record "scale.xdp.bans$n.kernel_bytes" "$mem" B "XDP maps' kernel memory (bpftool bytes_memlock) with $n bans"
	done
done

seq 1 "$NRCPT" | sed 's/^/user/; s/$/@example.com/' > "$dir/src"
t0=$(date +%s.%N)
"$B/rcptguard" recipients compile -o "$dir/r.cdb" "$dir/src" >/dev/null
compile=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
set -- $("$B/tests/bench_lookup" "$dir/r.cdb" "$NRCPT" 1000000 | tr '=' ' ')
printf 'recipients compile of %d addresses: %ss, %s MB; lookup ns: valid %s, unknown %s, other domain %s\n' \
	"$NRCPT" "$compile" "$(stat -c %s "$dir/r.cdb" | awk '{ printf "%.1f", $1 / 1048576 }')" "$2" "$4" "$6"
record "scale.recipients$NRCPT.compile_seconds" "$compile" s "recipients compile of $NRCPT addresses"
record "scale.recipients$NRCPT.valid_ns" "$2" ns "recipient lookup, a valid address ($NRCPT in the CDB)"
record "scale.recipients$NRCPT.unknown_ns" "$4" ns "recipient lookup, an unknown address in our domain"
record "scale.recipients$NRCPT.not_ours_ns" "$6" ns "recipient lookup, a domain the CDB does not judge"
