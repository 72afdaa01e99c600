#!/bin/sh
# attack_cost.sh - part of make bench: what a dictionary attack costs the
# server, against a real Postfix (Debian's) in a network namespace, in
# three setups side by side:
#   accept     no protection: every recipient accepted, bounced later
#   reject     RCPT-time rejection only (local_recipient_maps)
#   rcptguard  rejection plus rcptguard (policy service, XDP): after five
#              unknown recipients the client is banned and its SYNs dropped
# smtp_attack runs SESSIONS sessions of RCPTS guesses from one process.
# Measured: bytes on the wire each way (the client veth's counters), new
# processes on the machine (/proc/stat, less a run with no sessions), and
# bounces queued for the forged sender (backscatter), per session.
# Usage: attack_cost.sh SESSIONS RCPTS
set -eu
SESSIONS=$1
RCPTS=$2
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
B=build
id=$$
S=rga-s$id
C=rga-c$id
PF=$(mktemp -d /tmp/rgcost.XXXXXX)
cleanup() {
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	nsenter --net=/run/netns/$S postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	"$B/rcptguard" -c "$PF/rg.conf" detach >/dev/null 2>&1 || true
	ip netns del "$S" 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	rm -rf "$PF"
}
trap cleanup EXIT INT TERM
ip netns add "$S"
ip netns add "$C"
ip link add rgas netns "$S" type veth peer name rgac netns "$C"
nsenter --net=/run/netns/$S sh -c 'ip link set lo up; ip link set rgas up; ip addr add 10.89.0.1/24 dev rgas'
nsenter --net=/run/netns/$C sh -c 'ip link set lo up; ip link set rgac up; ip addr add 10.89.0.2/24 dev rgac'
# Postfix runs as user postfix: the base must be traversable.
chmod 755 "$PF"
printf 'bob@example.com\n' > "$PF/recipients.txt"
"$B/rcptguard" recipients compile -o "$PF/recipients.cdb" "$PF/recipients.txt" >/dev/null
cat > "$PF/rg.conf" <<EOF2
interface = rgas
bpf_pin_dir = /sys/fs/bpf/rga-$id
query_socket = $PF/query.sock
query_socket_mode = 0666
control_socket = $PF/control.sock
state_dir = $PF/state
recipients = $PF/recipients.cdb
user = root
EOF2

# postfix_config MODE: a private instance that really delivers locally,
# so that unknown users bounce to the forged sender (whose domain does
# not resolve here: the bounce waits in the queue).
postfix_config() {
	rm -rf "$PF/etc" "$PF/queue" "$PF/data"
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	case $1 in
	accept) maps= policy= ;;
	reject) maps='inline:{ bob=ok }' policy= ;;
	rcptguard) maps='inline:{ bob=ok }' policy=", check_policy_service unix:$PF/query.sock" ;;
	esac
	cat > "$PF/etc/main.cf" <<-EOF2
	compatibility_level = 3.6
	queue_directory = $PF/queue
	data_directory = $PF/data
	maillog_file = $PF/maillog
	maillog_file_prefixes = $PF
	inet_interfaces = 10.89.0.1
	inet_protocols = ipv4
	myhostname = mx.example.com
	mydestination = example.com
	mynetworks = 127.0.0.0/8
	local_recipient_maps = $maps
	alias_maps =
	alias_database =
	smtp_dns_support_level = disabled
	smtpd_relay_restrictions =
	smtpd_recipient_restrictions = reject_unauth_destination$policy
	EOF2
	cat > "$PF/etc/master.cf" <<-EOF2
	10.89.0.1:25 inet n - n - - smtpd
	postlog   unix-dgram n - n - 1 postlogd
	pickup    unix n - n 60 1 pickup
	cleanup   unix n - n - 0 cleanup
	qmgr      unix n - n 300 1 qmgr
	rewrite   unix - - n - - trivial-rewrite
	bounce    unix - - n - 0 bounce
	defer     unix - - n - 0 bounce
	trace     unix - - n - 0 bounce
	verify    unix - - n - 1 verify
	flush     unix n - n 1000? 0 flush
	proxymap  unix - - n - - proxymap
	anvil     unix - - n - 1 anvil
	scache    unix - - n - 1 scache
	local     unix - n n - - local
	smtp      unix - - n - - smtp
	error     unix - - n - - error
	retry     unix - - n - - error
	EOF2
	touch -d '-10 seconds' "$PF/etc/main.cf" "$PF/etc/master.cf"
}

forks() { awk '$1 == "processes" { print $2 }' /proc/stat; }
wire() { nsenter --net=/run/netns/$C awk '$1 == "rgac:" { print $10, $2 }' /proc/net/dev; }

# attack N: N sessions; prints "forks tx_bytes rx_bytes" for the run,
# counted until 3 s after the last session (bounces are made meanwhile).
attack() {
	f0=$(forks)
	w0=$(wire)
	nsenter --net=/run/netns/$C "$B/tests/smtp_attack" -s 10.89.0.1 -p 25 -n "$1" -r "$RCPTS" \
		> "$PF/attack.out"
	sleep 3
	f1=$(forks)
	w1=$(wire)
	echo "$f0 $f1 $w0 $w1" | awk '{ print $2 - $1, $5 - $3, $6 - $4 }'
}

for mode in accept reject rcptguard; do
	postfix_config $mode
	if [ $mode = rcptguard ]; then
		rm -rf "$PF/state"
		nsenter --net=/run/netns/$S "$B/rcptguardd" -f -c "$PF/rg.conf" 2>"$PF/rg.log" &
		dpid=$!
		wait_log "$PF/rg.log" 'event=start ' >/dev/null
	fi
	nsenter --net=/run/netns/$S postfix -c "$PF/etc" start >/dev/null 2>&1
	wait_log "$PF/maillog" 'daemon started' >/dev/null
	# The same steps with no session: what the machine forks anyway.
	set -- $(attack 0)
	base=$1
	set -- $(attack "$SESSIONS")
	res=$(cat "$PF/attack.out")
	queued=$(nsenter --net=/run/netns/$S postqueue -c "$PF/etc" -j 2>/dev/null |
		sed -n 's/.*"message_size": *\([0-9]*\).*/\1/p' | awk '{ t += $1 } END { print t + 0 }')
	echo "$1 $base $2 $3 $queued $SESSIONS" | awk -v mode=$mode -v res="$res" '{
		n = $6; printf "%-9s per session: %7.0f bytes in, %6.0f bytes out, %5.2f processes, %6.0f bytes of bounces queued  (%s)\n",
			mode, $3 / n, $4 / n, ($1 - $2) / n, $5 / n, res }'
	set -- $(echo "$1 $base $2 $3 $queued $SESSIONS" | awk '{ n = $6
		printf "%.0f %.0f %.2f %.0f\n", $3 / n, $4 / n, ($1 - $2) / n, $5 / n }')
	record "cost.$mode.bytes_in" "$1" B "$mode: bytes on the wire to the server per attack session ($RCPTS guesses)"
	record "cost.$mode.bytes_out" "$2" B "$mode: bytes on the wire from the server per attack session"
	record "cost.$mode.processes" "$3" "" "$mode: processes started per attack session"
	record "cost.$mode.backscatter" "$4" B "$mode: bounce bytes queued for the forged sender per session"
	nsenter --net=/run/netns/$S postfix -c "$PF/etc" stop >/dev/null 2>&1
	# Postfix's master leaves within a second; the next setup reuses the port.
	sleep 1.5
	if [ $mode = rcptguard ]; then
		kill "$dpid"
		wait "$dpid" 2>/dev/null || true
		dpid=
	fi
done
