#!/bin/sh
# run.sh - make bench: every measurement in one run, each figure printed
# as it comes and recorded (lib.sh's record) for the report that ends the
# run: bench-results/report.md and report.json, with plots. Numbers move
# between runs on a shared VM; compare the ratios, all measured here side
# by side. QUICK=1 (make bench-quick, run by make check) does the same in
# seconds so the harness never rots, and reports to bench-results/quick/.
set -eu
QUICK=${QUICK:-0}
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
if [ "$QUICK" = 1 ]; then
	REPEAT=20000 N=2000 OFFENDERS=10000 FLOOD_SECS=0.2 FLOOD_BANS=1 FLOOD_ROUNDS=1 SPAWNS=20
	SCALE="10000 1000" COST="3 10" PEER="3 30" LOG_BANS=20 STORM=500 OUT=bench-results/quick
	CROWDSEC="200" MX_TIMEOUT=3 STEPS="2000 1"
else
	REPEAT=2000000 N=100000 OFFENDERS="100000 1000000" FLOOD_SECS=2 FLOOD_BANS="1 1000000"
	FLOOD_ROUNDS=3
	SPAWNS=500 SCALE="1000000 10000 100000 1000000" COST="30 10" PEER="20 10000"
	LOG_BANS=1000 STORM=10000 OUT=bench-results
	CROWDSEC="1000 10000 100000" MX_TIMEOUT=30 STEPS="1000000 7"
fi
for p in bench_xdp bench_steps policy_load log_reaction flood bench_lookup smtp_attack spawn_cost attack_load \
	state_io; do
	[ -x "$B/tests/$p" ] || {
		echo "tests/bench/run.sh: $B/tests/$p is not built; run make bench or make bench-quick" >&2
		exit 2
	}
done
ns=rgb-$id
mkdir -p "$OUT"
RG_RESULTS=$OUT/results.tsv
export RG_RESULTS
: > "$RG_RESULTS"
bench_setup rgbench
started=$(date +%s)

echo "== 1. the XDP program alone, BPF_PROG_TEST_RUN (ns/packet)"
"$B/tests/bench_xdp" $REPEAT | tee "$dir/xdp.out"
awk 'NR > 1 { n = $1
	print "xdp.bans" n ".floor_ns\t" $3 "\tns\ta bare XDP_DROP program (" n " bans)"
	print "xdp.bans" n ".hit_ns\t" $4 "\tns\ta banned source (" n " exact bans, " $2 " prefixes)"
	print "xdp.bans" n ".miss_ns\t" $5 "\tns\tan unbanned source (" n " exact bans, " $2 " prefixes)"
	print "xdp.bans" n ".allow_ns\t" $6 "\tns\ta banned, allowlisted source (" n " exact bans, " $2 " prefixes)"
	print "xdp.bans" n ".port80_ns\t" $7 "\tns\ta packet to an unprotected port (" n " bans)" }' \
	"$dir/xdp.out" >> "$RG_RESULTS"

echo "== 1. the verdict's lookups step by step, over distinct sources scattered over IPv4 (ns/source)"
"$B/tests/bench_steps" $STEPS | tee "$dir/steps.out"
# Per bans/set/step: the step alone (net_ns) and, for the chain, in place.
awk '/^# memory: .* bans_v4:/ { print "xdp.steps.memory.bans_v4_bytes\t" $(NF - 5) "\tB\tkernel memory per IPv4 ban in bans_v4 (4-byte keys)"; next }
	/^# memory:/ { print "xdp.steps.memory.key16_bytes\t" $(NF - 5) "\tB\tthe same in a hash with 16-byte keys (all exact bans before bans_v4)"; next }
	NR > 1 && !/^#/ { k = "xdp.steps.bans" $1 "." $2 "." $3
	print k ".ns\t" $4 "\tns\t" $3 ", " $2 " sources, " $1 " exact bans: ns per source, the loop included"
	print k ".net_ns\t" $5 "\tns\t" $3 ", " $2 " sources, " $1 " exact bans: ns per source, the step alone"
	if ($6 != "-") print k ".place_ns\t" $6 "\tns\t" $3 ", " $2 " sources, " $1 " exact bans: the last step in place, in the chain" }' \
	"$dir/steps.out" >> "$RG_RESULTS"

echo "== 4. verdicts over the query socket"
veth_pair "$ns" rgb0 "$ns" rgb1
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
nft_table = $NFT_TABLE
# the load generator's clients would be banned
allow = 192.0.2.0/24
follow = $dir/smtpd.log
EOF2
: > "$dir/smtpd.log"
nsenter --net=/run/netns/$ns "$B/rcptguardd" -f -c "$dir/conf" 2>"$dir/log" &
dpid=$!
wait_log "$dir/log" 'event=start '
# load NAME TEXT ARGS...: policy_load, its line printed and its figures recorded.
load() {
	name=$1 text=$2
	shift 2
	"$B/tests/policy_load" -s "$dir/q.sock" "$@" \
		user77@example.com=DUNNO nobody@example.com=550 x@other.test=DUNNO | tee "$dir/load.out"
	sed 's/.*rate=\([0-9]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 \3/' "$dir/load.out" |
		while read -r rate p50 p99; do
			record "verdicts.$name.rate" "$rate" "req/s" "verdicts, $text"
			record "verdicts.$name.p50_us" "$p50" us "verdict latency p50, $text"
			record "verdicts.$name.p99_us" "$p99" us "verdict latency p99, $text"
		done
}
load c1 "1 persistent connection" -c 1 -n "$N"
load c16 "16 persistent connections" -c 16 -n $((2 * N))
load c256 "256 persistent connections" -c 256 -n $((2 * N))
load per_request "a new connection per request" -c 1 -n $((N / 5)) -1
echo "rcptguard-spp against /bin/true, alternating, $SPAWNS runs each:"
TCPREMOTEIP=192.0.2.1 SMTPRCPTTO=user77@example.com SMTPMAILFROM=s@example.net RCPTGUARD_SOCKET=$dir/q.sock \
	"$B/tests/spawn_cost" "$SPAWNS" /bin/true -- "$B/rcptguard-spp" rcpt | tee "$dir/spawn.out"
set -- $(tr '=' ' ' < "$dir/spawn.out")
record spp.true_us "$2" us "exec of /bin/true, whole cost"
record spp.spp_us "$4" us "rcptguard-spp for one RCPT, whole cost (exec, query, verdict)"
record spp.ratio "$6" x "rcptguard-spp / /bin/true"

echo "== 3. reaction, policy path: request arrival to 421, the ban already in the kernel map"
# Every client's fifth unknown recipient bans it; only those are timed.
B5=$((N / 100))
"$B/tests/policy_load" -s "$dir/q.sock" -c 1 -a $B5 -n $((5 * B5)) -r $((4 * B5)) \
	nobody@example.com= | tee "$dir/react.out"
set -- $(sed 's/.*p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2/' "$dir/react.out")
record reaction.policy.p50_us "$1" us "policy path: fifth unknown recipient to ban in the map, p50 over $B5"
record reaction.policy.p99_us "$2" us "policy path: fifth unknown recipient to ban in the map, p99 over $B5"

echo "== 3. reaction, log path: the fifth rejection written to a followed log, to the ban in the kernel map"
"$B/tests/log_reaction" -f "$dir/smtpd.log" -p "/sys/fs/bpf/rgb-$id" -n "$LOG_BANS" | tee "$dir/logr.out"
set -- $(sed 's/.*p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/\1 \2/' "$dir/logr.out")
record reaction.log.p50_us "$1" us "log path: fifth rejection written to ban in the map, p50 over $LOG_BANS"
record reaction.log.p99_us "$2" us "log path: fifth rejection written to ban in the map, p99 over $LOG_BANS"

echo "== 6. memory: daemon RSS per tracked offender (one unknown recipient each, no ban)"
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$dpid/status; }
offenders() {
	"$B/rcptguard" -c "$dir/conf" stats --prometheus | awk '$1 == "rcptguard_offenders" { print $2 }'
}
for n in $OFFENDERS; do
	r0=$(rss)
	o0=$(offenders)
	# Some of these clients exist already (the reaction test's): the
	# offender count's growth is what the RSS growth is divided by.
	"$B/tests/policy_load" -s "$dir/q.sock" -c 4 -a "$n" -n "$n" nobody@example.com= \
		>/dev/null 2>&1 || true
	r1=$(rss)
	o1=$(offenders)
	per=$(echo "$r0 $r1 $o0 $o1" | awk '{ d = $4 - $3; printf "%.0f", d ? ($2 - $1) * 1024 / d : 0 }')
	echo "offenders=+$((o1 - o0)) rss_delta_kb=$((r1 - r0)) bytes_per_offender=$per"
	record "memory.offenders$n.bytes" "$per" B "daemon RSS growth per tracked offender, $n offenders"
done
kill "$dpid"
wait "$dpid" 2>/dev/null || true
dpid=

echo "== 4. verdicts while a storm of attackers is banned"
sh tests/bench/ban_storm.sh "$STORM"

echo "== 2. floods over veth"
for n in $FLOOD_BANS; do
	echo "-- $n bans"
	sh tests/bench/flood.sh "$FLOOD_SECS" "$n" "$FLOOD_ROUNDS"
done

echo "== 5. scale"
sh tests/bench/scale.sh $SCALE

echo "== 6. state writes while bans change (100 a second)"
nb=$(echo $SCALE | tr ' ' '\n' | sort -n | tail -1)
mkdir -p "$dir/stateio"
# Not tee /dev/stderr: when stderr is a file, tee opens it again, truncated.
"$B/tests/state_io" "$dir/stateio" "$nb" 100 60 > "$dir/stateio.out"
cat "$dir/stateio.out"
set -- $(tr ' =' '\n ' < "$dir/stateio.out")
rm -rf "$dir/stateio"
while [ $# -gt 0 ]; do
	case $1 in
	rewrite_bytes_per_s) record "state.bans$nb.rewrite_bytes_per_s" "$2" B/s \
		"state file rewritten whole every second ($nb bans)" ;;
	journaled_bytes_per_s) record "state.bans$nb.journal_bytes_per_s" "$2" B/s \
		"journal lines every second, full save every 60 s ($nb bans)" ;;
	esac
	shift 2
done

echo "== 7. attack cost against Postfix"
sh tests/bench/attack_cost.sh $COST

echo "== 8. peer: fail2ban"
sh tests/bench/peer.sh $PEER

echo "== 9. a banned connect(), and Postfix falling back to the next MX: ban_action = drop against rst"
sh tests/bench/rst_cost.sh 2 "$MX_TIMEOUT"

echo "== 10. peer: crowdsec-firewall-bouncer, one CrowdSec LAPI"
bash tests/bench/crowdsec.sh $CROWDSEC

record run.seconds "$(($(date +%s) - started))" s "the whole run"
sh tests/bench/report.sh "$OUT"
[ "$QUICK" = 1 ] && echo "ok 1 - the benchmarks ran, report in $OUT/report.md"
exit 0
