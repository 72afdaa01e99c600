#!/usr/bin/env bats
# Command-line errors: clear messages, documented exit codes, nothing changed.

load lib

setup() {
	rg_ids
	printf 'bpf_pin_dir = %s\ncontrol_socket = %s\n' "$PIN" "$CSOCK" > "$CONF"
}

@test "no command: usage, exit 2" {
	run -2 "$B/rcptguard"
	assert_output --partial "usage: rcptguard"
}

@test "unknown command: exit 2 names it" {
	run -2 rg frobnicate
	assert_output "rcptguard: unknown command 'frobnicate'; see 'rcptguard --help'"
}

@test "bad address: exit 2 names the argument" {
	run -2 rg ban 300.1.2.3
	assert_output "rcptguard: '300.1.2.3' is not an IPv4 or IPv6 address"
	run -2 rg ban 192.0.2.1/40
	assert_output "rcptguard: '192.0.2.1/40': prefix length must be 0..32"
	run -2 rg unban nonsense
	run -2 rg allow add 1.2.3
}

@test "bad duration: exit 2 names the argument" {
	run -2 rg ban 192.0.2.1 --for 10y
	assert_output --partial "'10y' is not a duration"
	run -2 rg ban 192.0.2.1 --for
	run -2 rg ban 192.0.2.1 --for 0
	assert_output --partial "'0' is no time at all; a ban without end is 'permanent'"
	run -2 rg ban 192.0.2.1 --for 0s
	run -2 rg ban 192.0.2.1 --for 4000d
	assert_output --partial "longer than ten years"
}

@test "missing arguments and extra arguments: exit 2" {
	run -2 rg ban
	assert_output --partial "ban needs an address"
	run -2 rg allow
	run -2 rg allow frob 1.2.3.4
	run -2 rg list --yaml
	run -2 rg detach now
}

@test "no maps pinned and no table: exit 1 and says how to create them" {
	run -1 rg list
	assert_line "rcptguard: note: rcptguardd is not running; working on the kernel's bans directly"
	assert_line "rcptguard: nothing holds bans yet: no rcptguard maps are pinned at $PIN and there is no nftables table inet rcptguard; start rcptguardd once to create them"
	run -1 rg ban 192.0.2.1
}

@test "a bad config file: exit 1 names file and line" {
	printf 'port = 25\nbogus = 1\n' > "$CONF"
	run -1 rg list
	assert_output "rcptguard: $CONF:2: unknown key 'bogus'"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output "rcptguardd: $CONF:2: unknown key 'bogus'"
}

@test "rcptguardd -t reads every file the config names; a log not there yet and a missing user only warn" {
	local d=$BATS_TEST_TMPDIR
	printf '192.0.2.0/24\n' > "$d/allow"
	printf 'trap@example.com\n' > "$d/traps"
	printf 'port = 25   # smtp, as docs/qmail.md writes it\nallow_file = %s/allow\nspamtrap_file = %s/traps\nfollow = %s/later.log\nuser = rg-no-such-user\n' \
		"$d" "$d" "$d" >> "$CONF"
	run -0 --separate-stderr "$B/rcptguardd" -t -c "$CONF"
	assert_output "rcptguardd: $CONF: config ok"
	[[ $stderr == *"warning: follow $d/later.log does not exist yet"* ]]
	[[ $stderr == *"warning: user 'rg-no-such-user' does not exist"* ]]
	printf 'not-an-address\n' >> "$d/allow"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output --partial "$d/allow:2: 'not-an-address'"
	sed -i '$d' "$d/allow"
	printf 'no-at-sign\n' >> "$d/traps"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output --partial "$d/traps:2: 'no-at-sign' is not an address"
	rm "$d/traps"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output --partial "cannot open spamtrap_file $d/traps"
	printf 'recipients = %s/none.cdb\n' "$d" >> "$CONF"
	printf 'trap@example.com\n' > "$d/traps"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output --partial "cannot open recipients database $d/none.cdb"
}

@test "rcptguardd -t: ban_time above ban_time_max is an error, not a clamp" {
	printf 'ban_time_max = 1h\nban_time = 2h\n' >> "$CONF"
	run -1 "$B/rcptguardd" -t -c "$CONF"
	assert_output "rcptguardd: $CONF:4: ban_time (7200s) is above ban_time_max (3600s); lower ban_time or raise ban_time_max"
}

@test "rcptguardd: bad option exit 2, missing config exit 1" {
	run -2 "$B/rcptguardd" -x
	run -1 "$B/rcptguardd" -t -c /nonexistent.conf
	assert_output --partial "cannot open /nonexistent.conf"
}

@test "recipients compile: bad lines are reported with their numbers and nothing is written" {
	printf 'ok@example.com\nno-at-sign\n\n# fine\nsp ace@example.com\n' > "$BATS_TEST_TMPDIR/src"
	run -1 rg recipients compile -o "$BATS_TEST_TMPDIR/r.cdb" "$BATS_TEST_TMPDIR/src"
	assert_line --partial "$BATS_TEST_TMPDIR/src:2: no '@'"
	assert_line --partial "$BATS_TEST_TMPDIR/src:5: space or control character in address: 'sp ace@example.com'"
	assert_line --partial "2 bad lines; nothing written"
	[ ! -e "$BATS_TEST_TMPDIR/r.cdb" ]
}

@test "recipients compile reads stdin and several files; check prints verdict and key" {
	db=$BATS_TEST_TMPDIR/r.cdb
	printf '@wild.test\n' > "$BATS_TEST_TMPDIR/b"
	run -0 sh -c "printf 'Bob@Example.com\n-old@example.com\n' |
		'$B/rcptguard' -c '$CONF' recipients compile -o '$db' - '$BATS_TEST_TMPDIR/b'"
	assert_output "compiled $db: 1 addresses, 1 catch-all domains, 1 negative entries, 2 domains (0 duplicates merged)"
	run -0 rg recipients check --db "$db" BOB@example.com old@example.com new@example.com x@wild.test x@else.test
	assert_line --regexp '^BOB@example.com +valid +bob@example.com$'
	assert_line --regexp '^old@example.com +negative +old@example.com$'
	assert_line --regexp '^new@example.com +unknown +-$'
	assert_line --regexp '^x@wild.test +valid +@wild.test$'
	assert_line --regexp '^x@else.test +not-ours +-$'
	run -0 rg recipients check --db "$db" --json bob@example.com
	assert_output --partial '{"address":"bob@example.com","verdict":"valid","key":"bob@example.com"}'
}

@test "recipients check: UTF-8 addresses shown and aligned by the columns they take on a UTF-8 terminal" {
	db=$BATS_TEST_TMPDIR/r.cdb
	printf 'stra\xc3\x9fe@example.com\nj\xc3\xb6rg@example.com\n\xe5\xb1\xb1\xe7\x94\xb0@example.com\n' \
		> "$BATS_TEST_TMPDIR/src"
	rg recipients compile -o "$db" "$BATS_TEST_TMPDIR/src"
	joerg=$(printf 'J\xc3\x96RG@example.com') yamada=$(printf '\xe5\xb1\xb1\xe7\x94\xb0@example.com')
	rlo=$(printf 'x\xe2\x80\xaeexe@example.com')
	LC_ALL=C.UTF-8 run -0 rg recipients check --db "$db" STRASSE@example.com "$joerg" "$yamada" "$rlo"
	assert_line 'STRASSE@example.com           valid    strasse@example.com'
	assert_line "$(printf 'J\xc3\x96RG@example.com              valid    j\xc3\xb6rg@example.com')"
	assert_line "$(printf '\xe5\xb1\xb1\xe7\x94\xb0@example.com              valid    \xe5\xb1\xb1\xe7\x94\xb0@example.com')"
	# A bidi override never reaches the terminal, nor anything on one that
	# does not take UTF-8.
	assert_line 'x\xe2\x80\xaeexe@example.com  unknown  -'
	LC_ALL=C LANG=C.UTF-8 run -0 rg recipients check --db "$db" "$joerg"
	assert_line 'J\xc3\x96RG@example.com  valid    j\xc3\xb6rg@example.com'
}

@test "the compiled CDB answers a validrcptto-style lookup: lower-case keys, '-' marks negatives" {
	db=$BATS_TEST_TMPDIR/r.cdb
	printf 'Bob@Example.com\n-old@example.com\n@wild.test\n' > "$BATS_TEST_TMPDIR/src"
	rg recipients compile -o "$db" "$BATS_TEST_TMPDIR/src"
	run -0 cdb -q "$db" bob@example.com
	assert_output ""
	run -0 cdb -q "$db" old@example.com
	assert_equal "$output" "-"
	run -0 cdb -q "$db" @wild.test
	run -100 cdb -q "$db" nobody@example.com
}

@test "recipients compile --for: sagredo's and the 2006 patch's keys, refusals and usage errors" {
	src=$BATS_TEST_TMPDIR/src
	printf 'bob@example.com\n-old@example.com\n@wild.test\n-trap@wild.test\n' > "$src"
	run -0 rg recipients compile --for sagredo -o "$BATS_TEST_TMPDIR/s.cdb" "$src"
	assert_output --partial "compiled $BATS_TEST_TMPDIR/s.cdb for sagredo (4 keys)"
	run -0 cdb -q -- "$BATS_TEST_TMPDIR/s.cdb" -@example.com
	run -0 cdb -q -- "$BATS_TEST_TMPDIR/s.cdb" -trap@wild.test
	run -100 cdb -q "$BATS_TEST_TMPDIR/s.cdb" old@example.com
	run -1 rg recipients compile --for validrcptto-2006 -o "$BATS_TEST_TMPDIR/v.cdb" "$src"
	assert_line --partial "entry -trap@wild.test: the validrcptto-2006 patch reads no negative entries, so @wild.test would accept trap@wild.test; remove the entry, or give --drop-negative to leave it out"
	refute_output --partial "-old@example.com"
	[ ! -e "$BATS_TEST_TMPDIR/v.cdb" ]
	run -0 rg recipients compile --for validrcptto-2006 --drop-negative -o "$BATS_TEST_TMPDIR/v.cdb" "$src"
	assert_line --partial "warning: entry -trap@wild.test left out (--drop-negative)"
	assert_line --partial "2 negative entries (1 need no key, 1 left out)"
	run -100 cdb -q "$BATS_TEST_TMPDIR/v.cdb" old@example.com
	run -2 rg recipients compile --for exim -o "$BATS_TEST_TMPDIR/x.cdb" "$src"
	assert_output --partial "--for: 'exim' must be rcptguard, sagredo or validrcptto-2006"
	run -2 rg recipients compile --drop-negative -o "$BATS_TEST_TMPDIR/x.cdb" "$src"
	assert_output --partial "--drop-negative is for --for validrcptto-2006"
}

@test "recipients: missing database and usage errors" {
	run -1 rg recipients check --db /nonexistent.cdb a@b
	assert_output --partial "cannot open recipients database /nonexistent.cdb"
	run -2 rg recipients check a@b
	assert_output --partial "no recipients database in the config; give --db FILE.cdb"
	run -2 rg recipients compile
	run -2 rg recipients frob
	run -2 rg recipients
}
