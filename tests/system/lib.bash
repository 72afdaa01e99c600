# lib.bash - shared setup for the system tests: two network namespaces
# joined by veth, mail (25) and web (80) listeners on the server side, a
# private pin directory, and cleanup that runs even when a test fails.
# Namespaces are entered with nsenter --net (ip netns exec hides bpffs).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load netns
bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
B=$TOP/build

# Unique per test: bats runs tests one after another, but CI machines may
# run several suites or checkouts at once.
rg_ids() {
	ID=$(( ($$ + BATS_TEST_NUMBER * 7919 + RANDOM) % 100000 ))
	NS_S=rgt-s$ID
	NS_C=rgt-c$ID
	IF_S=rgs$ID
	IF_C=rgc$ID
	PIN=/sys/fs/bpf/rgt-$ID
	CONF=$BATS_TEST_TMPDIR/rcptguard.conf
	DLOG=$BATS_TEST_TMPDIR/daemon.log
	QSOCK=$BATS_TEST_TMPDIR/query.sock
	CSOCK=$BATS_TEST_TMPDIR/control.sock
	STATE=$BATS_TEST_TMPDIR/state
	PIDS=()
}


setup_net() {
	rg_ids
	ip netns add $NS_S
	ip netns add $NS_C
	ip link add $IF_S netns $NS_S type veth peer name $IF_C netns $NS_C
	in_s sh -ec "ip link set lo up; ip link set $IF_S up
		ip addr add 10.77.1.1/24 dev $IF_S
		ip -6 addr add fd77:1::1/64 dev $IF_S nodad"
	in_c sh -ec "ip link set lo up; ip link set $IF_C up
		ip addr add 10.77.1.2/24 dev $IF_C
		ip addr add 10.77.1.3/24 dev $IF_C
		ip -6 addr add fd77:1::2/64 dev $IF_C nodad
		ip route add default via 10.77.1.1"
	listen 25 "220 mail"
	listen 80 "200 web"
	cat > "$CONF" <<-EOF2
	interface = $IF_S
	bpf_pin_dir = $PIN
	query_socket = $QSOCK
	control_socket = $CSOCK
	state_dir = $STATE
	# The test's private paths are root's; service.bats covers privilege drop.
	user = root
	EOF2
}

listen() {
	# nsenter directly, not in_s: $! must be the listener itself.
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:$1,fork,reuseaddr,ipv6only=0 SYSTEM:"echo $2" 3>&- &
	PIDS+=($!)
	wait_listening $1
}

teardown_net() {
	local p
	stop_daemon
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	# Removing the pins detaches the program and frees the maps. In the
	# server's namespace: detach also deletes the nft table of the
	# namespace it runs in, and the host's may be a real one.
	[ -d "$PIN" ] && [ -e /run/netns/$NS_S ] && in_s "$B/rcptguard" --pin-dir "$PIN" detach >/dev/null 2>&1
	rm -rf "$PIN"
	ip netns del $NS_S 2>/dev/null || true
	ip netns del $NS_C 2>/dev/null || true
	wait 2>/dev/null || true
}

start_daemon() {
	# The log may hold earlier runs: wait for one more start line.
	local i starts=$(grep -c 'event=start ' "$DLOG" 2>/dev/null)
	nsenter --net=/run/netns/$NS_S "$B/rcptguardd" -f -c "$CONF" "$@" >>"$DLOG" 2>&1 3>&- &
	DPID=$!
	for i in $(seq 100); do
		[ "$(grep -c 'event=start ' "$DLOG" 2>/dev/null)" -gt "${starts:-0}" ] && return 0
		kill -0 $DPID 2>/dev/null || { cat "$DLOG"; return 1; }
		sleep 0.05
	done
	cat "$DLOG"
	return 1
}

stop_daemon() {
	[ -n "${DPID:-}" ] || return 0
	kill "$@" $DPID 2>/dev/null || true
	wait $DPID 2>/dev/null || true
	DPID=
}

# mail_from_client ADDR [PORT] [SOURCE]: the banner, or failure on timeout.
mail_from_client() {
	local host=$1 src=${3:+,bind=$3}
	case $host in *:*) host="[$host]" ;; esac
	in_c timeout 5 socat -T2 - "TCP:$host:${2:-25},connect-timeout=1$src" </dev/null
}

# The drop counter of one ban, from list --json.
ban_packets() {
	rg list --json | grep -F "\"address\":\"$1\"" | sed 's/.*"packets":\([0-9]*\).*/\1/'
}
