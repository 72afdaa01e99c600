#!/usr/bin/env bats
# What the admin looks back at: rcptguard history (bans, unbans and
# expiries with reason, score, evidence and who), and the recipients a
# client tried in show.

load lib

setup() {
	setup_net
	DB=$BATS_TEST_TMPDIR/recipients.cdb
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt" >/dev/null
	echo "recipients = $DB" >> "$CONF"
}
teardown() { teardown_net; }

# guesses CLIENT N [PREFIX]: N unknown recipients from CLIENT.
guesses() {
	local i
	for i in $(seq "$2"); do
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=%s%s@example.com\n\n' "$1" "${3:-guess}" "$i"
	done | socat -t2 - UNIX-CONNECT:"$QSOCK" >/dev/null
}

@test "history: a ban with its reason, score and recipients, the unban with who lifted it, an expiry" {
	start_daemon
	guesses 192.0.2.7 5
	rg ban 10.77.1.9 --for 1s --reason 'by hand' >/dev/null
	rg unban 192.0.2.7 >/dev/null
	for i in $(seq 80); do grep -q ' expire 10.77.1.9 ' "$STATE/history" && break; sleep 0.1; done
	run -0 rg history
	assert_line --regexp '^[0-9-]+ [0-9:]+ +ban +192\.0\.2\.7 +unknown-recipient +1h[0-9]+m +5\.00/5\.00 +judge +guess5@example\.com guess4@example\.com guess3@example\.com guess2@example\.com guess1@example\.com$'
	assert_line --regexp '^[0-9-]+ [0-9:]+ +unban +192\.0\.2\.7 +- +- +- +control uid=0 pid=[0-9]+ +-$'
	assert_line --regexp '^[0-9-]+ [0-9:]+ +ban +10\.77\.1\.9 +by hand +1s +- +control uid=0 pid=[0-9]+ +-$'
	assert_line --regexp '^[0-9-]+ [0-9:]+ +expire +10\.77\.1\.9 +- +- +- +expiry +-$'
	run -0 rg history 192.0.2.0/24
	[ "${#lines[@]}" -eq 3 ]
	refute_output --partial 10.77.1.9
	rg history --json 192.0.2.7 > "$BATS_TEST_TMPDIR/j"
	jq -e 'length == 2 and
		(.[0] | .event == "ban" and .reason == "unknown-recipient" and .score == 5 and
			.threshold == 5 and .offense == 1 and (.seconds | type) == "number" and
			(.time | type) == "number" and .by == "judge" and
			.recipients == ["guess5@example.com", "guess4@example.com", "guess3@example.com",
					"guess2@example.com", "guess1@example.com"]) and
		(.[1] | .event == "unban" and .reason == null and .seconds == null and .score == null and
			(.by | startswith("control uid=0")) and .recipients == [])' "$BATS_TEST_TMPDIR/j"
}

@test "history --since leaves out what is older; a damaged line is skipped and counted" {
	start_daemon
	rg ban 10.77.1.9 >/dev/null
	stop_daemon
	{ echo "1000 ban 10.77.1.8 reason=manual secs=60 offense=0 by=old"; echo "garbage"; cat "$STATE/history"; } > "$STATE/h"
	mv "$STATE/h" "$STATE/history"
	run -0 --separate-stderr rg history
	assert_line --regexp '^1970-01-01 [0-9:]+ +ban +10\.77\.1\.8 '
	[ "$stderr" = "rcptguard: note: 1 lines of the history could not be read and were skipped" ]
	run -0 rg history --since 1d
	refute_output --partial 10.77.1.8
	assert_output --partial 10.77.1.9
	run -0 --separate-stderr rg history 203.0.113.0/24
	assert_output "nothing in the history of $STATE that matches"
	run -2 rg history --since soon
	run -2 rg history 300.1.1.1
}

@test "an unban made with the daemon down is in the history once it starts" {
	start_daemon
	guesses 192.0.2.7 5
	stop_daemon
	rg unban 192.0.2.7 >/dev/null 2>&1
	start_daemon
	run -0 rg history --json 192.0.2.7
	[ "$(jq -c '[.[] | [.event, .by]]' <<< "$output")" = '[["ban","judge"],["unban","cli while the daemon was down"]]' ]
}

@test "show lists the latest recipients tried, newest first, escaped for the terminal" {
	start_daemon
	guesses 192.0.2.7 3 'x'
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.7\nrecipient=\033[2Jevil@example.com\n\n' |
		socat -t2 - UNIX-CONNECT:"$QSOCK" >/dev/null
	run -0 rg show 192.0.2.7
	assert_line "  latest bad recipients tried:"
	assert_line --regexp '^    [0-9-]+ [0-9:]+  \\x1b\[2Jevil@example\.com$'
	assert_line --regexp '^    [0-9-]+ [0-9:]+  x1@example\.com$'
	rg show --json 192.0.2.7 > "$BATS_TEST_TMPDIR/j"
	jq -e '[.recipients[].recipient] == ["\u001b[2Jevil@example.com", "x3@example.com", "x2@example.com", "x1@example.com"] and
		all(.recipients[]; (.time | type) == "number")' "$BATS_TEST_TMPDIR/j"
	# The ring is bounded: a flood leaves the newest ten in show.
	guesses 192.0.2.8 300 'flood'
	rg show --json 192.0.2.8 > "$BATS_TEST_TMPDIR/j"
	jq -e '.recipients | length == 10 and .[0].recipient == "flood300@example.com"' "$BATS_TEST_TMPDIR/j"
}

@test "top: a header of totals over the offenders; on a terminal q quits" {
	start_daemon
	guesses 192.0.2.7 5
	run -0 rg top --once
	assert_line --index 0 --regexp '^rcptguard top - [0-9:]+   bans 1   dropped [0-9]+ packets   saved ~[0-9.]+ [KMGT]?B   verdicts -/s$'
	assert_line --regexp '^192\.0\.2\.7 +5\.00/5\.00 +5 +1 +banned +guess5@example\.com$'
	# Keys on a terminal: two frames (the second with a rate), then q ends it.
	run -0 timeout 10 script -qec "nsenter --net=/run/netns/$NS_S $B/rcptguard -c $CONF top" /dev/null \
		< <(sleep 2.6; printf q)
	assert_output --partial "q quit   space refresh"
	assert_output --regexp 'verdicts [0-9]+\.[0-9]/s'
}

@test "replay lists the near-misses: clients within two of the threshold that were not banned" {
	local log=$BATS_TEST_TMPDIR/current i=0 c n
	for c in 198.51.100.7:5 203.0.113.4:4 203.0.113.5:3 203.0.113.6:2; do
		for n in $(seq ${c#*:}); do
			printf '@4000000069b285%02x00000000 qmail-smtpd: not in validrcptto: g%s@example.com at %s\n' \
				$((i++)) "$n" "${c%:*}"
		done
	done > "$log"
	run -0 "$B/rcptguard" -c "$CONF" replay "$log"
	assert_line "near misses: 2 clients came within 2 of the threshold and were not banned"
	assert_line --regexp '^203\.0\.113\.4 +4\.00/5\.00 +2026-03-12 '
	assert_line --regexp '^203\.0\.113\.5 +3\.00/5\.00 +2026-03-12 '
	refute_output --partial 203.0.113.6
	refute_line --regexp '^198\.51\.100\.7 +[0-9.]+/'
	"$B/rcptguard" -c "$CONF" replay --json "$log" > "$BATS_TEST_TMPDIR/j"
	jq -e '.bans == 1 and [.near_misses[] | [.address, .peak_score, .threshold]] ==
		[["203.0.113.4", 4, 5], ["203.0.113.5", 3, 5]] and
		(.near_misses[0].at | type) == "number"' "$BATS_TEST_TMPDIR/j"
}
