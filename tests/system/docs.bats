#!/usr/bin/env bats
# Man pages render without warnings; commands match what they document.

load lib

@test "every man page passes mandoc -Tlint without warnings" {
	for page in "$TOP"/docs/man/*.[0-9]; do
		run -0 mandoc -Tlint -W warning "$page"
		assert_output ""
	done
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
		 etc/rcptguard/rcptguard.conf; do
		[ -f "$d/$f" ]
	done
	echo "port = 2525" > "$d/etc/rcptguard/rcptguard.conf"
	run -0 make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr
	[ "$(cat "$d/etc/rcptguard/rcptguard.conf")" = "port = 2525" ]
	run -0 make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr
	[ ! -e "$d/usr/sbin/rcptguardd" ]
}
