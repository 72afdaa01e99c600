#!/usr/bin/env bats
# Man pages render without warnings; commands match what they document.

load lib

@test "every man page passes mandoc -Tlint without warnings" {
	for page in "$TOP"/docs/man/*.[0-9]; do
		run -0 mandoc -Tlint -W warning "$page"
		assert_output ""
	done
}

@test "make run installs only what builds and runs rcptguard: no MTA, no test tool" {
	test_debs=$(make -C "$TOP" -pn run 2>/dev/null | sed -n 's/^TEST_DEBS := //p')
	[[ " $test_debs " == *" postfix "* ]]
	run -0 make -C "$TOP" -n run
	for p in $test_debs; do
		refute_output --regexp "(^|[ ;])$p([ ;]|$)"
	done
	# The packages are still installed for the tests.
	run -0 make -C "$TOP" -n check
	assert_output --partial " postfix "
}

@test "the shipped config is valid" {
	run -0 "$B/rcptguardd" -t -c "$TOP/conf/rcptguard.conf"
	assert_output --partial "config ok"
}

@test "make install puts programs, man pages and config under DESTDIR and keeps an existing config" {
	d=$BATS_TEST_TMPDIR/root
	run -0 make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr
	for f in usr/sbin/rcptguardd usr/sbin/rcptguard usr/sbin/rcptguard-spp \
		 usr/share/man/man8/rcptguardd.8 usr/share/man/man8/rcptguard.8 \
		 usr/share/man/man8/rcptguard-spp.8 usr/share/man/man5/rcptguard.conf.5 \
		 etc/rcptguard/rcptguard.conf lib/systemd/system/rcptguard.service \
		 usr/share/rcptguard/daemontools/run usr/share/rcptguard/daemontools/log/run \
		 usr/share/rcptguard/grafana-rcptguard.json; do
		[ -f "$d/$f" ]
	done
	# Paths in the service files follow PREFIX.
	grep -q '^ExecStart=/usr/sbin/rcptguardd -f -c /etc/rcptguard/rcptguard.conf$' \
		"$d/lib/systemd/system/rcptguard.service"
	grep -q '^exec /usr/sbin/rcptguardd -f' "$d/usr/share/rcptguard/daemontools/run"
	[ -x "$d/usr/share/rcptguard/daemontools/log/run" ]
	echo "port = 2525" > "$d/etc/rcptguard/rcptguard.conf"
	run -0 make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr
	[ "$(cat "$d/etc/rcptguard/rcptguard.conf")" = "port = 2525" ]
	run -0 make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr
	[ ! -e "$d/usr/sbin/rcptguardd" ]
	[ ! -e "$d/lib/systemd/system/rcptguard.service" ]
}

@test "the daemontools run script starts the daemon in the foreground and logs through multilog" {
	run -0 sh -n "$TOP/conf/daemontools/run"
	run -0 sh -n "$TOP/conf/daemontools/log/run"
	grep -q 'exec 2>&1' "$TOP/conf/daemontools/run"
	grep -q 'rcptguardd -f ' "$TOP/conf/daemontools/run"
	grep -q 'multilog t ' "$TOP/conf/daemontools/log/run"
}

@test "the systemd unit sandboxes the daemon and bounds its capabilities" {
	u=$TOP/conf/rcptguard.service
	for k in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes RuntimeDirectory=rcptguard \
		 StateDirectory=rcptguard NoNewPrivileges=yes 'ExecReload=/bin/kill -HUP $MAINPID'; do
		grep -qxF "$k" "$u"
	done
	grep -q '^CapabilityBoundingSet=CAP_BPF ' "$u"
}
