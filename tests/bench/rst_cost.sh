#!/bin/sh
# rst_cost.sh - part of make bench: what one connection attempt of a
# banned client costs with ban_action = drop and with rst, per backend:
# bytes in and out on the server's veth, and the time until the client's
# connect() gives up. The client is a real TCP client (the kernel's own
# SYN retries); its namespace's net.ipv4.tcp_syn_retries is lowered to
# RETRIES to keep the run short (the kernel's default is 6: 127 s).
# Then the MX fallback: a real Postfix (Debian's) in the client's
# namespace sends a queued message to dest.test, whose MX hosts are mx1
# (preference 10: the server, where the client is banned) and mx2 (20: a
# second Postfix on the client's loopback, 127.0.0.2, that takes it).
# Postfix finds them in DNS as any sender does: rbldnsd serves the zone
# on the client's 127.0.0.1:53, and the sending Postfix runs in a mount
# namespace of its own whose /etc/resolv.conf names that server. Timed:
# submission to mx2's acceptance in Postfix's log; the sender waits for a
# dropped mx1 up to its smtp_connect_timeout, CONNECT_TIMEOUT seconds
# (Postfix's default is 30), with the kernel's default SYN retries.
# Usage: rst_cost.sh RETRIES CONNECT_TIMEOUT
set -eu
RETRIES=${1:-2}
CONNECT_TIMEOUT=${2:-30}
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lib/postfix.sh
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
# Postfix runs as user postfix and rbldnsd as rbldns: the base must be traversable.
chmod 755 "$dir"
mkdir -p "$dir/dns"
printf '@ MX 10 mx1.dest.test\n@ MX 20 mx2.dest.test\nmx1 A 10.91.0.1\nmx2 A 127.0.0.2\n' \
	> "$dir/dns/dest.test"
printf 'nameserver 127.0.0.1\n' > "$dir/resolv.conf"
chmod 644 "$dir/dns/dest.test" "$dir/resolv.conf"
nsenter --net=/run/netns/$C rbldnsd -n -b 127.0.0.1/53 -u rbldns -w "$dir/dns" \
	dest.test:generic:dest.test >"$dir/dns.log" 2>&1 3>&- &
rpid=$!
# Postfix listens only on an address an interface has.
nsenter --net=/run/netns/$C ip addr add 127.0.0.2/8 dev lo
postfix_conf "$dir/mx2" 127.0.0.2 25 discard reject_unauth_destination
postconf -c "$dir/mx2/etc" -e "mydestination = dest.test"
touch -d '-10 seconds' "$dir/mx2/etc/main.cf"
postfix_conf "$dir/snd" 127.0.0.1 2525 local "permit_mynetworks, reject"
# Another name than mx2's (Postfix refuses a peer that greets with its
# own), no local domains, MX lookups in DNS.
postconf -c "$dir/snd/etc" -e "myhostname = sender.example.net" "mydestination =" \
	"smtp_dns_support_level = enabled" "smtp_connect_timeout = ${CONNECT_TIMEOUT}s"
touch -d '-10 seconds' "$dir/snd/etc/main.cf"
record rst.mx_connect_timeout_s "$CONNECT_TIMEOUT" s "the sending Postfix's smtp_connect_timeout"
cleanup_more() {
	kill $lpid $rpid 2>/dev/null
	for pf in snd mx2; do
		nsenter --net=/run/netns/$C postfix -c "$dir/$pf/etc" stop >/dev/null 2>&1
	done
}
# pf_failed NAME: why a Postfix did not start (it prints nothing when
# stderr is not a terminal; its log may say more).
pf_failed() {
	echo "rst_cost: the $1 Postfix did not start (config $dir/$1/etc)" >&2
	cat "$dir/$1/maillog" >&2 2>/dev/null
	exit 1
}
nsenter --net=/run/netns/$C postfix -c "$dir/mx2/etc" start >/dev/null 2>&1 || pf_failed mx2
# The mount namespace lives on in Postfix's master and its children.
nsenter --net=/run/netns/$C unshare -m sh -c \
	"mount --bind '$dir/resolv.conf' /etc/resolv.conf && postfix -c '$dir/snd/etc' start" \
	>/dev/null 2>&1 || pf_failed snd
wait_log "$dir/dns.log" started
wait_log "$dir/mx2/maillog" 'daemon started'
wait_log "$dir/snd/maillog" 'daemon started'

# mx_delivery: one message through the sending Postfix; prints the ms
# from submission to mx2's acceptance and how the attempt at mx1 ended.
mx_delivery() {
	log=$dir/snd/maillog
	n0=$(wc -l < "$log")
	t0=$(date +%s%N)
	qid=$(nsenter --net=/run/netns/$C swaks --server 127.0.0.1:2525 --from s@example.net \
		--to u@dest.test --helo client.example.net --timeout 10 |
		sed -n 's/.* queued as \([0-9A-Za-z]*\).*/\1/p')
	[ -n "$qid" ] || { echo "rst_cost: the sending Postfix did not queue the message" >&2; tail "$log" >&2; exit 1; }
	wait_log "$log" "$qid: to=<u@dest.test>, relay=mx2.dest.test\[127.0.0.2\]:25, .*status=sent"
	t1=$(date +%s%N)
	# Postfix logs its connect failures without the queue id: the lines since submission.
	mx1=$(tail -n +$((n0 + 1)) "$log" |
		sed -n 's/.*connect to mx1.dest.test\[10.91.0.1\]:25: \(.*\)/\1/p' | head -1)
	[ -n "$mx1" ] || { echo "rst_cost: Postfix did not try mx1 first" >&2; tail "$log" >&2; exit 1; }
	echo "$(((t1 - t0) / 1000000)) $mx1"
}

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
		# The MX fallback, with the kernel's default SYN retries, more
		# than a second after the RST above (one RST per ban per second).
		nsenter --net=/run/netns/$C sysctl -qw net.ipv4.tcp_syn_retries=6
		sleep 1.5
		s0=$(syns) r0=$(rsts)
		res=$(mx_delivery)
		set -- $res
		ms=$1
		shift
		in=$((74 * ($(syns) - s0)))
		out=$((54 * ($(rsts) - r0)))
		nsenter --net=/run/netns/$C sysctl -qw net.ipv4.tcp_syn_retries="$RETRIES"
		echo "$backend $action: Postfix delivered to the second MX after $ms ms (first MX: $*; bytes to it $in, from it $out)"
		record "rst.$backend.$action.mx_delivered_ms" "$ms" ms "Postfix (smtp_connect_timeout ${CONNECT_TIMEOUT}s) sending to a domain whose first MX bans it ($backend, ban_action = $action): submission to delivery at the second MX"
		record "rst.$backend.$action.mx_bytes_in" $in B "the same: bytes to the first MX"
		record "rst.$backend.$action.mx_bytes_out" $out B "the same: bytes from the first MX"
		kill "$dpid" 2>/dev/null || { cat "$dir/log"; exit 1; }
		wait "$dpid" 2>/dev/null || true
		dpid=
		"$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
		inside "$B/rcptguard" -c "$dir/conf" detach >/dev/null 2>&1 || true
	done
done
