#!/bin/sh
# run.sh - make bench: the XDP program's ns/packet, then verdict rates over
# the query socket of a real daemon (in a private network namespace, with
# private pins and socket). Numbers move between runs on a shared VM;
# compare the ratios printed side by side. QUICK=1 (make bench-quick, run
# by make check) does the same in seconds, so the harness never rots.
set -eu
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then REPEAT=20000 N=2000; else REPEAT=2000000 N=100000; fi
cd "$(dirname "$0")/../.."
B=build
id=$$
ns=rgb-$id
dir=$(mktemp -d /tmp/rgbench.XXXXXX)
cleanup() {
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	"$B/rcptguard" --pin-dir "/sys/fs/bpf/rgb-$id" detach >/dev/null 2>&1 || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== XDP program, BPF_PROG_TEST_RUN"
"$B/tests/bench_xdp" $REPEAT

echo "== verdicts over the query socket"
ip netns add "$ns"
ip link add rgb0 netns "$ns" type veth peer name rgb1 netns "$ns"
nsenter --net=/run/netns/$ns ip link set rgb0 up
seq 1 "$N" | sed 's/^/user/; s/$/@example.com/' > "$dir/src"
"$B/rcptguard" recipients compile -o "$dir/r.cdb" "$dir/src" >/dev/null
cat > "$dir/conf" <<EOF2
interface = rgb0
bpf_pin_dir = /sys/fs/bpf/rgb-$id
query_socket = $dir/q.sock
recipients = $dir/r.cdb
control_socket = $dir/c.sock
state_dir = $dir/state
user = root
# the load generator's clients would be banned
allow = 192.0.2.0/24
follow = $dir/smtpd.log
EOF2
: > "$dir/smtpd.log"
nsenter --net=/run/netns/$ns "$B/rcptguardd" -f -c "$dir/conf" 2>"$dir/log" &
dpid=$!
i=0
while [ ! -S "$dir/q.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
load() {
	"$B/tests/policy_load" -s "$dir/q.sock" "$@" \
		user77@example.com=DUNNO nobody@example.com=550 x@other.test=DUNNO
}
load -c 1 -n "$N"
load -c 16 -n $((2 * N))
load -c 256 -n $((2 * N))
load -c 1 -n $((N / 5)) -1

echo "== reaction: request arrival to 421, the ban already in the kernel map"
# Every client's fifth unknown recipient bans it; only those are timed.
B5=$((N / 100))
"$B/tests/policy_load" -s "$dir/q.sock" -c 1 -a $B5 -n $((5 * B5)) -r $((4 * B5)) \
	nobody@example.com=
"$B/rcptguard" -c "$dir/conf" stats --prometheus | grep '^rcptguard_bans_total{reason="unknown-recipient"}'

echo "== memory: daemon RSS per tracked offender (one unknown recipient each, no ban)"
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$dpid/status; }
offenders() {
	"$B/rcptguard" -c "$dir/conf" stats --prometheus | awk '$1 == "rcptguard_offenders" { print $2 }'
}
if [ "$QUICK" = 1 ]; then SIZES=10000; else SIZES="100000 1000000"; fi
for n in $SIZES; do
	r0=$(rss)
	o0=$(offenders)
	# Some of these clients exist already (the reaction test's): the
	# offender count's growth is what the RSS growth is divided by.
	"$B/tests/policy_load" -s "$dir/q.sock" -c 4 -a "$n" -n "$n" nobody@example.com= \
		>/dev/null 2>&1 || true
	r1=$(rss)
	o1=$(offenders)
	echo "$n $r0 $r1 $o0 $o1" | awk '{ d = $5 - $4; printf "offenders=+%d rss_delta_kb=%d bytes_per_offender=%.0f\n", d, $3 - $2, d ? ($3 - $2) * 1024 / d : 0 }'
done

if [ "$QUICK" = 1 ]; then
	echo "== flood over veth (quick: 0.2 s per backend, 1 ban)"
	sh tests/bench/flood.sh 0.2 1
else
	echo "== flood over veth: 1 ban"
	sh tests/bench/flood.sh 2 1
	echo "== flood over veth: 1,000,000 bans (the flood's source among them)"
	sh tests/bench/flood.sh 2 1000000
fi

echo "== reaction, log path: the fifth rejection written to a followed log, to the ban in the kernel map"
"$B/tests/log_reaction" -f "$dir/smtpd.log" -p "/sys/fs/bpf/rgb-$id" -n $((N / 100))
[ "$QUICK" = 1 ] && echo "ok 1 - the benchmarks ran"
exit 0
