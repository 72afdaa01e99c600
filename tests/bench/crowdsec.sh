#!/bin/bash
# crowdsec.sh - part of make bench: rcptguardd (xdp, nft) and Debian's
# crowdsec-firewall-bouncer (nftables mode, a private config) pull the same
# N decisions from one CrowdSec LAPI (tests/system/lapi.bash, its own
# namespace), each bouncer in its own namespace. Measured side by side:
# seconds from the bouncer's start to all N in its kernel set, its CPU
# seconds, and the LAPI's own time to answer the same startup stream.
# Usage: crowdsec.sh N...
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
bench_setup rgcs
ID=$((id % 100000))
BATS_TEST_TMPDIR=$dir
NS_S=rgcs-b$ID
csb_pid=
cleanup_more() {
	[ -n "$csb_pid" ] && kill "$csb_pid" 2>/dev/null && wait "$csb_pid" 2>/dev/null
	lapi_teardown
	for n in b x n f; do ip netns del rgcs-$n$ID 2>/dev/null; done
}
. tests/system/lapi.bash
ip netns add "$NS_S"
lapi_setup 2>/dev/null
now() { date +%s.%N; }
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

# bouncer_ns TAG N: a namespace joined to the LAPI (link N) with a veth of
# its own for the XDP program; prints nothing.
bouncer_ns() {
	ip netns add "rgcs-$1$ID"
	lapi_net "$2" "rgcs-$1$ID"
	nsenter --net=/run/netns/rgcs-$1$ID sh -ec "ip link set lo up
		ip route add 10.78.1.0/24 via 10.78.$2.2 2>/dev/null || true
		ip link add rgcs$1$ID type veth peer name rgcs$1p$ID
		ip link set rgcs$1$ID up; ip link set rgcs$1p$ID up"
}

# rcptguard BACKEND N TAG LINK: seconds to all N enforced, CPU seconds.
rcptguard_run() {
	local be=$1 n=$2 tag=$3 key=k$3$ID$RANDOM
	bouncer_ns "$tag" "$4"
	csc bouncers add "rg$tag$n" -k "$key" >/dev/null 2>&1
	echo "$key" > "$dir/$tag.key"
	cat > "$dir/$tag.conf" <<-EOF2
	interface = rgcs$tag$ID
	backend = $be
	nft_table = $NFT_TABLE
	bpf_pin_dir = /sys/fs/bpf/rgcs-$tag$ID
	query_socket = $dir/$tag.q
	control_socket = $dir/$tag.c
	state_dir = $dir/$tag.state
	user = root
	max_bans = 1048576
	crowdsec_url = $LAPI_URL
	crowdsec_bouncer_key_file = $dir/$tag.key
	EOF2
	local t0=$(now)
	nsenter --net=/run/netns/rgcs-$tag$ID "$B/rcptguardd" -f -c "$dir/$tag.conf" \
		>"$dir/$tag.log" 2>&1 &
	local pid=$!
	wait_log "$dir/$tag.log" "event=crowdsec_up .*decisions=$n "
	# The nft commit follows in the same turn of the loop: wait for it.
	until [ "$(nsenter --net=/run/netns/rgcs-$tag$ID "$B/rcptguard" -c "$dir/$tag.conf" \
		status 2>/dev/null | sed -n 's/.*crowdsec: *up, \([0-9]*\).*/\1/p')" = "$n" ]; do
		sleep 0.01
	done
	local t1=$(now) c=$(cpu $pid)
	kill $pid; wait $pid 2>/dev/null || true
	nsenter --net=/run/netns/rgcs-$tag$ID "$B/rcptguard" -c "$dir/$tag.conf" detach >/dev/null 2>&1 || true
	ip netns del "rgcs-$tag$ID"
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $c"
}

# crowdsec-firewall-bouncer, nftables mode, private config: seconds to N
# elements in its set, CPU seconds.
csb_run() {
	local n=$1 key=kf$ID$RANDOM count
	bouncer_ns f 9
	csc bouncers add "csb$n" -k "$key" >/dev/null 2>&1
	cat > "$dir/csb.yaml" <<-EOF2
	mode: nftables
	pid_dir: $dir/
	update_frequency: 10s
	daemonize: false
	log_mode: file
	log_dir: $dir/
	log_level: info
	api_url: $LAPI_URL
	api_key: $key
	disable_ipv6: false
	deny_action: DROP
	deny_log: false
	supported_decisions_types:
	  - ban
	blacklists_ipv4: crowdsec-blacklists
	blacklists_ipv6: crowdsec6-blacklists
	nftables:
	  ipv4:
	    enabled: true
	    set-only: false
	    table: crowdsec
	    chain: crowdsec-chain
	  ipv6:
	    enabled: true
	    set-only: false
	    table: crowdsec6
	    chain: crowdsec6-chain
	prometheus:
	  enabled: false
	EOF2
	local t0=$(now)
	nsenter --net=/run/netns/rgcs-f$ID crowdsec-firewall-bouncer -c "$dir/csb.yaml" \
		>"$dir/csb.out" 2>&1 &
	csb_pid=$!
	while :; do
		count=$(nsenter --net=/run/netns/rgcs-f$ID nft list set ip crowdsec crowdsec-blacklists \
			2>/dev/null | grep -o '[0-9]*\.[0-9]*\.[0-9]*\.[0-9]*' | wc -l)
		[ "$count" -ge "$n" ] && break
		kill -0 $csb_pid 2>/dev/null || { cat "$dir/csb.out" "$dir"/*.log >&2; return 1; }
		sleep 0.1
	done
	local t1=$(now) c=$(cpu $csb_pid)
	kill $csb_pid; wait $csb_pid 2>/dev/null || true
	csb_pid=
	ip netns del "rgcs-f$ID"
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $c"
}

printf '%8s %10s %10s %10s %10s %10s %10s %10s\n' decisions lapi_s xdp_s xdp_cpu nft_s nft_cpu \
	csb_s csb_cpu
done_n=0
for n in "$@"; do
	# Top up the LAPI to n decisions (imports add to what is there).
	python3 - "$dir/d.csv" "$done_n" "$n" <<-'PY'
	import sys
	lo, hi = int(sys.argv[2]), int(sys.argv[3])
	with open(sys.argv[1], "w") as f:
	    f.write("value,duration,reason,scope,origin,type\n")
	    for i in range(lo, hi):
	        f.write("100.%d.%d.%d,4h,bench,Ip,cscli,ban\n" % (64 + i // 65536, (i // 256) % 256, i % 256))
	PY
	csc decisions import -i "$dir/d.csv" >/dev/null 2>&1
	done_n=$n
	t0=$(now)
	bytes=$(in_l curl -s -o /dev/null -w '%{size_download}' -H "X-Api-Key: key1-$ID-0123456789abcdef" \
		"${LAPI_URL}v1/decisions/stream?startup=true")
	lapi=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
	read -r xs xc < <(rcptguard_run xdp "$n" x 2)
	read -r ns nc < <(rcptguard_run nft "$n" n 3)
	read -r fs fc < <(csb_run "$n")
	printf '%8d %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n' "$n" "$lapi" "$xs" "$xc" "$ns" \
		"$nc" "$fs" "$fc"
	record "crowdsec.$n.lapi_s" "$lapi" s "the LAPI's startup stream of $n decisions ($bytes bytes)"
	record "crowdsec.$n.xdp_s" "$xs" s "rcptguardd (xdp): start to $n decisions enforced"
	record "crowdsec.$n.xdp_cpu" "$xc" s "rcptguardd (xdp): CPU seconds for it"
	record "crowdsec.$n.nft_s" "$ns" s "rcptguardd (nft): start to $n decisions enforced"
	record "crowdsec.$n.nft_cpu" "$nc" s "rcptguardd (nft): CPU seconds for it"
	record "crowdsec.$n.csb_s" "$fs" s "crowdsec-firewall-bouncer (nftables): start to $n in its set"
	record "crowdsec.$n.csb_cpu" "$fc" s "crowdsec-firewall-bouncer (nftables): CPU seconds for it"
done
