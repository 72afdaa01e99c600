#!/usr/bin/env bats
# DNSBL lookups against a real DNSBL server: rbldnsd on the server
# namespace's loopback, with listed IPv4 addresses and /24s, an IPv6 /64,
# TXT templates, a zone answering 127.255.255.254, one answering 127.0.0.1
# (outside the filters), an allowlist zone, and a port that never answers.

load lib

setup() {
	setup_net
	ZONES=$(mktemp -d /tmp/rgt-dnsbl.XXXXXX)
	chmod 755 "$ZONES"
	printf ':127.0.0.2:Listed for testing, see http://bl.test/?$\n10.77.1.2\n192.0.2.0/24\n10.0.0.0/8\n198.51.100.7 :127.0.0.4:Other reason\n' > "$ZONES/bl4"
	printf 'fd77:1::/64 :127.0.0.2:v6 listed\n' > "$ZONES/bl6"
	printf ':127.255.255.254:refused\n0.0.0.0/1\n128.0.0.0/1\n' > "$ZONES/err"
	printf ':127.0.0.1:loopback answer\n0.0.0.0/1\n128.0.0.0/1\n' > "$ZONES/out"
	printf ':127.0.10.1:trusted\n198.51.100.7\n' > "$ZONES/white"
	chmod 644 "$ZONES"/*
	nsenter --net=/run/netns/$NS_S rbldnsd -n -b 127.0.0.1/5353 -u nobody -w "$ZONES" \
		bl.test:ip4set:bl4 bl.test:ip6trie:bl6 err.test:ip4set:err out.test:ip4set:out \
		white.test:ip4set:white >"$ZONES/log" 2>&1 3>&- &
	PIDS+=($!)
	for i in $(seq 50); do grep -q started "$ZONES/log" && break; sleep 0.05; done
	DB=$BATS_TEST_TMPDIR/recipients.cdb
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	cat >> "$CONF" <<-EOF
	recipients = $DB
	dns_server = 127.0.0.1:5353
	dnsbl = bl.test=127.0.0.[2..11]*3
	dnsbl = white.test=127.0.[0..255].[1..3]*-5
	dnsbl = err.test
	dnsbl = out.test=127.0.0.[2..11]
	EOF
}

teardown() {
	teardown_net
	rm -rf "$ZONES"
}

# spp IP RCPT [SECTION]: rcptguard-spp as qmail-spp runs it.
spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 SMTPMAILFROM=s@example.net SMTPRCPTHOSTSOK=1 \
		RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" ${3:-rcpt} <&-
}

metric() {
	rg stats --prometheus | awk -v m="$1" '$1 == m { print $2 }'
}

@test "a listed client is rejected with the list's name and TXT" {
	start_daemon
	run -0 spp 10.77.1.2 bob@example.com
	assert_output "E554 5.7.1 <bob@example.com>: Recipient address rejected: Service unavailable; client [10.77.1.2] blocked using bl.test; Listed for testing, see http://bl.test/?10.77.1.2"
	run -0 spp 192.0.2.200 bob@example.com
	assert_output --partial "blocked using bl.test; Listed for testing"
	run -0 spp 192.0.3.1 bob@example.com
	assert_output ""
}

@test "IPv6 clients are looked up by nibbles, IPv4-mapped ones as IPv4" {
	start_daemon
	run -0 spp fd77:1::99 bob@example.com
	assert_output --partial "client [fd77:1::99] blocked using bl.test; v6 listed"
	run -0 spp fd77:2::99 bob@example.com
	assert_output ""
	run -0 spp ::ffff:10.77.1.2 bob@example.com
	assert_output --partial "client [10.77.1.2] blocked using bl.test"
}

@test "a negative-weight allowlist wins over a listing" {
	start_daemon
	run -0 spp 198.51.100.7 bob@example.com
	assert_output ""
	run -0 rg show 198.51.100.7
	assert_line --partial "dnsbl bl.test (weight 3): listed 127.0.0.4"
	assert_line --partial "dnsbl white.test (weight -5): listed 127.0.10.1"
}

@test "error codes and answers outside the filter never reject; errors are logged once" {
	sed -i '/^dnsbl = bl.test/d; /^dnsbl = white.test/d' "$CONF"
	start_daemon
	run -0 spp 192.0.2.9 bob@example.com
	assert_output ""
	run -0 spp 192.0.2.10 bob@example.com
	assert_output ""
	[ "$(grep -c 'event=dnsbl_error list=err.test answer="127.255.255.254" meaning="the list refuses queries that come through public or ISP resolvers; run a local recursive resolver' "$DLOG")" -eq 1 ]
	[ "$(metric 'rcptguard_dnsbl_errors_total{kind="error-code"}')" -eq 2 ]
	[ "$(metric 'rcptguard_dnsbl_error_codes_total{code="127.255.255.254"}')" -eq 2 ]
	[ "$(metric 'rcptguard_dnsbl_rejects_total')" -eq 0 ]
}

@test "a server that never answers: the verdict comes within dnsbl_wait and accepts" {
	nsenter --net=/run/netns/$NS_S socat -u UDP-RECV:5354,bind=127.0.0.1 /dev/null 3>&- &
	PIDS+=($!)
	sed -i 's/^dns_server = .*/dns_server = 127.0.0.1:5354/' "$CONF"
	printf 'dnsbl_wait = 1\ndns_timeout = 3\n' >> "$CONF"
	start_daemon
	start=$(date +%s%N)
	run -0 spp 10.77.1.2 bob@example.com
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_output ""
	[ "$took" -ge 900 ] && [ "$took" -lt 1900 ]
	[ "$(metric 'rcptguard_verdicts_total{verdict="valid"}')" -eq 1 ]
}

# dns_bad PORT MODE...: the misbehaving DNS server in the server namespace.
dns_bad() {
	nsenter --net=/run/netns/$NS_S "$B/tests/dns_bad" "$@" >"$ZONES/bad.log" 2>&1 3>&- &
	PIDS+=($!)
	for i in $(seq 50); do grep -q started "$ZONES/bad.log" && break; sleep 0.05; done
}

# timed_spp IP: rcptguard-spp for a valid recipient must accept within
# dnsbl_wait (1 s) plus slack for the process itself.
timed_spp() {
	local start took out
	start=$(date +%s%N)
	out=$(spp "$1" bob@example.com)
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	[ -z "$out" ] && [ "$took" -lt 1500 ] || { echo "$1: took=${took}ms out=$out"; return 1; }
}

@test "a server answering garbage: every verdict comes within dnsbl_wait, accepts, and is counted" {
	dns_bad 5355 garbage
	sed -i 's/^dns_server = .*/dns_server = 127.0.0.1:5355/' "$CONF"
	printf 'dnsbl_wait = 1\ndns_timeout = 0.5\n' >> "$CONF"
	start_daemon
	for i in $(seq 1 30); do
		timed_spp 10.77.9.$i
	done
	kill -0 "$DPID"
	# Every broken reply was sent at least once.
	[ "$(sort -u "$ZONES/bad.log" | grep -c '^reply=')" -eq 9 ]
	[ "$(metric 'rcptguard_verdicts_total{verdict="valid"}')" -eq 30 ]
	[ "$(metric 'rcptguard_dnsbl_errors_total{kind="malformed"}')" -ge 1 ]
	[ "$(metric 'rcptguard_dnsbl_rejects_total')" -eq 0 ]
	grep -q 'event=dnsbl_error list=bl.test answer="malformed answer"' "$DLOG"
	# Still answering queries afterwards.
	run -0 rg dnsbl check 10.77.9.1
}

@test "a slow server: the verdict comes within dnsbl_wait; the late answer is cached and used" {
	dns_bad 5356 slow 1600
	sed -i 's/^dns_server = .*/dns_server = 127.0.0.1:5356/; /^dnsbl = /d' "$CONF"
	printf 'dnsbl = bl.test\ndnsbl_wait = 1\ndns_timeout = 3\n' >> "$CONF"
	start_daemon
	timed_spp 10.77.9.1
	for i in $(seq 40); do grep -q late-good "$ZONES/bad.log" && break; sleep 0.05; done
	sleep 0.2
	run -0 spp 10.77.9.1 bob@example.com
	assert_output --partial "blocked using bl.test"
}

@test "no DNS server at all: verdicts accept at once and the failure is counted" {
	sed -i 's/^dns_server = .*/dns_server = 127.0.0.1:5399/' "$CONF"
	printf 'dnsbl_wait = 1\n' >> "$CONF"
	start_daemon
	for i in 1 2 3; do
		timed_spp 10.77.9.$i
	done
	[ "$(metric 'rcptguard_dnsbl_errors_total{kind="other"}')" -ge 1 ]
	grep -q 'event=dnsbl_error list=bl.test answer="Could not contact DNS servers"' "$DLOG"
}

@test "a cached answer causes no second query" {
	start_daemon
	spp 10.77.1.2 bob@example.com >/dev/null
	q1=$(metric rcptguard_dnsbl_queries_total)
	[ "$q1" -ge 4 ]
	run -0 spp 10.77.1.2 bob@example.com
	assert_output --partial "blocked using bl.test"
	[ "$(metric rcptguard_dnsbl_queries_total)" -eq "$q1" ]
	[ "$(metric rcptguard_dnsbl_cache_hits_total)" -ge 1 ]
}

@test "2,000 distinct clients at once are all answered and the in-flight cap holds" {
	echo "dns_max_inflight = 20" >> "$CONF"
	start_daemon
	run -0 "$B/tests/policy_load" -s "$QSOCK" -c 50 -n 2000 -a 2000 bob@example.com=554
	assert_output --regexp 'requests=2000 wrong=0'
	[ "$(metric rcptguard_dnsbl_inflight_max)" -le 20 ]
	[ "$(metric rcptguard_dnsbl_inflight_max)" -ge 10 ]
	[ "$(metric 'rcptguard_dnsbl_listed_total{list="bl.test"}')" -eq 2000 ]
}

@test "a listing is ban evidence: a listed client is banned after fewer unknown recipients" {
	echo "dnsbl_reject_threshold = 100" >> "$CONF"
	start_daemon
	run -0 spp 10.77.1.2 nobody1@example.com
	assert_output --partial "E550 5.1.1"
	run -0 spp 10.77.1.2 nobody2@example.com
	assert_output --partial "R421 4.7.0"
	grep -q 'event=ban address=10.77.1.2 reason=unknown-recipient .* offense=1' "$DLOG"
	run -0 rg show 10.77.1.2
	assert_output --partial "dnsbl"
}

@test "dnsbl_reject_stage = connect rejects in rcptguard-spp's connection section" {
	echo "dnsbl_reject_stage = connect" >> "$CONF"
	start_daemon
	run -0 spp 10.77.1.2 "" connection
	assert_output "R554 5.7.1 <10.77.1.2>: Client host rejected: Service unavailable; client [10.77.1.2] blocked using bl.test; Listed for testing, see http://bl.test/?10.77.1.2"
}

@test "rcptguard dnsbl check looks up now and prints each list's answer" {
	run -0 nsenter --net=/run/netns/$NS_S "$B/rcptguard" -c "$CONF" dnsbl check 198.51.100.7
	assert_line --regexp '^bl\.test +3 +127\.0\.0\.4 +listed +Other reason$'
	assert_line --regexp '^white\.test +-5 +127\.0\.10\.1 +listed *$'
	assert_line --regexp '^err\.test +1 +127\.255\.255\.254 +error +the list refuses'
	assert_line --regexp '^out\.test +1 +127\.0\.0\.1 +not listed'
	assert_line "score -2 (rejects at 1)"
	run -2 rg dnsbl check 10.0.0.0/8
}
