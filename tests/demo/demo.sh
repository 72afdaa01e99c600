#!/bin/bash
# demo.sh - make demo: a dictionary attack on a private Postfix in network
# namespaces, told as it happens: rejected at RCPT, banned, SYNs dropped in
# the driver with counters rising, then unbanned. Cleans up everything.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$TOP/build
ID=$$
NS_S=rgdemo-mx$ID
NS_C=rgdemo-bot$ID
IF_S=rgdm$((ID % 100000))
IF_C=rgdb$((ID % 100000))
PIN=/sys/fs/bpf/rgdemo-$ID
WORK=$(mktemp -d /tmp/rgdemo.XXXXXX)
CONF=$WORK/rcptguard.conf
CSOCK=$WORK/control.sock
STATE=$WORK/state
DPID=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; sleep 0.5; }

cleanup() {
	postfix_stop 2>/dev/null
	[ -n "$DPID" ] && kill $DPID 2>/dev/null && wait $DPID 2>/dev/null
	[ -n "${WEB:-}" ] && kill $WEB 2>/dev/null
	# In the demo's namespace: detach also deletes the nft table there.
	nsenter --net=/run/netns/$NS_S "$B/rcptguard" --pin-dir "$PIN" detach >/dev/null 2>&1
	ip netns del $NS_S 2>/dev/null
	ip netns del $NS_C 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

. "$TOP/tests/system/netns.bash"
# shellcheck source=../system/postfix.bash
. "$TOP/tests/system/postfix.bash"

say "Two hosts: mx (10.77.1.1, Postfix on port 25, a web server on 80) and a bot (10.77.1.2)"
ip netns add $NS_S && ip netns add $NS_C || exit 1
ip link add $IF_S netns $NS_S type veth peer name $IF_C netns $NS_C
in_s sh -c "ip link set lo up; ip link set $IF_S up; ip addr add 10.77.1.1/24 dev $IF_S"
in_c sh -c "ip link set lo up; ip link set $IF_C up; ip addr add 10.77.1.2/24 dev $IF_C"
postfix_setup 25
nsenter --net=/run/netns/$NS_S socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo HTTP/1.0 200 OK' &
WEB=$!
echo "mx's only mailbox: bob@example.com"

say "rcptguardd starts: XDP on mx's interface, policy socket for Postfix"
nsenter --net=/run/netns/$NS_S "$B/rcptguardd" -f -c "$CONF" 2>"$WORK/daemon.log" &
DPID=$!
for _ in $(seq 100); do grep -q 'event=start ' "$WORK/daemon.log" && break; sleep 0.05; done
grep -q 'event=start ' "$WORK/daemon.log" || { cat "$WORK/daemon.log"; exit 1; }
grep -o 'event=attach.*' "$WORK/daemon.log"
postfix_start || exit 1

say "The bot guesses addresses: a1@ ... a5@example.com"
swaks_to a1@example.com,a2@example.com,a3@example.com,a4@example.com,a5@example.com 2>&1 |
	grep -E '^ *(->|<-|<\*\*) +(RCPT|5|4)'

say "rcptguardd banned the bot before answering 421"
grep -o 'event=ban .*' "$WORK/daemon.log"
rg list

say "The bot's next SYNs to port 25 die in the driver; port 80 still answers"
blocked=0
for try in 1 2 3; do
	if in_c timeout 3 socat -T1 - TCP:10.77.1.1:25,connect-timeout=1 </dev/null >/dev/null 2>&1; then
		echo "port 25, try $try: connected (unexpected)"
	else
		echo "port 25, try $try: no answer"
		blocked=$((blocked + 1))
	fi
done
in_c timeout 3 socat -T1 - TCP:10.77.1.1:80,connect-timeout=1 </dev/null | sed 's/^/port 80: /'
rg list

say "rcptguard unban 10.77.1.2: mail flows again"
rg unban 10.77.1.2
swaks_to bob@example.com 2>&1 | grep -E '^ *(<-|<\*\*) +250 2\.1\.5'

say "What the ban saved mx"
rg stats --prometheus | awk -v blocked=$blocked '
	$1 == "rcptguard_dropped_packets_total" { pk = $2 }
	$1 == "rcptguard_dropped_bytes_total" { by = $2 }
	$1 ~ /^rcptguard_bandwidth_saved/ { est = $2 }
	END {
		printf "dropped:   %d packets, %d bytes, in the driver: no socket, no process\n", pk, by
		printf "bandwidth: about %d bytes saved (what was dropped, and the replies it would have had)\n", est
		printf "processes: %d smtpd processes never started: each connection the bot tried\n", blocked
		printf "           would have made Postfix (or tcpserver for qmail) run one\n"
	}'

say "Done; removing the namespaces, Postfix, the program and its pins"
