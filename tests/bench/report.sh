#!/bin/sh
# report.sh - turn a run's figures (DIR/results.tsv: key, value, unit,
# text) into DIR/report.json and DIR/report.md, with the conditions of the
# run, the goals of issues #9 and #21 against what was measured, and PNG plots
# (gnuplot) where a picture reads better than a table.
# Usage: report.sh DIR
set -eu
OUT=$1
R=$OUT/results.tsv
cd "$(dirname "$0")/../.."
[ -s "$R" ] || { echo "report.sh: no figures in $R" >&2; exit 1; }

# The conditions: what the numbers depend on.
kernel=$(uname -r)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpus=$(nproc)
mem=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with local changes)"
when=$(date -u '+%Y-%m-%d %H:%M UTC')
case $OUT in */quick) kind="bench-quick (seconds-long, for CI: small sizes, not for quoting)" ;;
*) kind="make bench (full)" ;; esac

get() { awk -F '\t' -v k="$1" '$1 == k { print $2; exit }' "$R"; }
# The same for plot data: "?" (missing) when not measured.
val() { v=$(get "$1"); echo "${v:-?}"; }

# goal TEXT VALUE OP LIMIT UNIT: one row of the goals table.
goal() {
	if [ -z "$2" ]; then
		printf '| %s | not measured in this run | |\n' "$1"
	elif awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == ">=" ? v >= l : v <= l) }'; then
		printf '| %s | %s %s | met |\n' "$1" "$2" "$5"
	else
		printf '| %s | %s %s | **not met** |\n' "$1" "$2" "$5"
	fi
}
# floor_rows: XDP's receiver CPU per packet as a ratio to the bare
# XDP_DROP floor on the same veth, one row per mode and flood size.
floor_rows() {
	for n in $(awk -F '\t' '$1 ~ /^flood\.bans[0-9]+\.one\.xdp_floor\.ns_per_packet$/ {
			split($1, k, "."); print substr(k[2], 5) }' "$R"); do
		w=bans
		[ "$n" != 1 ] || w=ban
		for be in xdp_native xdp_generic; do
			printf '| %s, %s %s |' "$(echo $be | sed 's/xdp_/XDP /')" "$n" $w
			for kind in one many outside; do
				r=$(get flood.bans$n.ratio.$kind.${be}_floor)
				[ -z "$r" ] || printf ' %s× (%s / %s ns)' "$r" "$(get flood.bans$n.$kind.$be.ns_per_packet)" \
					"$(get flood.bans$n.$kind.xdp_floor.ns_per_packet)"
				printf ' |'
			done
			echo
		done
	done
}
x1=$(get flood.bans1.one.xdp_native.mpps_per_core)
xm=$(get flood.bans1000000.one.xdp_native.mpps_per_core)
keep=
[ -n "$x1" ] && [ -n "$xm" ] && keep=$(echo "$xm $x1" | awk '{ printf "%.0f", 100 * $1 / $2 }')
# Issue #21's lookup goals, from bench_steps at its largest size (NB bans):
# the verdict's lookups over distinct sources, and the same added to the
# veth flood's per-packet cost (one source, 1 ban) as a packet would pay.
NB=$(awk -F '\t' '$1 ~ /^xdp\.steps\.bans[0-9]+\./ { split($1, p, "."); n = substr(p[3], 5) + 0
	if (n > max) max = n } END { if (max > 1) print max }' "$R")
steps() { get "xdp.steps.bans$1.$2.judge.ns"; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; fi; }
# plus F A B: (F + A - B) / F, the chain's extra time on a packet costing F.
plus() {
	if [ -n "$1" ] && [ -n "$2" ] && [ -n "$3" ]; then
		echo "$1 $2 $3" | awk '{ printf "%.2f", ($1 + $2 - $3) / $1 }'
	fi
}
s_banned= s_out= p_banned= p_out=
if [ -n "$NB" ]; then
	s_banned=$(ratio "$(steps "$NB" banned)" "$(steps "$NB" one)")
	s_out=$(ratio "$(steps "$NB" outside)" "$(steps 1 outside)")
	fl=$(get flood.bans1.one.xdp_native.ns_per_packet)
	p_banned=$(plus "$fl" "$(steps "$NB" banned)" "$(steps "$NB" one)")
	fo=$(get flood.bans1.outside.xdp_native.ns_per_packet)
	p_out=$(plus "$fo" "$(steps "$NB" outside)" "$(steps 1 outside)")
fi
# The floods' generator (flood.c) and, for the socket one, the load it offered.
gen=$(awk -F '\t' '$1 ~ /^flood\.bans[0-9]+\.generator$/ { print $2 }' "$R" | tr , '\n' | sort -u | paste -sd, -)
offered=$(awk -F '\t' '$1 ~ /^flood\..*\.offered_mpps$/ { v = $2 + 0
	if (!n++ || v < lo) lo = v; if (v > hi) hi = v } END { if (n) printf "%.2f-%.2f", lo, hi }' "$R")

{
	echo "# rcptguard benchmark report"
	echo
	echo "$kind, $when. Ratios measured side by side in this run are what"
	echo "count; absolute numbers move between runs on shared machines."
	echo
	echo "| condition | |"
	echo "|---|---|"
	echo "| kernel | $kernel |"
	echo "| CPU | $cpu, $cpus CPUs |"
	echo "| memory | $mem |"
	echo "| rcptguard | $commit |"
	echo "| run time | $(get run.seconds) s |"
	echo "| flood generator | ${gen:-not run} |"
	echo
	case $gen in *af_packet*)
		echo "**The floods were sent through an AF_PACKET socket**: this kernel refuses"
		echo "BPF_PROG_TEST_RUN with live frames (docs/performance.md). The socket offered"
		echo "$offered Mpps, which may be less than XDP can drop, so packets/s handled are"
		echo "the sender's limit, not the receiver's. Veth also hands XDP each socket-sent"
		echo "frame as an skb it first copies into a page, a cost live frames and a NIC do"
		echo "not add. The receivers' CPU ns per packet (threaded NAPI) are real costs for"
		echo "these frames, but mostly veth's skb handling: the XDP / nft ratios here"
		echo "understate XDP's advantage; section 1 (the program alone) and a live-frames run"
		echo "measure it."
		echo ;;
	esac
	echo "## Goals"
	echo
	echo "| goal | measured | |"
	echo "|---|---|---|"
	goal "XDP drop capacity with 1M bans ≥ 4× nft (ingress) with the same bans, one source" \
		"$(get flood.bans1000000.ratio.one.xdp_nft_ingress)" ">=" 4 "×"
	goal "the same, sources scattered over the million bans (a botnet)" \
		"$(get flood.bans1000000.ratio.many.xdp_nft_ingress)" ">=" 4 "×"
	goal "XDP with 1M bans ≥ 75 % of its 1-ban capacity, one source" "$keep" ">=" 75 "%"
	goal "XDP native with 1M bans, one banned source, ≤ 1.3× the bare XDP_DROP floor on the same veth (issue #21)" \
		"$(get flood.bans1000000.ratio.one.xdp_native_floor)" "<=" 1.3 "×"
	goal "lookups of sources scattered over ${NB:-1M} bans ≤ 3× one banned source (bench_steps)" \
		"$s_banned" "<=" 3 "×"
	goal "the same per packet: added to the veth flood's cost of one source, 1 ban" "$p_banned" "<=" 3 "×"
	goal "lookups of outside sources at ${NB:-1M} bans ≤ 1.2× at 1 ban (bench_steps)" "$s_out" "<=" 1.2 "×"
	goal "the same per packet: added to the veth flood's cost of outside sources, 1 ban" \
		"$p_out" "<=" 1.2 "×"
	goal "reaction p99 ≤ 1 ms, policy path" "$(get reaction.policy.p99_us)" "<=" 1000 "µs"
	goal "reaction p99 ≤ 5 ms, log path" "$(get reaction.log.p99_us)" "<=" 5000 "µs"
	goal "≥ 50,000 verdicts/s on one core (the daemon's one thread; best of 1, 16, 256 connections)" \
		"$(for c in c1 c16 c256; do get verdicts.$c.rate; done | sort -n | tail -1)" ">=" 50000 "req/s"
	goal "rcptguard-spp ≤ 2× exec of /bin/true" "$(get spp.ratio)" "<=" 2 "×"
	goal "daemon RSS ≤ 256 B per offender at 1M" "$(get memory.offenders1000000.bytes)" "<=" 256 "B"
	echo
	if [ -n "$(get flood.bans1.one.xdp_floor.ns_per_packet)$(get flood.bans1000000.one.xdp_floor.ns_per_packet)" ]; then
		echo "## XDP against the floor"
		echo
		echo "Receiver CPU per packet over that of a bare XDP_DROP attached natively to the"
		echo "same veth under the same flood (XDP / floor, in brackets the medians in ns)."
		echo "Outside sources pass XDP to the stack, while the floor drops them."
		echo
		echo "| receiver | one banned source | sources scattered over the bans | outside sources |"
		echo "|---|---|---|---|"
		floor_rows
		echo
	fi
	if [ -n "$(get rst.xdp.drop.mx_delivered_ms)" ]; then
		echo "## Drop or RST: a banned connect(), and Postfix falling back to the next MX"
		echo
		echo "The client's tcp_syn_retries lowered for connect(); Postfix with the kernel's default"
		echo "and smtp_connect_timeout = $(get rst.mx_connect_timeout_s) s (docs/performance.md, section 9)."
		echo
		echo "| backend, ban_action | connect(): bytes in, out | gave up after | Postfix: delivered to the second MX after | bytes to, from the first MX |"
		echo "|---|---|---|---|---|"
		for be in xdp nft; do
			for a in drop rst; do
				k=rst.$be.$a
				printf '| %s, %s | %s, %s | %s ms | %s ms | %s, %s |\n' $be $a "$(get $k.bytes_in)" \
					"$(get $k.bytes_out)" "$(get $k.give_up_ms)" "$(get $k.mx_delivered_ms)" \
					"$(get $k.mx_bytes_in)" "$(get $k.mx_bytes_out)"
			done
		done
		echo
	fi
	echo "## Plots"
	echo
	for p in flood xdp reaction cost; do echo "![$p]($p.png)"; done
	echo
	echo "## Every figure"
	awk -F '\t' '
		{ sec = $1; sub(/\..*/, "", sec) }
		sec != last { printf "\n### %s\n\n| figure | value | unit |\n|---|---:|---|\n", sec; last = sec }
		{ printf "| %s | %s | %s |\n", $4, $2, $3 }' "$R"
} > "$OUT/report.md"

awk -F '\t' -v kernel="$kernel" -v cpu="$cpu" -v cpus="$cpus" -v mem="$mem" -v commit="$commit" \
	-v when="$when" -v kind="$kind" '
	function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
	BEGIN {
		printf "{\n  \"conditions\": {\"kernel\": %s, \"cpu\": %s, \"cpus\": %s, \"memory\": %s, \"commit\": %s, \"date\": %s, \"kind\": %s},\n  \"figures\": {", q(kernel), q(cpu), cpus, q(mem), q(commit), q(when), q(kind)
	}
	{ printf "%s\n    %s: {\"value\": %s, \"unit\": %s, \"text\": %s}", (NR > 1 ? "," : ""), q($1), ($2 ~ /^-?[0-9.]+$/ ? $2 : q($2)), q($3), q($4) }
	END { printf "\n  }\n}\n" }' "$R" > "$OUT/report.json"

command -v gnuplot >/dev/null || { echo "report: $OUT/report.md (no gnuplot: no plots)"; exit 0; }
# Data files for the plots, one row per bar group.
for be in xdp_floor xdp_native xdp_generic nft_ingress nft_prerouting; do
	echo "\"$(echo $be | tr _ ' ' | sed 's/xdp/XDP/')\" $(val flood.bans1.one.$be.ns_per_packet) $(val flood.bans1000000.one.$be.ns_per_packet)" \
		"$(val flood.bans1000000.many.$be.ns_per_packet)"
done > "$OUT/flood.dat"
for n in 0 1 100000 1000000; do
	echo "$n $(val xdp.bans$n.floor_ns) $(val xdp.bans$n.hit_ns) $(val xdp.bans$n.miss_ns) $(val xdp.bans$n.allow_ns)"
done > "$OUT/xdp.dat"
{
	echo "policy $(val reaction.policy.p50_us) $(val reaction.policy.p99_us)"
	echo "log $(val reaction.log.p50_us) $(val reaction.log.p99_us)"
	echo "rcptguard-nft $(val peer.rcptguard.reaction_p50_us) $(val peer.rcptguard.reaction_p99_us)"
	echo "fail2ban $(val peer.fail2ban.reaction_p50_us) $(val peer.fail2ban.reaction_p99_us)"
} > "$OUT/reaction.dat"
for m in accept reject rcptguard; do
	echo "$m $(val cost.$m.bytes_in) $(val cost.$m.bytes_out) $(val cost.$m.backscatter)"
done > "$OUT/cost.dat"
gnuplot <<EOF2
set terminal pngcairo size 800,420 font ",10" noenhanced
set yrange [0:*]
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set key inside top left
set output "$OUT/flood.png"
set title "Receiver CPU per dropped packet (SYN flood over veth; XDP floor: a bare XDP_DROP)"
set ylabel "ns per packet (lower is better)"
set key below
plot "$OUT/flood.dat" using 2:xtic(1) title "1 ban", "" using 3 title "1M bans, one source", \
	"" using 4 title "1M bans, sources scattered over them"
set key inside top left
set output "$OUT/xdp.png"
set title "The XDP program alone (BPF_PROG_TEST_RUN)"
set xlabel "exact bans (plus 1000 prefixes from 1 on)"
plot "$OUT/xdp.dat" using 2:xtic(1) title "XDP_DROP floor", "" using 3 title "banned", \
	"" using 4 title "not banned", "" using 5 title "banned, allowlisted"
unset xlabel
set output "$OUT/reaction.png"
set title "Reaction: the threshold-crossing event to the ban in the kernel"
set ylabel "microseconds (log scale)"
set logscale y
set yrange [*:*]
plot "$OUT/reaction.dat" using 2:xtic(1) title "p50", "" using 3 title "p99"
set key top right
set output "$OUT/cost.png"
set title "A dictionary-attack session against Postfix: bytes per session"
set ylabel "bytes (log scale)"
plot "$OUT/cost.dat" using 2:xtic(1) title "to the server", "" using 3 title "from the server", \
	"" using 4 title "bounces queued (backscatter)"
EOF2
echo "report: $OUT/report.md, $OUT/report.json, plots $OUT/*.png"
