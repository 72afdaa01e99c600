#!/usr/bin/env bats
# The daemontools service as make install ships it, run the way
# docs/service.md says under a real svscan: the daemon's lines reach
# multilog's current in the log directory, written by the log user, and
# svc -d stops the daemon at once.

load lib

setup() {
	ID=$(( ($$ + RANDOM) % 100000 ))
	T=$(mktemp -d /tmp/rgt-dt.XXXXXX)
	chmod 755 "$T"
	LOGUSER=rgtlog$ID
	getent passwd rcptguard >/dev/null || MADE_RCPTGUARD=1
	SVSCAN=
	SVPIDS=
}

# svpid DIR: the pid svstat reports for the service in DIR, or nothing.
svpid() {
	svstat "$1" 2>/dev/null | sed -n 's/.*: up (pid \([0-9]*\)).*/\1/p'
}

teardown() {
	local p i alive
	if [ -n "$SVSCAN" ]; then
		# svscan first, or it starts a new supervise for each that exits.
		SVPIDS="$SVPIDS $(pgrep -P "$SVSCAN") $(svpid "$T/service/rcptguard")"
		SVPIDS="$SVPIDS $(svpid "$T/service/rcptguard/log")"
		kill "$SVSCAN" 2>/dev/null
		wait "$SVSCAN" 2>/dev/null
		svc -dx "$T/service/rcptguard" "$T/service/rcptguard/log" 2>/dev/null
		for i in $(seq 40); do
			alive=
			for p in $SVPIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
			[ -z "$alive" ] && break
			sleep 0.05
		done
		for p in $SVPIDS; do kill -9 "$p" 2>/dev/null; done
	fi
	rm -rf "$T"
	userdel "$LOGUSER" 2>/dev/null
	groupdel "$LOGUSER" 2>/dev/null
	[ -z "${MADE_RCPTGUARD:-}" ] || userdel rcptguard 2>/dev/null
	true
}

@test "the installed daemontools service logs through multilog as its own user, and svc -d stops the daemon within a second" {
	# A real install (no DESTDIR: it makes the users), under a private prefix.
	run -0 make -s -C "$TOP" install PREFIX="$T/usr" SYSCONFDIR="$T/etc" SYSTEMDDIR="$T/systemd" \
		LOGDIR="$T/log" LOGUSER="$LOGUSER"
	run -0 getent passwd "$LOGUSER"
	# Private sockets and state, no enforcement: nothing shared with other
	# tests or a real install.
	sed -i -e 's|^backend = .*|backend = none|' -e "s|/run/rcptguard/|$T/run/|" \
		-e "s|^state_dir = .*|state_dir = $T/state|" -e "s|^bpf_pin_dir = .*|bpf_pin_dir = $T/bpf|" \
		"$T/etc/rcptguard/rcptguard.conf"
	# docs/service.md's steps, with a private supervise and service directory.
	mkdir "$T/supervise" "$T/service"
	cp -R "$T/usr/share/rcptguard/daemontools" "$T/supervise/rcptguard"
	ln -s "$T/supervise/rcptguard" "$T/service/"
	svscan "$T/service" >"$T/svscan.out" 2>&1 3>&- &
	SVSCAN=$!
	for i in $(seq 100); do
		grep -q ' rcptguardd: level=info event=start ' "$T/log/current" 2>/dev/null && break
		sleep 0.1
	done
	run -0 grep -E '^@[0-9a-f]{24} rcptguardd: level=info event=start config='"$T"'/etc/rcptguard/rcptguard.conf backend=none ' \
		"$T/log/current"
	# Written by the log user, in a directory only it and root can read.
	[ "$(stat -c '%U %a' "$T/log")" = "$LOGUSER 750" ]
	[ "$(stat -c %U "$T/log/current")" = "$LOGUSER" ]
	logpid=$(svpid "$T/service/rcptguard/log")
	[ "$(ps -o user= -p "$logpid")" = "$LOGUSER" ]
	dpid=$(svpid "$T/service/rcptguard")
	[ -n "$dpid" ] && kill -0 "$dpid"
	t0=$(date +%s%N)
	svc -d "$T/service/rcptguard"
	while kill -0 "$dpid" 2>/dev/null && [ $(( $(date +%s%N) - t0 )) -lt 1000000000 ]; do
		sleep 0.02
	done
	! kill -0 "$dpid" 2>/dev/null
	run -0 svstat "$T/service/rcptguard"
	assert_output --regexp ': down [0-9]+ seconds'
	for i in $(seq 20); do grep -q 'event=stop ' "$T/log/current" && break; sleep 0.05; done
	grep -q 'rcptguardd: level=info event=stop signal=Terminated' "$T/log/current"
}
