#!/usr/bin/env bats
# Load: 10,000 attack sessions at once, 100 unknown recipients each, on the
# query socket (attack_load), while rcptguard-spp runs as a busy qmail runs
# it: attackers of its own, and valid mail from an allowlisted client and
# from a reputable one. Every request is answered, every attacker ends up
# banned in the kernel map, valid mail is never refused, and the daemon's
# peak RSS stays under the bound docs/performance.md states.

load lib

SESSIONS=${LOAD_SESSIONS:-10000}
RCPTS=${LOAD_RCPTS:-100}
ALLOWED=10.77.5.5
REPUTABLE=198.51.100.20
# docs/performance.md, "Load": 10,000 sessions and 10,010 bans.
RSS_BOUND_KB=$((32 * 1024))

setup() {
	setup_net
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/r.txt"
	"$B/rcptguard" recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/r.txt" >/dev/null
	cat >> "$CONF" <<-EOF
	recipients = $BATS_TEST_TMPDIR/r.cdb
	allow = $ALLOWED
	max_connections = $((SESSIONS + 2000))
	EOF
	SPP_ATTACKERS=10
}

teardown() {
	# The rcptguard-spp loops end even when the test failed half-way.
	touch "$BATS_TEST_TMPDIR/stop"
	kill ${LOOPS[@]:-} 2>/dev/null || true
	teardown_net
}

# spp IP RCPT: rcptguard-spp as qmail-spp runs it for one RCPT TO.
spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 SMTPMAILFROM=s@example.net SMTPRCPTHOSTSOK=1 \
		RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt <&-
}

# Valid mail through rcptguard-spp, about 100 RCPTs a second, until told
# to stop; any answer but "accept" is written to valid.bad.
spp_valid() {
	local n=0 ip out
	while [ ! -e "$BATS_TEST_TMPDIR/stop" ]; do
		for ip in $ALLOWED $REPUTABLE; do
			out=$(spp $ip bob@example.com) || out="exit $? $out"
			[ -z "$out" ] || echo "$ip: $out" >> "$BATS_TEST_TMPDIR/valid.bad"
			n=$((n + 1))
		done
		sleep 0.02
	done
	echo $n > "$BATS_TEST_TMPDIR/valid.n"
}

# Attackers through rcptguard-spp: each asks for 20 unknown recipients
# and must get E550 until it is banned, R421 from then on. (Starting a
# process costs about 10 ms on the test VMs: this is what paces it.)
spp_attack() {
	local i k out bad=0
	for i in $(seq 1 $SPP_ATTACKERS); do
		for k in $(seq 1 20); do
			out=$(spp 10.99.0.$i nobody$k@example.com) || out="exit $? $out"
			case $out in E550*|R421*) ;; *) bad=$((bad + 1)); echo "10.99.0.$i: $out" >&2 ;; esac
		done
	done
	echo $bad > "$BATS_TEST_TMPDIR/attack.bad"
}

@test "10,000 attack sessions x 100 unknown recipients: all answered, all banned, valid mail never refused" {
	ulimit -n $((SESSIONS + 4096))
	start_daemon
	# The reputable client has delivered mail before the attack starts.
	for i in $(seq 20); do [ -z "$(spp $REPUTABLE bob@example.com)" ]; done
	spp_valid 3>&- &
	local vpid=$!
	spp_attack 2>"$BATS_TEST_TMPDIR/attack.err" 3>&- &
	local apid=$!
	LOOPS=($vpid $apid)
	run -0 "$B/tests/attack_load" -s "$QSOCK" -n $SESSIONS -r $RCPTS -V $ALLOWED,$REPUTABLE \
		-o "$BATS_TEST_TMPDIR/banned.txt"
	echo "$output"
	wait $apid
	touch "$BATS_TEST_TMPDIR/stop"
	wait $vpid
	# The prefilters the daemon maps (18 MB, mapped whole at start) are
	# the kernel's memory, not the daemon's: not counted against its bound.
	local maps=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { bpf = $6 == "anon_inode:bpf-map" }
		bpf && /^Rss:/ { kb += $2 } END { print kb + 0 }' /proc/$DPID/smaps)
	local hwm=$(($(awk '/^VmHWM:/ { print $2 }' /proc/$DPID/status) - maps))
	[ "$maps" -gt 0 ]
	echo "peak_rss_kb=$hwm mapped_maps_kb=$maps valid_spp=$(cat "$BATS_TEST_TMPDIR/valid.n")" \
		"spp_attack_bad=$(cat "$BATS_TEST_TMPDIR/attack.bad")"
	# Every request answered as expected, and every session ended in a ban.
	assert_output --partial "sessions=$SESSIONS "
	assert_output --partial "answered=$((SESSIONS * RCPTS + $(sed 's/.*valid_ok=\([0-9]*\).*/\1/' <<<"$output"))) "
	assert_output --partial "attackers_banned=$SESSIONS "
	assert_output --partial "valid_rejected=0 "
	# rcptguard-spp: valid mail always accepted, attackers always answered.
	[ ! -s "$BATS_TEST_TMPDIR/valid.bad" ] || { cat "$BATS_TEST_TMPDIR/valid.bad"; false; }
	[ "$(cat "$BATS_TEST_TMPDIR/valid.n")" -gt 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/attack.bad")" -eq 0 ]
	# The bans are in the kernel map: every attacker, neither valid client.
	rg list | awk 'NR > 1 { sub("/32$", "", $1); print $1 }' | sort > "$BATS_TEST_TMPDIR/listed"
	{ cat "$BATS_TEST_TMPDIR/banned.txt"; seq 1 $SPP_ATTACKERS | sed 's/^/10.99.0./'; } | sort \
		> "$BATS_TEST_TMPDIR/expected"
	[ -z "$(comm -23 "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/listed" | head -3)" ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/expected")" -eq $((SESSIONS + SPP_ATTACKERS)) ]
	! grep -qx -e $ALLOWED -e $REPUTABLE "$BATS_TEST_TMPDIR/listed"
	# And the daemon stayed within its memory bound, alive.
	[ "$hwm" -le $RSS_BOUND_KB ]
	kill -0 $DPID
}
