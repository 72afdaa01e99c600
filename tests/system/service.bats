#!/usr/bin/env bats
# Running as a service: privilege drop, metrics for node_exporter.

load lib

setup() {
	setup_net
	# Paths the unprivileged daemon may use.
	SVC=$(mktemp -d /tmp/rgt-svc.XXXXXX)
	chmod 755 "$SVC"
	getent passwd rcptguard >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rcptguard
	printf 'bob@example.com\n' > "$SVC/r.txt"
	"$B/rcptguard" recipients compile -o "$SVC/r.cdb" "$SVC/r.txt" >/dev/null
	chmod 644 "$SVC/r.cdb"
	sed -i '/^user = root$/d' "$CONF"
	cat >> "$CONF" <<-EOF
	recipients = $SVC/r.cdb
	state_dir = $SVC/state
	EOF
	sed -i "0,/^state_dir = .*/{/^state_dir = .*/d}" "$CONF"
	# The config must stay readable for reloads, like /etc/rcptguard's.
	cp "$CONF" "$SVC/rcptguard.conf"
	CONF=$SVC/rcptguard.conf
	chmod 644 "$CONF"
}

teardown() {
	teardown_net
	rm -rf "$SVC"
	if [ -n "${GRP:-}" ]; then
		gpasswd -d rcptguard "$GRP" >/dev/null 2>&1 || true
		groupdel "$GRP" 2>/dev/null || true
	fi
}

spp() {
	env -i TCPREMOTEIP=$1 SMTPRCPTTO=$2 RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt <&-
}

@test "after attaching, the daemon runs as user rcptguard with no capabilities, and still bans" {
	echo "close_sessions = no" >> "$CONF"
	start_daemon
	uid=$(id -u rcptguard)
	run -0 grep -E '^(Uid|Gid|CapEff|CapPrm|NoNewPrivs):' /proc/$DPID/status
	assert_line --regexp "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$"
	assert_line --regexp '^CapEff:\s+0000000000000000$'
	assert_line --regexp '^CapPrm:\s+0000000000000000$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
	grep -q "event=privdrop user=rcptguard uid=$uid capabilities=none" "$DLOG"
	for i in 1 2 3 4; do spp 192.0.2.8 "x$i@example.com" >/dev/null; done
	run -0 spp 192.0.2.8 x5@example.com
	assert_output --partial "R421"
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.8 +unknown-recipient '
	# Ban changes reach the journal next to the state file, both written
	# by the unprivileged daemon.
	sleep 1.2
	run -0 grep '^ban 192.0.2.8 ' "$SVC/state/journal"
	[ "$(stat -c %U "$SVC/state/state")" = rcptguard ]
	[ "$(stat -c %U "$SVC/state/journal")" = rcptguard ]
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=ok' "$DLOG"
	run -0 rg unban 192.0.2.8
}

@test "as user rcptguard with XDP the daemon keeps CAP_NET_ADMIN only, and a ban closes the client's open session" {
	printf '#!/bin/sh\necho 220 mail\nexec cat >/dev/null\n' > "$SVC/server"
	chmod 755 "$SVC/server"
	nsenter --net=/run/netns/$NS_S socat TCP6-LISTEN:587,fork,reuseaddr,ipv6only=0 \
		EXEC:"$SVC/server" 3>&- &
	PIDS+=($!)
	wait_listening 587
	start_daemon
	run -0 grep -E '^(CapEff|CapPrm):' /proc/$DPID/status
	assert_line --regexp '^CapEff:\s+0000000000001000$'
	assert_line --regexp '^CapPrm:\s+0000000000001000$'
	grep -q "event=privdrop user=rcptguard uid=[0-9]* capabilities=cap_net_admin" "$DLOG"
	nsenter --net=/run/netns/$NS_C socat -T100 TCP:10.77.1.1:587 EXEC:"$SVC/server" 3>&- &
	PIDS+=($!)
	for i in $(seq 50); do
		in_s ss -Htn state established "( sport = :587 )" | grep -q . && break
		sleep 0.05
	done
	for i in 1 2 3 4 5; do spp 10.77.1.2 "z$i@example.com" >/dev/null; done
	sleep 0.6
	grep -q "event=close_sessions address=10.77.1.2 backend=xdp sessions_closed=1 spared=0" "$DLOG"
	[ -z "$(in_s ss -Htn state established "( sport = :587 )")" ]
}

@test "a missing user is a warning, not a failure" {
	sed -i '$a user = rg-no-such-user' "$CONF"
	start_daemon
	grep -q "event=privdrop result=skipped note=\"user 'rg-no-such-user' does not exist" "$DLOG"
}

@test "metrics_textfile is rewritten atomically for node_exporter, as the unprivileged user" {
	printf 'metrics_textfile = %s/rcptguard.prom\nmetrics_interval = 1s\n' "$SVC" >> "$CONF"
	chmod 777 "$SVC"
	start_daemon
	for i in 1 2 3; do spp 192.0.2.8 "y$i@example.com" >/dev/null; done
	sleep 1.5
	run -0 cat "$SVC/rcptguard.prom"
	assert_line '# TYPE rcptguard_verdicts_total counter'
	assert_line 'rcptguard_verdicts_total{verdict="unknown"} 3'
	assert_line '# TYPE rcptguard_bans_active gauge'
	assert_line --regexp '^rcptguard_dropped_packets_total [0-9]+$'
	assert_line --regexp '^rcptguard_dropped_bytes_total [0-9]+$'
	assert_line --regexp '^rcptguard_filter_packets_total\{counter="inspected"\} [0-9]+$'
	[ ! -e "$SVC/rcptguard.prom.tmp" ]
	# The CLI prints the same format.
	run -0 rg stats --prometheus
	assert_line 'rcptguard_verdicts_total{verdict="unknown"} 3'
}

@test "the host's own addresses are allowlisted, unless allow_own_addresses = no" {
	start_daemon
	run -0 rg allow list
	assert_line --regexp '^10\.77\.1\.1 +config$'
	assert_line --regexp '^fd77:1::1 +config$'
	stop_daemon
	echo "allow_own_addresses = no" >> "$CONF"
	start_daemon
	run -0 rg allow list
	refute_line --regexp '^10\.77\.1\.1 '
}

@test "without a recipients database the daemon says loudly that it only detects" {
	sed -i '/^recipients = /d' "$CONF"
	start_daemon
	grep -q 'level=warn event=recipients_off mode=detection-only' "$DLOG"
}

@test "with backend = nft the daemon keeps CAP_NET_ADMIN only, and still bans and reloads" {
	echo "backend = nft" >> "$CONF"
	start_daemon
	run -0 grep -E '^(CapEff|CapPrm):' /proc/$DPID/status
	assert_line --regexp '^CapEff:\s+0000000000001000$'
	assert_line --regexp '^CapPrm:\s+0000000000001000$'
	grep -q "event=privdrop user=rcptguard uid=[0-9]* capabilities=cap_net_admin" "$DLOG"
	for i in 1 2 3 4 5; do spp 192.0.2.9 "y$i@example.com" >/dev/null; done
	run -0 in_s nft list set inet rcptguard ban4_32
	assert_output --partial "192.0.2.9 "
	kill -HUP $DPID
	sleep 0.3
	grep -q 'event=reload result=ok' "$DLOG"
	run -0 rg unban 192.0.2.9
}

@test "with backend = nft the unprivileged daemon reads its table back after a foreign change" {
	echo "backend = nft" >> "$CONF"
	start_daemon
	rg ban 192.0.2.9 >/dev/null
	stop_daemon
	in_s nft add element inet rcptguard ban4_32 '{ 198.51.100.7 timeout 1h comment "manual 1700000000 by hand" }'
	start_daemon
	grep -q "event=privdrop user=rcptguard uid=[0-9]* capabilities=cap_net_admin" "$DLOG"
	for i in $(seq 100); do grep -q 'event=reconcile ' "$DLOG" && break; sleep 0.1; done
	grep -q 'event=reconcile result=ok backend=nft bans=2 added=1 removed=0 updated=0 ' "$DLOG" ||
		{ grep 'event=reconcile' "$DLOG"; false; }
	run -0 rg show 198.51.100.7
	assert_output --partial "by hand"
}

@test "a followed log readable only through a supplementary group of the user is read" {
	GRP=rgt-log$ID
	groupadd "$GRP"
	usermod -aG "$GRP" rcptguard
	mkdir -m 750 "$SVC/log"
	: > "$SVC/log/current"
	chmod 640 "$SVC/log/current"
	chgrp -R "$GRP" "$SVC/log"
	echo "follow = $SVC/log/current" >> "$CONF"
	start_daemon
	for i in 1 2 3 4 5; do
		printf '@4000000%09x%08x qmail-smtpd: not in validrcptto: g%s@example.com at 192.0.2.11\n' \
			$(( $(date +%s) + 10 )) 0 $i >> "$SVC/log/current"
	done
	for i in $(seq 60); do rg list | grep -q '^192\.0\.2\.11 ' && break; sleep 0.05; done
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.11 +unknown-recipient '
	run -0 grep -E '^Groups:' /proc/$DPID/status
	assert_output --regexp "\s$(getent group "$GRP" | cut -d: -f3)(\s|$)"
}

@test "as user rcptguard the daemon still identifies loopback TCP peers (sock_diag needs no privilege)" {
	printf 'query_listen = 127.0.0.1:10042\nquery_listen_users = daemon\n' >> "$CONF"
	start_daemon
	req() {
		for i in 1 2 3 4 5; do
			printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=u%s@example.com\n\n' "$1" $i
		done
	}
	run -0 sh -c "$(declare -f req); req 192.0.2.60 | nsenter --net=/run/netns/$NS_S \
		setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups socat -t2 - TCP:127.0.0.1:10042"
	refute_output --partial "421"
	run -0 sh -c "$(declare -f req); req 192.0.2.61 | nsenter --net=/run/netns/$NS_S \
		setpriv --reuid=daemon --regid=$(id -g daemon) --clear-groups socat -t2 - TCP:127.0.0.1:10042"
	assert_output --partial "action=421 "
}

@test "as user rcptguard the daemon applies a journal the CLI wrote as root while it was down, then journals as itself" {
	start_daemon
	stop_daemon
	# With none there, the CLI makes the journal: root's, mode 0600.
	rm "$SVC/state/journal"
	rg ban 192.0.2.81 --for 1h >/dev/null
	[ "$(stat -c %U "$SVC/state/journal")" = root ]
	rg detach >/dev/null
	start_daemon
	run -0 rg list
	assert_line --regexp '^192\.0\.2\.81 '
	[ "$(stat -c %U "$SVC/state/journal")" = rcptguard ]
	rg ban 192.0.2.82 >/dev/null
	sleep 1.3
	grep -q '^ban 192.0.2.82 ' "$SVC/state/journal"
	! grep -q 'result=failed' "$DLOG" || { cat "$DLOG"; false; }
}
