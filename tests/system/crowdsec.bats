#!/usr/bin/env bats
# crowdsec.bats - the bouncer against a real CrowdSec LAPI (Debian's 1.4.6,
# tests/system/lapi.bash) in a namespace of its own: decisions added with
# cscli are dropped in the kernel, deleted ones lifted, and the rules
# (allowlist, range width, sanity, reconciliation, outages) hold.

load lib
load lapi

setup() {
	setup_net
	lapi_setup
	cat >> "$CONF" <<-EOF
	crowdsec_url = $LAPI_URL
	crowdsec_bouncer_key_file = $BATS_TEST_TMPDIR/bouncer1.key
	crowdsec_pull_interval = 1s
	EOF
}

teardown() {
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
not_banned() { ! rg list --json | grep -qF "\"address\":\"$1\""; }

@test "Ip and Range decisions added with cscli are dropped within two pull intervals, deleted ones lifted (xdp)" {
	echo "backend = xdp" >> "$CONF"
	start_daemon
	run -0 mail_from_client 10.77.1.1
	csc decisions add -i 10.77.1.2 -d 1h -R "rgtest dictionary" >/dev/null
	csc decisions add -r 10.77.1.0/29 -d 30m >/dev/null
	wait_for 2 banned 10.77.1.2
	wait_for 1 banned 10.77.1.0/29
	run -0 blocked 10.77.1.1
	rg list | grep -F 10.77.1.2 | grep -qF 'cscli: rgtest dictionary'
	rg list --json | grep -F '"address":"10.77.1.2"' | grep -qF 'cscli: rgtest dictionary'
	csc decisions delete -i 10.77.1.2 >/dev/null
	csc decisions delete -r 10.77.1.0/29 >/dev/null
	wait_for 2 not_banned 10.77.1.2
	wait_for 1 not_banned 10.77.1.0/29
	run -0 mail_from_client 10.77.1.1
	grep -q 'event=crowdsec_up' "$DLOG"
}
