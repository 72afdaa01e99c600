#!/bin/sh
# attack_cost.sh - part of make bench: what a dictionary attack costs the
# server, against a real Postfix (Debian's) in a network namespace, in
# three setups side by side:
#   accept     no protection: every recipient accepted, bounced later
#   reject     RCPT-time rejection only (local_recipient_maps)
#   rcptguard  rejection plus rcptguard (policy service, XDP): after five
#              unknown recipients the client is banned and its SYNs dropped
# smtp_attack runs SESSIONS sessions of RCPTS guesses from one process.
# Measured: bytes on the wire each way (the client veth's counters), the
# server's new processes (those in its network namespace that were not
# there before; Postfix's daemons live on for 100 s idle, so none is
# missed), and bounces queued for the forged sender (backscatter), per
# session.
# Usage: attack_cost.sh SESSIONS RCPTS
set -eu
SESSIONS=$1
RCPTS=$2
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lib/postfix.sh
S=rga-s$id
C=rga-c$id
bench_setup rgcost
PF=$dir
cleanup_more() {
	nsenter --net=/run/netns/$S postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
}
veth_pair "$S" rgas "$C" rgac
netns=$(readlink /proc/self/ns/net | sed "s/[0-9]*]/$(stat -L -c %i /run/netns/$S)]/")
nsenter --net=/run/netns/$S ip addr add 10.89.0.1/24 dev rgas
nsenter --net=/run/netns/$C ip addr add 10.89.0.2/24 dev rgac
# Postfix runs as user postfix: the base must be traversable.
chmod 755 "$PF"
printf 'bob@example.com\n' > "$PF/recipients.txt"
"$B/rcptguard" recipients compile -o "$PF/recipients.cdb" "$PF/recipients.txt" >/dev/null
cat > "$PF/conf" <<EOF2
interface = rgas
bpf_pin_dir = /sys/fs/bpf/rga-$id
query_socket = $PF/query.sock
query_socket_mode = 0666
control_socket = $PF/control.sock
state_dir = $PF/state
recipients = $PF/recipients.cdb
user = root
nft_table = $NFT_TABLE
EOF2

# postfix_config MODE: a fresh private instance that really delivers, so
# that unknown users bounce to the forged sender.
postfix_config() {
	rm -rf "$PF/etc" "$PF/queue" "$PF/data"
	case $1 in
	accept) postfix_conf "$PF" 10.89.0.1 25 local reject_unauth_destination ;;
	reject) postfix_conf "$PF" 10.89.0.1 25 local reject_unauth_destination 'inline:{ bob=ok }' ;;
	rcptguard) postfix_conf "$PF" 10.89.0.1 25 local \
		"reject_unauth_destination, check_policy_service unix:$PF/query.sock" 'inline:{ bob=ok }' ;;
	esac
}

# The processes in the server's namespace.
server_pids() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$netns" ] && echo "${p#/proc/}"
	done | sort
}
wire() { nsenter --net=/run/netns/$C awk '$1 == "rgac:" { print $10, $2 }' /proc/net/dev; }

# attack N: N sessions; prints "new_processes tx_bytes rx_bytes" for the
# run, counted until 3 s after the last session (bounces are made meanwhile).
attack() {
	server_pids > "$PF/pids.before"
	w0=$(wire)
	nsenter --net=/run/netns/$C "$B/tests/smtp_attack" -s 10.89.0.1 -p 25 -n "$1" -r "$RCPTS" \
		> "$PF/attack.out"
	sleep 3
	w1=$(wire)
	echo "$(server_pids | comm -13 "$PF/pids.before" - | wc -l) $w0 $w1" |
		awk '{ print $1, $4 - $2, $5 - $3 }'
}

for mode in accept reject rcptguard; do
	postfix_config $mode
	if [ $mode = rcptguard ]; then
		rm -rf "$PF/state"
		nsenter --net=/run/netns/$S "$B/rcptguardd" -f -c "$PF/conf" 2>"$PF/rg.log" &
		dpid=$!
		wait_log "$PF/rg.log" 'event=start '
	fi
	nsenter --net=/run/netns/$S postfix -c "$PF/etc" start >/dev/null 2>&1
	wait_log "$PF/maillog" 'daemon started'
	set -- $(attack "$SESSIONS")
	res=$(cat "$PF/attack.out")
	queued=$(nsenter --net=/run/netns/$S postqueue -c "$PF/etc" -j 2>/dev/null |
		sed -n 's/.*"message_size": *\([0-9]*\).*/\1/p' | awk '{ t += $1 } END { print t + 0 }')
	set -- $(echo "$1 $2 $3 $queued $SESSIONS" | awk '{ n = $5
		printf "%.0f %.0f %.2f %.0f\n", $2 / n, $3 / n, $1 / n, $4 / n }')
	printf '%-9s per session: %6s bytes in, %6s bytes out, %5s processes started, %6s bytes of bounces queued  (%s)\n' \
		$mode "$1" "$2" "$3" "$4" "$res"
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
