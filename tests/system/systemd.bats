#!/usr/bin/env bats
# The daemon under its service manager: systemd's readiness datagram,
# journald's priority prefixes, syslog through the non-blocking queue,
# quiet monitoring polls, and the unit's system call filter.

load lib

setup() {
	setup_net
}

teardown() {
	[ -n "${RECV:-}" ] && kill "$RECV" 2>/dev/null
	teardown_net
}

# recv_dgrams SOCKET OUT [HOLD]: collect datagrams sent to SOCKET into OUT,
# one per line. With HOLD, read nothing until the file HOLD disappears (a
# stalled syslogd). On READY=1 it asks the control socket at once, so OUT
# says whether the daemon really answered when it said it was ready.
recv_dgrams() {
	rm -f "$2.bound"
	# In the daemon's namespace: abstract socket names are per namespace.
	nsenter --net=/run/netns/$NS_S python3 - "$@" 3>&- <<-'PY' &
	import os, socket, sys, time
	path, out = sys.argv[1], sys.argv[2]
	hold = sys.argv[3] if len(sys.argv) > 3 else None
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	if path.startswith("@"):
	    s.bind("\0" + path[1:])
	else:
	    s.bind(path)
	    os.chmod(path, 0o666)
	open(out + ".bound", "w").close()
	while hold and os.path.exists(hold):
	    time.sleep(0.02)
	with open(out, "a") as f:
	    while True:
	        d = s.recv(65536).decode(errors="replace")
	        f.write(d.replace("\n", "\\n") + "\n")
	        if d.startswith("READY=1"):
	            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	            try:
	                c.connect(os.environ["CSOCK"])
	                c.sendall(b"status\n")
	                f.write("control=" + c.recv(3).decode().strip() + "\n")
	            except OSError as e:
	                f.write("control=down %s\n" % e)
	        f.flush()
	PY
	RECV=$!
	for _ in $(seq 100); do [ -e "$2.bound" ] && return 0; sleep 0.05; done
	return 1
}

@test "Type=notify: READY=1 reaches NOTIFY_SOCKET only once the control socket answers, STOPPING=1 at the end" {
	for sock in "$BATS_TEST_TMPDIR/notify" "@rgt-notify-$ID"; do
		: > "$BATS_TEST_TMPDIR/got"
		CSOCK=$CSOCK recv_dgrams "$sock" "$BATS_TEST_TMPDIR/got"
		NOTIFY_SOCKET=$sock start_daemon
		for _ in $(seq 100); do grep -q '^control=' "$BATS_TEST_TMPDIR/got" && break; sleep 0.05; done
		run -0 cat "$BATS_TEST_TMPDIR/got"
		assert_line --index 0 "READY=1"
		assert_line --index 1 "control=ok"
		stop_daemon
		for _ in $(seq 100); do grep -q '^STOPPING=1$' "$BATS_TEST_TMPDIR/got" && break; sleep 0.05; done
		run -0 cat "$BATS_TEST_TMPDIR/got"
		assert_line --index 2 "STOPPING=1"
		kill "$RECV"; RECV=
	done
}

@test "a NOTIFY_SOCKET that cannot be used is a warning, and the daemon serves anyway" {
	long=/$(printf 'x%.0s' $(seq 120))
	for bad in relative/path "@" "$long" "$BATS_TEST_TMPDIR/nobody-listens"; do
		NOTIFY_SOCKET=$bad start_daemon
		run -0 rg status
		stop_daemon
	done
	run -0 grep -c 'event=notify result=failed error=' "$DLOG"
	assert_output 4
	grep -q 'is not an absolute path or an @abstract name' "$DLOG"
	grep -q "cannot send to NOTIFY_SOCKET=$BATS_TEST_TMPDIR/nobody-listens" "$DLOG"
}

@test "under systemd (JOURNAL_STREAM is stderr) each line carries its <N> priority; elsewhere none" {
	: > "$DLOG"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$DLOG") start_daemon
	echo "ban_threshold = lots" >> "$CONF"
	kill -HUP $DPID
	for _ in $(seq 100); do grep -q 'event=reload result=refused' "$DLOG" && break; sleep 0.05; done
	stop_daemon
	grep -q '^<6>rcptguardd: level=info event=start ' "$DLOG"
	grep -q '^<3>rcptguardd: level=error event=reload result=refused ' "$DLOG"
	# Every line, not only those two.
	run -1 grep -v '^<[3467]>rcptguardd: level=' "$DLOG"
	# A JOURNAL_STREAM inherited by a stderr that is elsewhere now.
	sed -i '$d' "$CONF"
	mv "$DLOG" "$DLOG.old"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$DLOG.old") start_daemon
	stop_daemon
	run -1 grep '^<' "$DLOG"
	grep -q '^rcptguardd: level=info event=start ' "$DLOG"
	for bad in "" "x" "1:" "1:2x" "$(stat -c '%d' "$DLOG")"; do
		JOURNAL_STREAM=$bad start_daemon
		stop_daemon
	done
	run -1 grep '^<' "$DLOG"
}

@test "a monitoring poll logs nothing at log_level = info; debug shows its connects and commands, reload switches" {
	start_daemon
	for _ in $(seq 20); do rg status >/dev/null; rg stats >/dev/null; done
	run -1 grep -E 'control_(connect|command)' "$DLOG"
	echo "log_level = debug" >> "$CONF"
	run -0 rg reload
	rg status >/dev/null
	grep -q 'level=debug event=control_connect uid=0 ' "$DLOG"
	grep -q 'level=debug event=control_command uid=0 pid=[0-9]* command=status' "$DLOG"
	grep -q 'event=reload result=ok .*changed="log_level"' "$DLOG"
}

# The daemon in a mount namespace whose /dev/log is the test's socket
# (this machine has no syslogd; the host's /dev stays untouched).
start_daemon_devlog() {
	local dev=$BATS_TEST_TMPDIR/dev
	mkdir -p "$dev"
	local starts=$(grep -c 'event=start ' "$DLOG" 2>/dev/null)
	unshare -m --propagation private sh -ec '
		mount --rbind /dev "$1"
		mount -t tmpfs -o mode=755 rgt-dev /dev
		for n in null zero urandom random; do
			touch /dev/$n; mount --bind "$1/$n" /dev/$n
		done
		ln -s "$2" /dev/log
		shift 2
		exec nsenter --net=/run/netns/'"$NS_S"' "$@"' sh "$dev" "$1" \
		"$B/rcptguardd" -f -c "$CONF" >>"$DLOG" 2>&1 3>&- &
	DPID=$!
	for _ in $(seq 100); do
		[ -S "$CSOCK" ] && rg status >/dev/null 2>&1 && return 0
		kill -0 $DPID 2>/dev/null || { cat "$DLOG"; return 1; }
		sleep 0.05
	done
	return 1
}

@test "log = syslog: facility mail on /dev/log; a syslogd that stalls delays lines in the queue, loses none, and never stalls the daemon" {
	echo "log = syslog" >> "$CONF"
	touch "$BATS_TEST_TMPDIR/hold"
	recv_dgrams "$BATS_TEST_TMPDIR/devlog" "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/hold"
	start_daemon_devlog "$BATS_TEST_TMPDIR/devlog"
	# Far more lines than the socket holds (net.unix.max_dgram_qlen), far
	# fewer than the queue's 256 KB, while nobody reads: the daemon answers.
	addrs=$(for i in $(seq 1 250); do printf '198.51.%d.%d ' $((i / 200)) $((i % 200 + 1)); done)
	run -0 timeout 10 "$B/rcptguard" -c "$CONF" ban $addrs --for 1h
	run -0 timeout 5 "$B/rcptguard" -c "$CONF" status
	[ ! -s "$BATS_TEST_TMPDIR/got" ]
	rm "$BATS_TEST_TMPDIR/hold"
	for _ in $(seq 100); do
		[ "$(grep -c 'event=ban ' "$BATS_TEST_TMPDIR/got")" -ge 250 ] && break
		sleep 0.1
	done
	run -0 grep -c 'event=ban ' "$BATS_TEST_TMPDIR/got"
	assert_output 250
	# mail.info is <22>, mail.warning <20>; every line whole, none lost.
	grep -q '^<22>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* rcptguardd\[[0-9]*\]: level=info event=start ' \
		"$BATS_TEST_TMPDIR/got"
	run -1 grep -v '^<2[0-7]>.* rcptguardd\[[0-9]*\]: level=' "$BATS_TEST_TMPDIR/got"
	run -1 grep 'event=log_dropped' "$BATS_TEST_TMPDIR/got"
	# In the order they were logged.
	grep -o 'event=ban address=[^ ]*' "$BATS_TEST_TMPDIR/got" | head -3 > "$BATS_TEST_TMPDIR/first"
	run -0 cat "$BATS_TEST_TMPDIR/first"
	assert_line --index 0 --partial "198.51.0.2"
	# Nothing went to stderr but what came before the switch.
	run -1 grep 'event=ban ' "$DLOG"
}

# The system calls the unit's SystemCallFilter= allows: systemd's own
# expansion of its groups (systemd-analyze knows them without systemd
# running), plus the unit's single names.
allowed_syscalls() {
	local filter
	filter=$(sed -n 's/^SystemCallFilter=//p' "$TOP/conf/rcptguard.service")
	expand() {
		local w
		for w in "$@"; do
			case $w in
			@*) expand $(systemd-analyze syscall-filter "$w" | sed '1d;/^ *#/d') ;;
			*) echo "$w" ;;
			esac
		done
	}
	expand $filter | sort -u
}

@test "every system call the daemon makes (xdp and nft, start, bans, reload, stop) is one SystemCallFilter= allows" {
	allowed_syscalls > "$BATS_TEST_TMPDIR/allowed"
	# A real group expanded: the check cannot pass on an empty list.
	grep -qx epoll_wait "$BATS_TEST_TMPDIR/allowed"
	grep -qx bpf "$BATS_TEST_TMPDIR/allowed"
	for backend in xdp nft; do
		sed -i '/^backend = /d' "$CONF"
		echo "backend = $backend" >> "$CONF"
		local starts=$(grep -c 'event=start ' "$DLOG" 2>/dev/null)
		nsenter --net=/run/netns/$NS_S strace -f -qq -o "$BATS_TEST_TMPDIR/trace.$backend" \
			"$B/rcptguardd" -f -c "$CONF" >>"$DLOG" 2>&1 3>&- &
		local tracer=$!
		for _ in $(seq 200); do
			[ "$(grep -c 'event=start ' "$DLOG")" -gt "${starts:-0}" ] && break
			sleep 0.05
		done
		run -0 rg ban 192.0.2.9 2001:db8::/64 --for 1h
		run -0 rg status
		run -0 rg stats --prometheus
		kill -HUP "$(pgrep -P $tracer)"
		run -0 rg unban 192.0.2.9
		kill "$(pgrep -P $tracer)"
		wait $tracer
		run -0 rg --pin-dir "$PIN" detach
	done
	cat "$BATS_TEST_TMPDIR"/trace.* | sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' | sort -u \
		> "$BATS_TEST_TMPDIR/used"
	grep -qx bpf "$BATS_TEST_TMPDIR/used"
	grep -qx recvmsg "$BATS_TEST_TMPDIR/used"
	run -0 comm -23 "$BATS_TEST_TMPDIR/used" "$BATS_TEST_TMPDIR/allowed"
	assert_output ""
}

@test "systemd-analyze security rates the shipped unit as docs/service.md says" {
	run -0 systemd-analyze security --offline=true "$TOP/conf/rcptguard.service"
	score=$(sed -n 's/.*Overall exposure level for rcptguard.service: \([0-9.]*\) .*/\1/p' <<<"$output")
	[ -n "$score" ]
	grep -q "rates the unit \*\*$score " "$TOP/docs/service.md"
	# The filter is an allow list, and it counts.
	assert_output --regexp '✓ SystemCallFilter=~@module +System call allow list'
}
