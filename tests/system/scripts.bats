#!/usr/bin/env bats
# What scripts rely on: every --json typed as docs/control.md says (checked
# with jq: numbers, booleans, arrays, objects, not just valid), hostile text
# escaped, and status as a health check with its exit codes.

load lib

setup() {
	setup_net
	DB=$BATS_TEST_TMPDIR/recipients.cdb
	printf 'bob@example.com\n' > "$BATS_TEST_TMPDIR/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$BATS_TEST_TMPDIR/recipients.txt" >/dev/null
	echo "recipients = $DB" >> "$CONF"
}
teardown() { teardown_net; }

# holds FILE FILTER...: each jq filter is true of FILE.
holds() {
	local f=$1 q
	shift
	for q in "$@"; do
		jq -e "$q" "$f" >/dev/null || { echo "false: $q"; cat "$f"; return 1; }
	done
}

# guesses CLIENT N: N unknown recipients from CLIENT over the query socket.
guesses() {
	local i
	for i in $(seq "$2"); do
		printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nrecipient=guess%s@example.com\n\n' "$1" "$i"
	done | socat -t2 - UNIX-CONNECT:"$QSOCK" >/dev/null
}

@test "every --json has typed fields: list, show, top, allow list, stats, status, recipients check, replay" {
	local j=$BATS_TEST_TMPDIR/j
	start_daemon
	rg ban 10.77.1.2 --for 10m --reason 'a "quoted" \ note' >/dev/null
	rg ban 10.9.0.0/16 --for permanent >/dev/null
	rg allow add 192.0.2.99 >/dev/null
	guesses 192.0.2.7 3

	rg list --json > "$j"
	holds "$j" 'type == "array" and length == 2' \
		'all(.[]; (.address | type) == "string" and (.created | type) == "number" and
			(.age_seconds | type) == "number" and (.expires_in_seconds | type) == "number" and
			(.packets | type) == "number" and (.bytes | type) == "number" and
			(.permanent | type) == "boolean" and (.expired | type) == "boolean")' \
		'.[] | select(.address == "10.77.1.2") | .note == "a \"quoted\" \\ note" and .reason == "manual"' \
		'.[] | select(.address == "10.9.0.0/16") | .permanent'

	rg show --json 192.0.2.7 > "$j"
	holds "$j" '.address == "192.0.2.7" and .daemon == true and .allow == null' \
		'(.bans | type) == "array" and (.dnsbl | type) == "array"' \
		'.offender | (.level | type) == "number" and (.threshold | type) == "number" and
			.bad_total == 3 and (.last_seen | type) == "number" and (.last_recipient | type) == "string"' \
		'.events | length >= 3 and all(.[]; (.time | type) == "number" and .event == "unknown-recipient")'
	rg show --json 10.9.1.1 > "$j"
	holds "$j" '.bans[0] | .address == "10.9.0.0/16" and .expires == 0 and .expired == false and
			(.packets | type) == "number"' '.offender == null'
	rg show --json 192.0.2.99 > "$j"
	holds "$j" '.allow == {"entry": "192.0.2.99", "origin": "manual"}'

	rg top --json > "$j"
	holds "$j" 'type == "array"' \
		'.[0] | .address == "192.0.2.7" and (.level | type) == "number" and .bad_total == 3 and
			(.ban_until | type) == "number"'

	rg allow list --json > "$j"
	holds "$j" 'type == "array"' 'any(.[]; . == {"address": "192.0.2.99", "origin": "manual"})'

	rg stats --json > "$j"
	holds "$j" '.metrics | type == "array" and length > 10' \
		'all(.metrics[]; (.name | type) == "string" and (.labels | type) == "object" and
			(.value | type) == "number")' \
		'any(.metrics[]; .name == "rcptguard_verdicts_total" and .labels == {"verdict": "unknown"} and .value == 3)'

	rg status --json > "$j"
	holds "$j" '.daemon | (.pid | type) == "number" and .backend == "xdp" and .offenders >= 1 and
			(.uptime_seconds | type) == "number" and (.started | type) == "number" and
			(.recipients_keys | type) == "number" and .recipients_refused == ""' \
		'.ports == [25, 465, 587]' \
		'.bans_exact == 1 and .bans_prefix == 1 and .allow >= 2 and (.ban_counters | type) == "boolean"' \
		".interfaces[0] | .interface == \"$IF_S\" and (.ifindex | type) == \"number\" and
			(.program_id | type) == \"number\" and .mode == \"native\"" \
		'.enforcing == true and .problem == null'

	rg recipients check --json bob@example.com nobody@example.com > "$j"
	holds "$j" '. == [{"address": "bob@example.com", "verdict": "valid", "key": "bob@example.com"},
			{"address": "nobody@example.com", "verdict": "unknown", "key": ""}]'

	rg replay --json "$TOP"/tests/fixtures/logs/replay/current > "$j"
	holds "$j" '(.lines | type) == "number" and (.bans | type) == "number" and
			(.ban_list | type) == "array"'

	# With the daemon down: the kernel's view, the same shape.
	stop_daemon
	rg show --json 10.9.1.1 > "$j" 2>/dev/null
	holds "$j" '.daemon == false and .offender == null and .events == [] and
			.bans[0].address == "10.9.0.0/16" and (.bans[0].packets | type) == "number"'
	rg list --json > "$j" 2>/dev/null
	holds "$j" 'length == 2 and all(.[]; (.packets | type) == "number")'
}

@test "hostile text round-trips through --json exactly: quotes, backslashes, control bytes" {
	local i s out=$BATS_TEST_TMPDIR/out want=$BATS_TEST_TMPDIR/want
	for i in $(seq 60); do
		# Any byte but NUL, folded into ASCII: jq gives back exactly these.
		s=$(head -c 40 /dev/urandom | LC_ALL=C tr -d '\000' | LC_ALL=C tr '\200-\377' '\000-\177' |
			LC_ALL=C tr -d '\000')
		printf '%s' "$s" > "$want"
		"$B/rcptguard" -c "$CONF" recipients check --db "$DB" --json "x$s" > "$BATS_TEST_TMPDIR/j"
		if LC_ALL=C grep -qP '[^\x20-\x7e]' "$BATS_TEST_TMPDIR/j"; then
			cat -v "$BATS_TEST_TMPDIR/j"; return 1
		fi
		jq -j '.[0].address[1:]' "$BATS_TEST_TMPDIR/j" > "$out"
		cmp "$out" "$want"
	done
	# Past ASCII: still valid JSON, one \u00XX per byte.
	"$B/rcptguard" -c "$CONF" recipients check --db "$DB" --json "$(printf 'a\303\251\377')" > "$BATS_TEST_TMPDIR/j"
	run -0 jq -r '.[0].address | explode | map(tostring) | join(" ")' "$BATS_TEST_TMPDIR/j"
	assert_output "97 195 169 255"
}

@test "a ban note with every printable and control byte comes back from list --json as given" {
	local i s want=$BATS_TEST_TMPDIR/want
	start_daemon
	for i in $(seq 20); do
		s=$(head -c 60 /dev/urandom | LC_ALL=C tr '\200-\377' '\000-\177' | LC_ALL=C tr -d '\000')
		s=${s:0:63}
		printf '%s' "$s" > "$want"
		rg ban 10.8.0.$i --reason "$s" >/dev/null
		rg list --json | jq -j ".[] | select(.address == \"10.8.0.$i\") | .note" > "$BATS_TEST_TMPDIR/out"
		cmp "$BATS_TEST_TMPDIR/out" "$want"
	done
}

@test "status is a health check: 0 up and enforcing, 3 daemon down, 4 not enforcing; --quiet prints nothing" {
	run -3 rg status
	assert_line "health:    down: rcptguardd is not running"
	run -3 rg status --quiet
	assert_output ""
	start_daemon
	run -0 rg status --quiet
	assert_output ""
	run -0 rg status
	assert_line "health:    ok"
	# The link gone from the interface: bans kept, nothing dropped.
	bpftool link detach pinned "$PIN/links/$IF_S"
	run -4 rg status
	assert_line "health:    not enforcing: the XDP program is not attached to $IF_S"
	run -4 rg status --json
	[ "$(jq -c '[.enforcing, .problem]' <<< "$output")" = "[false,\"the XDP program is not attached to $IF_S\"]" ]
	run -4 rg status -q
	assert_output ""
	stop_daemon
	run -3 rg status --json
	[ "$(jq -c '[.daemon, .enforcing, .problem]' <<< "$output")" = '[null,false,"rcptguardd is not running"]' ]
}

@test "status health with the nft backend: the table's chain and rules must be there" {
	echo "backend = nft" >> "$CONF"
	start_daemon
	rg ban 10.77.1.2 >/dev/null
	rg ban 10.9.0.0/16 >/dev/null
	run -0 rg status --quiet
	in_s nft delete rule inet rcptguard ingress handle \
		"$(in_s nft -a list chain inet rcptguard ingress | sed -n 's/.*@ban4_16 .* goto answer.*# handle \([0-9]*\)$/\1/p')"
	run -4 rg status
	assert_line "health:    not enforcing: chain ingress has no drop rule for set ban4_16"
	# The ban rules go to the answer chain: without its rules they drop nothing.
	in_s nft flush chain inet rcptguard answer
	run -4 rg status
	assert_line "health:    not enforcing: chain answer has lost its rules"
	in_s nft flush chain inet rcptguard ingress
	run -4 rg status
	assert_line "health:    not enforcing: chain ingress has lost its rules"
	in_s nft delete chain inet rcptguard ingress
	run -4 rg status --json
	[ "$(jq -r .problem <<< "$output")" = "table inet rcptguard has no ingress or prerouting chain" ]
	in_s nft delete table inet rcptguard
	run -4 rg status --json
	[ "$(jq -r .problem <<< "$output")" = "no nft store to enforce the bans" ]
}

@test "status health with backend = none: the daemon up is all it takes" {
	echo "backend = none" >> "$CONF"
	start_daemon
	run -0 rg status --json
	[ "$(jq -c '[.daemon.backend, .enforcing, .problem]' <<< "$output")" = '["none",true,null]' ]
	stop_daemon
	run -3 rg status --quiet
}

@test "unban of an address inside a banned prefix names the prefix, daemon up or down" {
	start_daemon
	rg ban 198.51.100.0/24 >/dev/null
	run -1 rg unban 198.51.100.7
	assert_output "rcptguard: 198.51.100.7: no such ban; it is inside the ban of 198.51.100.0/24: unban 198.51.100.0/24, or allow add 198.51.100.7 to spare it alone"
	run -1 rg unban 203.0.113.1
	assert_output "rcptguard: 203.0.113.1: no such ban"
	stop_daemon
	run -1 rg unban 198.51.100.7
	assert_line "rcptguard: 198.51.100.7: no such ban; it is inside the ban of 198.51.100.0/24: unban 198.51.100.0/24, or allow add 198.51.100.7 to spare it alone"
	run -0 rg unban 198.51.100.0/24
}

@test "a ban note longer than 63 bytes is refused, by the CLI and on the control socket" {
	local long
	long=$(printf 'n%.0s' $(seq 64))
	start_daemon
	run -2 rg ban 10.77.1.2 --reason "$long"
	assert_output "rcptguard: --reason: '$long' is 64 bytes; at most 63 fit; see 'rcptguard --help'"
	run -0 rg ban 10.77.1.2 --reason "${long:1}"
	run -0 socat -t2 - UNIX-CONNECT:"$CSOCK" <<< "ban 10.77.1.3 1h $long"
	assert_output "$(printf 'error the%%20note%%20is%%2064%%20bytes;%%20at%%20most%%2063%%20fit\n.')"
	[ "$(rg list --json | jq -r '.[].address')" = "10.77.1.2" ]
}
