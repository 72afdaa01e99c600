#!/usr/bin/env bats
# crowdsec.bats - the bouncer against a real CrowdSec LAPI (Debian's 1.4.6,
# tests/system/lapi.bash) in a namespace of its own: decisions added with
# cscli are dropped in the kernel, deleted ones lifted, and the rules
# (allowlist, range width, sanity, reconciliation, outages) hold.

load lib
load lapi

setup() {
	setup_net
	case $BATS_TEST_DESCRIPTION in *https*) LAPI_TLS=1 ;; *) LAPI_TLS= ;; esac
	lapi_setup
	cat >> "$CONF" <<-EOF
	crowdsec_url = $LAPI_URL
	crowdsec_bouncer_key_file = $BATS_TEST_TMPDIR/bouncer1.key
	crowdsec_pull_interval = 1s
	EOF
}

teardown() {
	second_mx_teardown
	lapi_teardown
	teardown_net
}

# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s.
wait_for() {
	local n=$(( $1 * 10 )) i
	shift
	for i in $(seq $n); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

blocked() { ! mail_from_client "${1:-10.77.1.1}" 25 "${2:-}" >/dev/null 2>&1; }
banned() { rg list --json | grep -F "\"address\":\"$1\"" | grep -q '"reason":"crowdsec"'; }
# expires_over ADDR SECS: its ban has more than SECS left.
expires_over() {
	local left=$(rg list --json | grep -F "\"address\":\"$1\"" |
		sed 's/.*"expires_in_seconds":\([0-9]*\).*/\1/')
	[ -n "$left" ] && [ "$left" -gt "$2" ]
}
status_says() { rg status | grep -q "$1"; }
not_banned() { ! rg list --json | grep -qF "\"address\":\"$1\""; }

# Ip and Range decisions added with cscli: dropped, listed with origin and
# scenario, lifted when deleted.
ip_and_range() {
	echo "backend = $1" >> "$CONF"
	start_daemon
	run -0 mail_from_client 10.77.1.1
	csc decisions add -i 10.77.1.2 -d 1h -R "rgtest dictionary" >/dev/null
	csc decisions add -r 10.77.1.0/29 -d 30m >/dev/null
	wait_for 2 banned 10.77.1.2
	wait_for 1 banned 10.77.1.0/29
	run -0 blocked 10.77.1.1
	run -0 blocked 10.77.1.1 25 10.77.1.3
	rg list | grep -F 10.77.1.2 | grep -qF 'cscli: rgtest dictionary'
	rg show 10.77.1.2 | grep -q crowdsec
	csc decisions delete -i 10.77.1.2 >/dev/null
	csc decisions delete -r 10.77.1.0/29 >/dev/null
	wait_for 2 not_banned 10.77.1.2
	wait_for 1 not_banned 10.77.1.0/29
	run -0 mail_from_client 10.77.1.1
	run -0 grep -c 'event=crowdsec_up' "$DLOG"
	[ "$output" = 1 ]
}

@test "Ip and Range decisions added with cscli are dropped within two pull intervals, deleted ones lifted (xdp)" {
	ip_and_range xdp
}

@test "Ip and Range decisions added with cscli are dropped within two pull intervals, deleted ones lifted (nft)" {
	ip_and_range nft
}

@test "allowlist, range width and address sanity beat pulled decisions, each logged and counted" {
	echo "allow = 10.77.1.3" >> "$CONF"
	echo "crowdsec_max_range = /24 /48" >> "$CONF"
	start_daemon
	csc decisions add -i 10.77.1.3 -d 1h >/dev/null
	csc decisions add -r 10.77.0.0/16 -d 1h >/dev/null
	csc decisions add -r 0.0.0.0/0 -d 1h >/dev/null
	csc decisions add -r ::ffff:0:0/96 -d 1h >/dev/null
	csc decisions add -i 127.0.0.1 -d 1h >/dev/null
	csc decisions add -i 224.0.0.5 -d 1h >/dev/null
	csc decisions add -i 10.77.1.2 -d 1h >/dev/null
	wait_for 3 banned 10.77.1.2
	run -0 mail_from_client 10.77.1.1 25 10.77.1.3
	run -0 rg list --json
	refute_output --partial 10.77.1.3
	refute_output --partial 10.77.0.0
	refute_output --partial 0.0.0.0
	refute_output --partial 127.0.0.1
	refute_output --partial 224.0.0.5
	grep -q 'event=allowlist_hit address=10.77.1.3 .*reason=crowdsec' "$DLOG"
	grep -q 'event=crowdsec_decision_refused .*value="10.77.0.0/16" .*why="wider than crowdsec_max_range for IPv4"' "$DLOG"
	grep -q 'event=crowdsec_decision_refused .*value="0.0.0.0/0"' "$DLOG"
	grep -q 'event=crowdsec_decision_refused .*value="::ffff:0:0/96"' "$DLOG"
	grep -q 'event=crowdsec_decision_refused .*value="127.0.0.1"' "$DLOG"
	grep -q 'event=crowdsec_decision_refused .*value="224.0.0.5"' "$DLOG"
}

@test "unban of a pulled decision pardons here and says how to delete it in the LAPI" {
	start_daemon
	csc decisions add -i 10.77.1.2 -d 1h >/dev/null
	wait_for 3 banned 10.77.1.2
	run -0 rg unban 10.77.1.2
	assert_output --partial "cscli decisions delete --ip 10.77.1.2"
	run -0 mail_from_client 10.77.1.1
	# The next startup stream (a restart's) does not bring it back.
	stop_daemon
	start_daemon
	wait_for 15 sh -c "[ \$(grep -c event=crowdsec_up '$DLOG') -ge 2 ]"
	run -0 mail_from_client 10.77.1.1
}

@test "the LAPI stopped, restarted or answering garbage: bans stay, one log line per outage, status says so, and a startup stream reconciles" {
	start_daemon
	csc decisions add -i 10.77.1.2 -d 1h >/dev/null
	csc decisions add -r 10.77.1.8/29 -d 1h >/dev/null
	wait_for 3 banned 10.77.1.2
	lapi_stop
	sleep 3
	run -0 blocked 10.77.1.1
	run -0 grep -c 'event=crowdsec_down' "$DLOG"
	[ "$output" = 1 ]
	rg status | grep -q 'crowdsec.*down'
	rg stats | grep -q 'rcptguard_crowdsec_up.* 0'
	# Garbage on the LAPI's address: still one outage.
	printf 'printf "HTTP/1.0 200 OK\\r\\n\\r\\n{\\"new\\":[{\\"x\\":[[[["\n' > "$BATS_TEST_TMPDIR/garbage.sh"
	nsenter --net=/run/netns/$NS_L socat TCP-LISTEN:$LAPI_PORT,bind=$LAPI_ADDR,fork,reuseaddr \
		SYSTEM:"sh $BATS_TEST_TMPDIR/garbage.sh" 3>&- &
	local garbage=$!
	PIDS+=($garbage)
	wait_for 40 status_says garbage
	kill $garbage
	wait $garbage 2>/dev/null || true
	wait_for 5 sh -c "! nsenter --net=/run/netns/$NS_L ss -Hltn 'sport = :$LAPI_PORT' | grep -q ."
	run -0 grep -c 'event=crowdsec_down' "$DLOG"
	[ "$output" = 1 ]
	run -0 blocked 10.77.1.1
	# Back (a new JWT secret, the same database).
	lapi_start
	csc decisions delete -i 10.77.1.2 >/dev/null
	wait_for 70 not_banned 10.77.1.2
	run -0 banned 10.77.1.8/29
	grep -q 'event=crowdsec_up .*down_secs=' "$DLOG"
	rg status | grep -q 'crowdsec.*up'
	rg stats | grep -q 'rcptguard_crowdsec_outages_total.* 1'
}

@test "a restarted rcptguardd lifts kept decisions the LAPI deleted meanwhile and refreshes the others" {
	start_daemon
	csc decisions add -i 10.77.1.2 -d 1h >/dev/null
	csc decisions add -i 10.77.1.3 -d 1h >/dev/null
	wait_for 3 banned 10.77.1.3
	stop_daemon
	csc decisions delete -i 10.77.1.2 >/dev/null
	csc decisions add -i 10.77.1.3 -d 5h >/dev/null
	start_daemon
	wait_for 3 not_banned 10.77.1.2
	wait_for 3 expires_over 10.77.1.3 10000
}

@test "100,000 decisions from cscli decisions import are all enforced, memory bounded" {
	echo "backend = xdp" >> "$CONF"
	python3 - "$BATS_TEST_TMPDIR/d.csv" <<-'PY'
	import sys
	with open(sys.argv[1], "w") as f:
	    f.write("value,duration,reason,scope,origin,type\n")
	    for i in range(100000):
	        f.write("100.%d.%d.%d,2h,rgtest/bulk,Ip,cscli,ban\n" % (64 + i // 65536, (i // 256) % 256, i % 256))
	PY
	csc decisions import -i "$BATS_TEST_TMPDIR/d.csv" >/dev/null 2>&1
	start_daemon
	local before=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
	wait_for 60 sh -c "grep -q 'event=crowdsec_up .*decisions=100000' '$DLOG'"
	local after=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
	local peak=$(awk '/VmHWM/ {print $2}' /proc/$DPID/status)
	echo "# RSS before ${before} kB, after ${after} kB, peak ${peak} kB" >&3
	[ $(( peak - before )) -lt 65536 ]
	run -0 rg stats
	[ "$(rg list --json | grep -c '"reason":"crowdsec"')" = 100000 ]
}

# A second MX: its own server and client namespaces (the same addresses as
# the first pair), its own daemon, pins and bouncer key, the same LAPI.
second_mx() {
	NS_S2=rgt-s2$ID NS_C2=rgt-c2$ID IF_S2=rgs2$ID IF_C2=rgc2$ID PIN2=/sys/fs/bpf/rgt2-$ID
	CONF2=$BATS_TEST_TMPDIR/mx2.conf DLOG2=$BATS_TEST_TMPDIR/mx2.log
	ip netns add $NS_S2
	ip netns add $NS_C2
	ip link add $IF_S2 netns $NS_S2 type veth peer name $IF_C2 netns $NS_C2
	nsenter --net=/run/netns/$NS_S2 sh -ec "ip link set lo up; ip link set $IF_S2 up
		ip addr add 10.77.1.1/24 dev $IF_S2"
	nsenter --net=/run/netns/$NS_C2 sh -ec "ip link set lo up; ip link set $IF_C2 up
		ip addr add 10.77.1.2/24 dev $IF_C2"
	lapi_net 2 $NS_S2
	nsenter --net=/run/netns/$NS_S2 ip route add 10.78.1.0/24 via 10.78.2.2
	nsenter --net=/run/netns/$NS_S2 socat TCP-LISTEN:25,fork,reuseaddr SYSTEM:"echo 220 mx2" 3>&- &
	PIDS+=($!)
	csc bouncers add rgb2 -k "key2-$ID-0123456789abcdef" >/dev/null
	echo "key2-$ID-0123456789abcdef" > "$BATS_TEST_TMPDIR/bouncer2.key"
	cat > "$CONF2" <<-EOF
	interface = $IF_S2
	bpf_pin_dir = $PIN2
	query_socket = $BATS_TEST_TMPDIR/mx2.query.sock
	control_socket = $BATS_TEST_TMPDIR/mx2.control.sock
	state_dir = $BATS_TEST_TMPDIR/mx2.state
	user = root
	crowdsec_url = $LAPI_URL
	crowdsec_bouncer_key_file = $BATS_TEST_TMPDIR/bouncer2.key
	crowdsec_pull_interval = 1s
	EOF
	nsenter --net=/run/netns/$NS_S2 "$B/rcptguardd" -f -c "$CONF2" >>"$DLOG2" 2>&1 3>&- &
	DPID2=$!
	wait_for 5 grep -q 'event=start ' "$DLOG2"
}

second_mx_teardown() {
	[ -n "${DPID2:-}" ] && { kill $DPID2 2>/dev/null; wait $DPID2 2>/dev/null || true; }
	[ -n "${PIN2:-}" ] && [ -d "$PIN2" ] && [ -e /run/netns/$NS_S2 ] &&
		nsenter --net=/run/netns/$NS_S2 "$B/rcptguard" --pin-dir "$PIN2" detach >/dev/null 2>&1
	[ -n "${PIN2:-}" ] && rm -rf "$PIN2"
	[ -n "${NS_S2:-}" ] && { ip netns del $NS_S2 2>/dev/null; ip netns del $NS_C2 2>/dev/null; }
	true
}

rg2() { nsenter --net=/run/netns/$NS_S2 "$B/rcptguard" -c "$CONF2" "$@"; }
banned2() { rg2 list --json | grep -F "\"address\":\"$1\"" | grep -q '"reason":"crowdsec"'; }

# spp ADDR RCPT: rcptguard-spp as qmail-spp runs it, on the first MX's query socket.
spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 SMTPMAILFROM=s@example.net SMTPRCPTHOSTSOK=1 \
		RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt <&-
}

@test "two rcptguardd, one LAPI: a dictionary attack on the first bans the attacker on the second, which drops its SYNs; no loop" {
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	csc machines add mx1 --password "mx1pw$ID" -f "$BATS_TEST_TMPDIR/mx1.yaml" \
		--url "$LAPI_URL" --force >/dev/null 2>&1
	cat >> "$CONF" <<-EOF
	recipients = $BATS_TEST_TMPDIR/r.cdb
	crowdsec_machine_file = $BATS_TEST_TMPDIR/mx1.yaml
	EOF
	start_daemon
	second_mx
	nsenter --net=/run/netns/$NS_C2 timeout 5 socat -T2 - TCP:10.77.1.1:25,connect-timeout=1 </dev/null
	for n in 1 2 3 4 5; do spp 10.77.1.2 "nobody$n@example.com" >/dev/null; done
	grep -q 'event=ban address=10.77.1.2 reason=unknown-recipient' "$DLOG"
	wait_for 10 banned2 10.77.1.2
	run ! nsenter --net=/run/netns/$NS_C2 timeout 5 socat -T2 - TCP:10.77.1.1:25,connect-timeout=1 </dev/null
	rg2 list | grep -F 10.77.1.2 | grep -q 'rcptguard: rcptguard/smtp-dictionary'
	# The first MX got its own decision back: not a remote ban, not
	# counted again, not pushed again.
	sleep 3
	run -0 rg list --json
	assert_output --partial '"address":"10.77.1.2","reason":"unknown-recipient"'
	[ "$(grep -c 'event=ban address=10.77.1.2' "$DLOG")" = 1 ]
	[ "$(csc alerts list -a -o raw 2>/dev/null | grep -c 'rcptguard/smtp-dictionary')" = 1 ]
	# The alert carries the evidence: 5 events against a capacity of 5 in the window.
	run -0 csc alerts list -a -o json
	assert_output --partial '"events_count": 5'
	assert_output --partial '"capacity": 5'
	assert_output --partial '"leakspeed": "600s"'
	rg stats | grep -q 'rcptguard_crowdsec_pushed_total.* 1'
	# An unban by hand on the first MX deletes its own decision in the
	# LAPI, so the second lifts it too.
	run -0 rg unban 10.77.1.2
	assert_output --partial "own decision"
	wait_for 10 sh -c "! nsenter --net=/run/netns/$NS_S2 '$B/rcptguard' -c '$CONF2' list | grep -qF 10.77.1.2"
	grep -q 'event=crowdsec_decision_delete id=[0-9]* result=ok' "$DLOG"
}

# The first MX as a watcher with a recipients database.
watcher_setup() {
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	csc machines add mx1 --password "mx1pw$ID" -f "$BATS_TEST_TMPDIR/mx1.yaml" \
		--url "$LAPI_URL" --force >/dev/null 2>&1
	cat >> "$CONF" <<-EOF
	recipients = $BATS_TEST_TMPDIR/r.cdb
	crowdsec_machine_file = $BATS_TEST_TMPDIR/mx1.yaml
	EOF
}

pushed_over() { [ "$(rg stats | awk '/rcptguard_crowdsec_pushed_total/ { print $NF }')" -gt "$1" ]; }
attack() { for n in 1 2 3 4 5; do spp $1 "nobody$n@example.com" >/dev/null; done; }
alerts_for() { csc alerts list -a -o raw 2>/dev/null | grep -F "$1" | grep -q rcptguard/smtp-dictionary; }

@test "pushes wait while the LAPI is down and are delivered when it is back; a restarted LAPI (new JWT secret) means a new login" {
	watcher_setup
	start_daemon
	lapi_stop
	attack 192.0.2.10
	sleep 2
	grep -q 'event=crowdsec_push_down' "$DLOG"
	rg stats | grep -q 'rcptguard_crowdsec_push_queued.* 1'
	rg status | grep -q 'crowdsec:  pushes down, 1 queued'
	lapi_start
	wait_for 70 alerts_for 192.0.2.10
	# Several failed tries, one outage: one line down, one line up.
	[ "$(grep -c 'event=crowdsec_push_down' "$DLOG")" = 1 ]
	[ "$(grep -c 'event=crowdsec_push_up' "$DLOG")" = 1 ]
	[ "$(rg stats | awk '/rcptguard_crowdsec_push_failures_total/ {print $NF}')" -gt 1 ]
	# A restart regenerates the JWT secret: the next push gets 401 and logs in again.
	lapi_stop
	lapi_start
	attack 192.0.2.11
	wait_for 70 alerts_for 192.0.2.11
	csc decisions list -a -o raw | grep -F 192.0.2.11 | grep -q rcptguard
}

@test "a LAPI that accepts and never answers delays no verdict" {
	watcher_setup
	lapi_stop
	nsenter --net=/run/netns/$NS_L socat TCP-LISTEN:$LAPI_PORT,bind=$LAPI_ADDR,fork,reuseaddr \
		SYSTEM:"sleep 100" 3>&- &
	PIDS+=($!)
	start_daemon
	sleep 1.5
	local t0=$(date +%s%N)
	for n in $(seq 20); do
		run -0 spp 192.0.2.20 bob@example.com
	done
	attack 192.0.2.21
	local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "# 25 verdicts in ${ms} ms with the LAPI hanging" >&3
	[ "$ms" -lt 3000 ]
	grep -q 'event=ban address=192.0.2.21' "$DLOG"
}

@test "an https LAPI with a private CA: refused without crowdsec_ca_file, pulled and pushed with it" {
	watcher_setup
	start_daemon
	wait_for 10 grep -q 'event=crowdsec_down .*SSL certificate' "$DLOG"
	stop_daemon
	echo "crowdsec_ca_file = $LAPI_DIR/ca.pem" >> "$CONF"
	start_daemon
	csc decisions add -i 10.77.1.2 -d 1h >/dev/null
	wait_for 5 banned 10.77.1.2
	attack 192.0.2.30
	wait_for 20 alerts_for 192.0.2.30
}

@test "the push queue is bounded: past 1024 waiting bans the oldest are dropped and counted, the rest sent oldest first" {
	watcher_setup
	start_daemon
	lapi_stop
	rg ban $(seq -f '198.18.%g' 0 255 | sed 's/$/.1/') $(seq -f '198.19.%g' 0 255 | sed 's/$/.1/') \
		$(seq -f '198.18.%g' 0 255 | sed 's/$/.2/') $(seq -f '198.19.%g' 0 255 | sed 's/$/.2/') \
		198.18.0.3 198.18.0.4 198.18.0.5 --for 1h >/dev/null
	run -0 rg stats
	assert_output --regexp 'rcptguard_crowdsec_push_dropped_total[^0-9]* 3'
	assert_output --regexp 'rcptguard_crowdsec_push_queued[^0-9]* 1024'
	lapi_start
	# Sent oldest first: the first batch starts after the three dropped.
	wait_for 60 pushed_over 49
	run -0 csc decisions list -a -l 0 -o raw
	assert_output --partial '198.18.3.1,'
	refute_output --partial '198.18.0.1,'
	refute_output --partial '198.18.1.1,'
	refute_output --partial '198.18.2.1,'
}

@test "crowdsec keys that need each other, a missing key file and a bad machine file are refused at start, with the fix" {
	sed -i '/^crowdsec_bouncer_key_file/d' "$CONF"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output --partial "neither crowdsec_bouncer_key_file (pull decisions) nor crowdsec_machine_file"
	echo "crowdsec_bouncer_key_file = $BATS_TEST_TMPDIR/missing.key" >> "$CONF"
	run ! timeout 10 nsenter --net=/run/netns/$NS_S "$B/rcptguardd" -f -c "$CONF"
	assert_output --partial "crowdsec_bouncer_key_file $BATS_TEST_TMPDIR/missing.key: No such file"
	printf 'url: http://x/\nlogin: a\n' > "$BATS_TEST_TMPDIR/m.yaml"
	sed -i '/^crowdsec_bouncer_key_file/d' "$CONF"
	echo "crowdsec_machine_file = $BATS_TEST_TMPDIR/m.yaml" >> "$CONF"
	run ! timeout 10 nsenter --net=/run/netns/$NS_S "$B/rcptguardd" -f -c "$CONF"
	assert_output --partial "crowdsec_machine_file $BATS_TEST_TMPDIR/m.yaml: url, login and password must all be set"
}
