#!/usr/bin/env bats
# qmail without qmail-spp: the recipients database built from a qmail
# installation (a fixture tree), and replay of old logs.

load lib

setup() {
	setup_net
	# The fixture with its absolute paths filled in, and its CDBs built.
	Q=$BATS_TEST_TMPDIR/qmail
	cp -a "$TOP/tests/fixtures/qmail" "$Q"
	for f in users/assign passwd alias/.qmail-default; do
		sed "s|@Q@|$Q|g" "$Q/$f.in" > "$Q/$f"
		rm "$Q/$f.in"
	done
	awk '{ print $1 " " }' "$Q/control/morercpthosts" | cdb -c -m "$Q/control/morercpthosts.cdb"
	awk '{ print $1 " " $2 }' "$Q/aliases.in" | cdb -c -m "$Q/aliases.cdb"
}

teardown() { teardown_net; }

@test "recipients compile --qmail lists what the installation accepts, and warns where it cannot" {
	run -0 rg recipients compile --qmail "$Q" --passwd "$Q/passwd" --dry-run
	diff <(echo "$output" | grep -v '^rcptguard: warning' | LC_ALL=C sort) "$Q/expected.txt"
	assert_line "rcptguard: warning: rcpthosts line '.wild.example' accepts every subdomain; list them one by one to have them checked"
	assert_line "rcptguard: warning: routed.example is relayed (smtproutes): its addresses are not known here; adding @domain"
	assert_line "rcptguard: warning: vpopmail domain catchall.example delivers unknown mailboxes somewhere instead of bouncing them; adding @domain"
}

@test "the compiled database: the daemon accepts every address of the installation and rejects invented ones" {
	run -0 rg recipients compile --qmail "$Q" --passwd "$Q/passwd" -o "$Q/r.cdb"
	assert_line --regexp '^example\.net +vpopmail +4$'
	assert_line --regexp '^example\.com +local +10$'
	assert_line --regexp '^compiled .*: 25 addresses, 3 catch-all domains, 0 negative entries, [0-9]+ domains'
	echo "recipients = $Q/r.cdb" >> "$CONF"
	start_daemon
	while read -r a; do
		case $a in @*) a=anyone$a ;; esac
		run -0 env -i TCPREMOTEIP=192.0.2.200 SMTPRCPTTO="$a" RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt
		refute_output --partial "E550"
	done < "$Q/expected.txt"
	for a in nobody@example.com carol2@example.net Alice-x@localhost; do
		run -0 env -i TCPREMOTEIP=192.0.2.201 SMTPRCPTTO="$a" RCPTGUARD_SOCKET="$QSOCK" "$B/rcptguard-spp" rcpt
		case $a in
		Alice-x@*) refute_output --partial "E550" ;;   # alice-default catches it
		*) assert_output --partial "E550" ;;
		esac
	done
}

@test "recipients compile --qmail: an alias whose name starts with a dash is that address, not a negative entry" {
	printf '&bob\n' > "$Q/alias/.qmail--list"
	run -0 rg recipients compile --qmail "$Q" --passwd "$Q/passwd" --dry-run
	assert_line '\-list@example.com'
	run -0 rg recipients compile --qmail "$Q" --passwd "$Q/passwd" -o "$Q/r.cdb"
	assert_line --regexp '^compiled .*, 0 negative entries, '
	run -0 rg recipients check --db "$Q/r.cdb" -- -list@example.com list@example.com
	assert_line --regexp '^-list@example\.com +valid +-list@example\.com$'
	assert_line --regexp '^list@example\.com +unknown +- *$'
}

@test "recipients compile --qmail: a directory that is not qmail is a clear error" {
	run -1 rg recipients compile --qmail "$BATS_TEST_TMPDIR" --dry-run
	assert_output "rcptguard: $BATS_TEST_TMPDIR/control/rcpthosts does not exist: is $BATS_TEST_TMPDIR a qmail installation? (use --qmail DIR)"
	run -2 rg recipients compile --dry-run
	assert_output --partial "--dry-run lists what --qmail finds"
}

@test "replay over a rotated, partly compressed multilog set prints the bans it would have made" {
	printf 'allow = 10.0.0.0/8\n' >> "$CONF"
	run -0 rg replay "$TOP"/tests/fixtures/logs/replay/current "$TOP"/tests/fixtures/logs/replay/@*
	assert_line "replay: 3 files, 48 lines, 47 rejections (47 unknown recipients, 0 limits, 0 DNSBL blocks), 0 malformed, 0 duplicates"
	assert_line "would have banned: 2 (1 repeat offenses, 0 networks); spared 2 allowlisted"
	assert_line "stopped: 23 later attempts, about 5750 bytes of SMTP traffic (250 per attempt)"
	assert_line --regexp '^198\.51\.100\.7 +unknown-recipient +2026-03-12 07:20:04 +1h0[0-6]m +1 +20$'
	assert_line --regexp '^198\.51\.100\.7 +unknown-recipient +2026-03-12 09:20:04 +4h[0-2][0-9]m +2 +3$'
	run -0 rg replay --json "$TOP"/tests/fixtures/logs/replay/current
	assert_output --partial '"bans":0'
	# A stricter threshold bans earlier and stops more.
	printf 'ban_threshold = 3\n' >> "$CONF"
	run -0 rg replay "$TOP"/tests/fixtures/logs/replay/@*
	assert_line --regexp '^203\.0\.113\.50 +unknown-recipient '
}

@test "replay reads a long line as the daemon does: a victim's line padded to byte 4096 blames nobody" {
	local head='@4000000069b2a5c4000000a1 CHKUSER rejected rcpt: from <s@spam.example::> remote <'
	local forged='h::6.6.6.6> rcpt <v@x> : not existing recipient'
	local pad line
	pad=$(head -c $((4096 - ${#head} - ${#forged})) /dev/zero | tr '\0' a)
	line="$head$pad$forged:ptr.spam.example:203.0.113.66> rcpt <v@x> : not existing recipient"
	[ "${#line}" -gt 4096 ] && [ "${line:4096-${#forged}:${#forged}}" = "$forged" ]
	for i in 1 2 3 4 5 6; do echo "$line"; done > "$BATS_TEST_TMPDIR/long.log"
	run -0 rg replay "$BATS_TEST_TMPDIR/long.log"
	refute_output --partial 6.6.6.6
	run -0 rg replay --json "$BATS_TEST_TMPDIR/long.log"
	assert_output --partial '"ambiguous":6'
	assert_output --partial '"bans":0'
}

@test "replay reads a yearless syslog stamp as local time, as the daemon does" {
	for i in 1 2 3 4 5 6; do
		echo "Mar 12 07:20:0$i mx qmail-smtpd: not in validrcptto: u$i@example.com at 203.0.113.9"
	done > "$BATS_TEST_TMPDIR/syslog.log"
	touch -d '2026-03-12 12:00:00 UTC' "$BATS_TEST_TMPDIR/syslog.log"
	# Berlin is UTC+1 in March, before its summer time.
	TZ=Europe/Berlin run -0 rg replay "$BATS_TEST_TMPDIR/syslog.log"
	assert_line --regexp '^203\.0\.113\.9 +unknown-recipient +2026-03-12 06:20:05 '
	TZ=UTC run -0 rg replay "$BATS_TEST_TMPDIR/syslog.log"
	assert_line --regexp '^203\.0\.113\.9 +unknown-recipient +2026-03-12 07:20:05 '
}

@test "replay blames the host fail2ban's qmail test log expects for each of its line shapes" {
	# One DNSBL block bans here, so each line's host shows in the ban list.
	printf 'dnsbl_ban_weight = 5\n' >> "$CONF"
	run -0 rg replay "$TOP/tests/fixtures/logs/fail2ban-qmail.log"
	assert_line "replay: 1 file, 4 lines, 4 rejections (0 unknown recipients, 0 limits, 4 DNSBL blocks), 0 malformed, 0 duplicates"
	for host in 198.51.100.11 198.51.100.12 198.51.100.13 198.51.100.14; do
		assert_line --regexp "^${host//./\\.} +dnsbl "
	done
}

@test "replay of every log format, bzip2 included, and of garbage" {
	bzip2 -c "$TOP/tests/fixtures/logs/chkuser.log" > "$BATS_TEST_TMPDIR/chkuser.log.bz2"
	run -0 rg replay "$TOP"/tests/fixtures/logs/*.log "$BATS_TEST_TMPDIR/chkuser.log.bz2"
	assert_line --partial "3 malformed, 2 duplicates"
	run -1 rg replay "$BATS_TEST_TMPDIR/missing.log"
	assert_output "rcptguard: cannot open $BATS_TEST_TMPDIR/missing.log: No such file or directory"
	run -2 rg replay
	head -c 3000 /dev/urandom > "$BATS_TEST_TMPDIR/random.gz"
	run rg replay "$BATS_TEST_TMPDIR/random.gz"
	[ "$status" -le 1 ]
}
