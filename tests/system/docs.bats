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
