#!/bin/sh
# peer.sh - part of make bench: fail2ban (Debian's package, its nftables
# action) and rcptguard (follow = the log, backend = nft) watch the same
# kind of validrcptto log in one network namespace. Measured side by side:
# the reaction time from the fifth rejection written to the ban in the
# nftables set (log_reaction, NREACT clients each), and fail2ban's restart
# with NBANS bans until they are all back in its set (rcptguard's restart
# with as many bans is scale.sh's). Usage: peer.sh NREACT NBANS
set -eu
NREACT=$1
NBANS=$2
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
ns=rgp-$id
bench_setup rgpeer
F2B="fail2ban-client -c $dir/f2b"
cleanup_more() {
	nsenter --net=/run/netns/$ns $F2B stop >/dev/null 2>&1 || true
}
veth_pair "$ns" rgp0 "$ns" rgp1

# fail2ban: a private instance (its own socket, database and logs), one
# jail on the validrcptto line, Debian's nftables action, the inotify
# backend (python3-pyinotify), maxretry 5 like rcptguard's threshold.
mkdir -p "$dir/f2b/filter.d" "$dir/f2b/jail.d"
cp -r /etc/fail2ban/action.d "$dir/f2b/"
cat > "$dir/f2b/fail2ban.conf" <<EOF2
[Definition]
loglevel = NOTICE
logtarget = $dir/f2b.log
socket = $dir/f2b.sock
pidfile = $dir/f2b.pid
dbfile = $dir/f2b.sqlite3
dbpurgeage = 1d
syslogsocket = auto
allowipv6 = auto
EOF2
cat > "$dir/f2b/filter.d/validrcptto.conf" <<'EOF2'
[Definition]
failregex = qmail-smtpd\[\d+\]: not in validrcptto: \S+ at <HOST>$
EOF2
cat > "$dir/f2b/jail.conf" <<EOF2
[DEFAULT]
bantime = 3600
findtime = 600
maxretry = 5
backend = pyinotify
[validrcptto]
enabled = true
filter = validrcptto
logpath = $dir/f2b-smtpd.log
action = nftables[name=validrcptto, port="25,465,587", protocol=tcp, blocktype=drop]
EOF2
: > "$dir/f2b-smtpd.log"
f2b_set="f2b-table:addr-set-validrcptto"
f2b_count() {
	nsenter --net=/run/netns/$ns nft list set inet f2b-table addr-set-validrcptto 2>/dev/null |
		tr ',{}' '\n\n\n' | grep -c '[0-9]\.[0-9]' || true
}
f2b_start() {
	nsenter --net=/run/netns/$ns $F2B -x start >/dev/null
	# The jail is up when its action has made the set.
	i=0
	until nsenter --net=/run/netns/$ns nft list set inet f2b-table addr-set-validrcptto \
		>/dev/null 2>&1 || [ $i -gt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

# rcptguard: the nft backend, following its own copy of the log.
cat > "$dir/conf" <<EOF2
interface = rgp0
backend = nft
bpf_pin_dir = /sys/fs/bpf/rgp-$id
query_socket = $dir/q.sock
control_socket = $dir/c.sock
state_dir = $dir/state
user = root
follow = $dir/rg-smtpd.log
nft_table = $NFT_TABLE
EOF2
: > "$dir/rg-smtpd.log"
nsenter --net=/run/netns/$ns "$B/rcptguardd" -f -c "$dir/conf" 2>"$dir/rg.log" &
dpid=$!
wait_log "$dir/rg.log" 'event=start '
f2b_start

react() {
	name=$1
	shift
	set -- $(nsenter --net=/run/netns/$ns "$B/tests/log_reaction" -n "$NREACT" -w 10 "$@" | tr '=' ' ')
	printf '%-10s reaction, fifth rejection written to the ban in the nft set: p50 %s us, p99 %s us, max %s us (%s bans, %s late)\n' \
		"$name" "$6" "$8" "${10}" "$2" "$4"
	record "peer.$name.reaction_p50_us" "$6" us "$name: log line to ban in the nft set, p50 over $NREACT"
	record "peer.$name.reaction_p99_us" "$8" us "$name: log line to ban in the nft set, p99 over $NREACT"
	eval "p50_$name=$6"
}
react rcptguard -f "$dir/rg-smtpd.log" -s "$NFT_TABLE:ban4_32"
react fail2ban -f "$dir/f2b-smtpd.log" -s "$f2b_set"
echo "$p50_fail2ban $p50_rcptguard" | awk '{ printf "reaction p50, fail2ban / rcptguard: %.0fx\n", $2 ? $1 / $2 : 0 }'
record peer.ratio.reaction_p50 "$(echo "$p50_fail2ban $p50_rcptguard" | awk '{ printf "%.0f", $2 ? $1 / $2 : 0 }')" x \
	"reaction p50, fail2ban / rcptguard"
kill "$dpid"
wait "$dpid" 2>/dev/null || true
dpid=

# fail2ban's restart with NBANS bans: it re-bans each from its database.
awk -v n="$NBANS" 'BEGIN { for (i = 0; i < n; i++) printf "10.%d.%d.%d\n", 120 + int(i / 65536), int(i / 256) % 256, i % 256 }' |
	xargs -n 500 nsenter --net=/run/netns/$ns $F2B set validrcptto banip >/dev/null
i=0
until [ "$(f2b_count)" -ge "$NBANS" ] || [ $i -gt 1200 ]; do sleep 0.5; i=$((i + 1)); done
held=$(f2b_count)
nsenter --net=/run/netns/$ns $F2B stop >/dev/null
t0=$(date +%s.%N)
f2b_start
i=0
until [ "$(f2b_count)" -ge "$held" ] || [ $i -gt 6000 ]; do sleep 0.1; i=$((i + 1)); done
took=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
echo "fail2ban restart with $held bans, until all are back in its set: ${took}s"
record "peer.fail2ban.restart_bans$NBANS.seconds" "$took" s "fail2ban: restart with $NBANS bans until all are back in its nft set"
