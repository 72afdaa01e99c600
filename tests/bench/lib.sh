# lib.sh - what the benchmark scripts share (sourced from the top of the
# tree): B, the build directory; id, unique to this run, for the names of
# namespaces and pins; NFT_TABLE, the nft table every config names, unique
# too, so that nothing here can touch a real rcptguard table.
B=build
id=$$
NFT_TABLE=rgbench$id

# record KEY VALUE UNIT TEXT: one figure for the report. Appended to
# $RG_RESULTS (tab-separated) when run.sh collects them; tests/bench/
# report.sh turns the file into bench-results/report.{md,json}.
record() {
	[ -n "${RG_RESULTS:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RG_RESULTS"
}

# ban_state N: a state file with N bans for an hour: 10.88.0.2 (the
# floods' source) and 10.100.0.1 upwards.
ban_state() {
	now=$(date +%s)
	awk -v n="$1" -v until=$((now + 3600)) -v now="$now" 'BEGIN {
		print "rcptguard-state 1"; print "saved " now
		print "ban 10.88.0.2 " until " 1 -"
		for (i = 1; i < n; i++)
			printf "ban 10.%d.%d.%d %d 1 -\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, until
		print "end " n " 0" }'
}

# wait_log FILE PATTERN: until a line matches; after 10 minutes, fail.
wait_log() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		[ $i -lt 60000 ] || { echo "bench: no '$2' in $1 after 10 minutes" >&2; return 1; }
		sleep 0.01
		i=$((i + 1))
	done
}

# bench_setup NAME: a temp directory, $dir, and traps that remove on any
# exit what the script made: its daemon ($dpid), the pins of $dir/conf
# (detach; an nft table goes with its namespace), the namespaces veth_pair
# made, $dir. A script's cleanup_more, if it has one, runs first.
bench_setup() {
	dir=$(mktemp -d "/tmp/$1.XXXXXX")
	NAMESPACES=
	trap bench_cleanup EXIT
	trap 'bench_cleanup; exit 1' INT TERM
}
bench_cleanup() {
	set +e          # remove all there is, whatever fails
	if type cleanup_more >/dev/null 2>&1; then cleanup_more; fi
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -f "$dir/conf" ] && "$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1
	for n in $NAMESPACES; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$dir"
}

# veth_pair NS_A IF_A NS_B IF_B: namespaces A and B (one, if the same),
# made unless they exist, joined by a veth pair; every link up.
veth_pair() {
	for n in $1 $3; do
		case " $NAMESPACES " in *" $n "*) continue ;; esac
		ip netns add "$n"
		NAMESPACES="$NAMESPACES $n"
		nsenter --net=/run/netns/$n ip link set lo up
	done
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	nsenter --net=/run/netns/$1 ip link set "$2" up
	nsenter --net=/run/netns/$3 ip link set "$4" up
}
