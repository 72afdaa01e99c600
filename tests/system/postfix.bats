#!/usr/bin/env bats
# A real Postfix (Debian's package) as a private instance (postfix.bash)
# with check_policy_service on rcptguardd's query socket; swaks from the
# client namespace.

load lib
load postfix

setup() {
	setup_net
	postfix_setup 2525
	start_daemon
	postfix_start
}

teardown() {
	postfix_stop
	teardown_net
}

@test "Postfix: a valid recipient is accepted" {
	run -0 swaks_to bob@example.com
	assert_output --partial "<-  250 2.1.5 Ok"
	run -0 swaks_to list-announce@example.com
}

@test "Postfix: an unknown recipient is rejected at RCPT with 550 from rcptguardd" {
	run swaks_to nobody@example.com
	assert_failure 24
	assert_output --partial "<** 550 5.1.1 <nobody@example.com>: Recipient address rejected: no such mailbox"
	grep -q 'event=verdict verdict=unknown client="10.77.1.2" recipient="nobody@example.com"' "$DLOG"
	! grep -E 'fatal|panic' "$PF/maillog"
}

@test "Postfix: rcptguardd down, the policy client tempfails and nothing is rejected 5xx" {
	stop_daemon
	run swaks_to bob@example.com
	assert_output --partial "<** 451 4.3.5 <bob@example.com>: Recipient address rejected: Server configuration problem"
	refute_output --partial "<** 5"
}

@test "Postfix: credit at END-OF-MESSAGE only; a DATA check alone earns nothing" {
	in_s postfix -c "$PF/etc" stop >/dev/null
	printf 'smtpd_data_restrictions = check_policy_service unix:%s\n' "$QSOCK" >> "$PF/etc/main.cf"
	postfix_start
	run -0 in_c swaks --server 10.77.1.1:$PFPORT --from sender@example.net --to bob@example.com \
		--helo client.example.net --timeout 10
	run swaks_to nobody@example.com
	run -0 rg show 10.77.1.2
	assert_output --partial "1 bad recipients, 0 bans, 0 valid"
	in_s postfix -c "$PF/etc" stop >/dev/null
	printf 'smtpd_end_of_data_restrictions = check_policy_service unix:%s\n' "$QSOCK" \
		>> "$PF/etc/main.cf"
	postfix_start
	run -0 in_c swaks --server 10.77.1.1:$PFPORT --from sender@example.net --to bob@example.com \
		--helo client.example.net --timeout 10
	assert_output --partial "<-  250 2.0.0 Ok: queued"
	run -0 rg show 10.77.1.2
	assert_output --partial "1 bad recipients, 0 bans, 1 valid"
}

@test "Postfix: bob+tag@, bob%example.com@ and an upper-case UTF-8 local part are accepted as Postfix delivers them, not counted" {
	# As Debian's main.cf: recipient_delimiter = +; SMTPUTF8 is on at
	# compatibility_level 3.6.
	in_s postfix -c "$PF/etc" stop >/dev/null
	printf 'recipient_delimiter = +\n' >> "$PF/etc/main.cf"
	printf 'bob@example.com\nstra\xc3\x9fe@example.com\nj\xc3\xb6rg@example.com\n' > "$PF/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$PF/recipients.txt" >/dev/null
	run -0 rg recipients reload
	postfix_start
	for rcpt in bob+tag@example.com bob%example.com@example.com STRASSE@example.com \
		"$(printf 'J\xc3\x96RG@example.com')" "$(printf 'STRA\xe1\xba\x9eE@example.com')"; do
		run -0 in_c swaks --server 10.77.1.1:$PFPORT --from sender@example.net --to "$rcpt" \
			--helo client.example.net --timeout 10
		assert_output --partial "<-  250 2.1.5 Ok"
		assert_output --partial "<-  250 2.0.0 Ok: queued"
	done
	# None was a verdict against the client; the same forms of a mailbox
	# that does not exist still are.
	refute grep -q 'event=verdict' "$DLOG"
	run -0 rg show 10.77.1.2
	refute_output --partial "bad recipients"
	# Bytes that are not UTF-8 never reach rcptguard: smtpd refuses them
	# (docs/postfix.md says so).
	run swaks_to "$(printf 'b\xc1\xafob@example.com')"
	assert_output --partial "<** 500 5.5.2 Error: bad UTF-8 syntax"
	refute grep -q 'event=verdict' "$DLOG"
	run swaks_to nobody+tag@example.com
	assert_output --partial "<** 550 5.1.1"
	run -0 rg show 10.77.1.2
	assert_output --partial "1 bad recipients"
	! grep -E 'fatal|panic' "$PF/maillog"
}

@test "Postfix: with smtpd_policy_service_default_action = DUNNO and rcptguardd down, each RCPT waits about a second and an unknown recipient is accepted" {
	in_s postfix -c "$PF/etc" stop >/dev/null
	printf 'smtpd_policy_service_default_action = DUNNO\n' >> "$PF/etc/main.cf"
	postfix_start
	stop_daemon
	start=$(date +%s%N)
	run -0 swaks_to nobody@example.com,other@example.com
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_output --partial "<-  250 2.1.5 Ok"
	refute_output --partial "<** "
	# docs/postfix.md: "each RCPT still waits about a second".
	[ "$elapsed_ms" -ge 1800 ] || { echo "two RCPTs took ${elapsed_ms} ms"; false; }
}

@test "Postfix: a bang path, a quoted local part with @, nine percent-hack hops and a KELVIN SIGN domain reach the mailbox Postfix delivers to: valid accepted and not counted, unknown refused and counted" {
	in_s postfix -c "$PF/etc" stop >/dev/null
	sed -i 's/^mydestination = .*/mydestination = example.com, kiosk.example/' "$PF/etc/main.cf"
	printf 'bob@example.com\nbob@kiosk.example\n' > "$PF/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$PF/recipients.txt" >/dev/null
	run -0 rg recipients reload
	postfix_start
	hops=$(printf '%%example.com%.0s' 1 2 3 4 5 6 7 8 9)
	kelvin=$(printf '\xe2\x84\xaaiosk.example')
	for u in bob nobody; do
		rcpts+=("example.com!$u@example.com" "\"$u@example.com\"@example.com" \
			"$u$hops@example.com" "$u@$kelvin")
	done
	# Each valid form: Postfix's own reply, no verdict against the client.
	for rcpt in "${rcpts[@]:0:4}"; do
		run -0 in_c swaks --server 10.77.1.1:$PFPORT --from sender@example.net --to "$rcpt" \
			--helo client.example.net --timeout 10
		assert_output --partial "<-  250 2.1.5 Ok"
		assert_output --partial "<-  250 2.0.0 Ok: queued"
	done
	refute grep -q 'event=verdict' "$DLOG"
	run -0 rg show 10.77.1.2
	refute_output --partial "bad recipients"
	# The same forms of a mailbox that does not exist: judged, refused, counted.
	for rcpt in "${rcpts[@]:4:4}"; do
		run swaks_to "$rcpt"
		assert_output --partial "<** 550 5.1.1"
	done
	[ "$(grep -c 'event=verdict verdict=unknown client="10.77.1.2"' "$DLOG")" -eq 4 ]
	run -0 rg show 10.77.1.2
	assert_output --partial "4 bad recipients"
	! grep -E 'fatal|panic' "$PF/maillog"
}

@test "Postfix: 300 random routes (percent hack, bang paths, quoted local parts; folded, dotted, empty and literal domains) get the verdict of the mailbox Postfix's own local_recipient_maps finds, never none" {
	in_s postfix -c "$PF/etc" stop >/dev/null
	# Postfix judges alone here (no policy check), from its own table.
	sed -i -e 's/^mydestination = .*/mydestination = example.com, kiosk.example/' \
		-e "s|^local_recipient_maps = .*|local_recipient_maps = hash:$PF/users|" \
		-e 's/^smtpd_recipient_restrictions = .*/smtpd_recipient_restrictions = reject_unauth_destination/' \
		"$PF/etc/main.cf"
	printf 'smtpd_hard_error_limit = 10000\nsmtpd_soft_error_limit = 10000\nsmtpd_error_sleep_time = 0\n' \
		>> "$PF/etc/main.cf"
	printf 'bob x\n' > "$PF/users"
	in_s postmap -c "$PF/etc" "$PF/users"
	printf 'bob@example.com\nbob@kiosk.example\nbob@[10.77.1.1]\n' > "$PF/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$PF/recipients.txt" >/dev/null
	postfix_start
	# bob or nobody, routed through 1-5 hops of %, ! or @ to our domains
	# (KELVIN SIGN, upper case, trailing dots, our literal), another one or
	# none; quoted where SMTP needs it.
	seed=$RANDOM
	python3 - "$seed" > "$PF/addrs" <<-'PY'
	import random, sys
	random.seed(int(sys.argv[1]))
	atoms = ['bob', 'nobody', 'example.com', 'kiosk.example', '\u212aiosk.example', 'example.com.',
	         '[10.77.1.1]', 'elsewhere.test', '', 'EXAMPLE.com']
	out = set()
	while len(out) < 300:
	    parts = [random.choice(['bob', 'nobody'])]
	    for _ in range(random.randint(1, 5)):
	        op, a = random.choice('%!@'), random.choice(atoms)
	        parts.insert(0, a + '!') if op == '!' else parts.append(op + a)
	    local = ''.join(parts)
	    dom = random.choice(['example.com', 'kiosk.example', '\u212aiosk.example', '[10.77.1.1]'])
	    quote = any(c in local for c in '@[]') or local[0] == '.' or local[-1] == '.' or '..' in local
	    out.add(('"%s"@%s' if quote else '%s@%s') % (local, dom))
	print('\n'.join(sorted(out)))
	PY
	mapfile -t addrs < "$PF/addrs"
	run in_c swaks --server 10.77.1.1:$PFPORT --from sender@example.net --to "$(IFS=,; echo "${addrs[*]}")" \
		--helo client.example.net --quit-after RCPT --timeout 30
	# Postfix's reply to each RCPT, in order.
	mapfile -t replies < <(printf '%s\n' "$output" |
		awk '/^ -> RCPT TO:/ { r = 1; next } r && /^(<-|<\*\*) / { print; r = 0 }')
	[ "${#replies[@]}" -eq 300 ] || { printf '%s\n' "$output" | tail -20; false; }
	bad=0
	for i in "${!addrs[@]}"; do
		# Postfix's internal form: the quotes gone.
		v=$("$B/rcptguard" -c "$CONF" recipients check --db "$DB" "${addrs[i]//\"/}" | awk 'END { print $2 }')
		case "${replies[i]}" in
		*"250 2.1.5"*) want="valid" ;;
		*"User unknown in local recipient table"*) want="unknown" ;;
		*) continue ;;  # relay denied, bad syntax: Postfix refused it before any policy check
		esac
		if [ "$v" != "$want" ]; then
			echo "${addrs[i]}: Postfix ${replies[i]}, rcptguard $v"
			bad=$((bad + 1))
		fi
	done
	echo "# seed $seed"
	[ "$bad" -eq 0 ]
}
