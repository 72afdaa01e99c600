# postfix.bash - a private Postfix instance for system tests (Debian's
# package, configured by tests/lib/postfix.sh): listening on the server
# namespace's veth, with check_policy_service on rcptguardd's query
# socket, delivering nothing.

. "$TOP/tests/lib/postfix.sh"

# postfix_setup PORT: write rcptguardd's and Postfix's config; recipients
# bob@ and list-*@example.com.
postfix_setup() {
	local port=$1
	# Postfix runs as user postfix: the base must be traversable, and the
	# query socket writable by it.
	PF=$(mktemp -d /tmp/rgt-postfix.XXXXXX)
	PFPORT=$port
	chmod 755 "$PF"
	QSOCK=$PF/query.sock
	DB=$PF/recipients.cdb
	printf 'bob@example.com\nlist-default@example.com\n' > "$PF/recipients.txt"
	"$B/rcptguard" recipients compile -o "$DB" "$PF/recipients.txt" >/dev/null
	cat > "$CONF" <<-EOF
	interface = $IF_S
	bpf_pin_dir = $PIN
	query_socket = $QSOCK
	query_socket_mode = 0666
	control_socket = $CSOCK
	state_dir = $STATE
	recipients = $DB
	user = root
	EOF
	postfix_conf "$PF" 10.77.1.1 "$port" discard \
		"reject_unauth_destination, check_policy_service unix:$QSOCK"
}

# Start Postfix (after rcptguardd's config is complete) and wait for it.
postfix_start() {
	# Tests may have added to main.cf since postfix_conf aged it.
	touch -d '-10 seconds' "$PF/etc/main.cf"
	in_s postfix -c "$PF/etc" start || { cat "$PF/maillog"; return 1; }
	wait_listening $PFPORT
}

postfix_stop() {
	[ -n "${PF:-}" ] || return 0
	in_s postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	rm -rf "$PF"
}

# swaks_to RCPT[,RCPT...]: one session from the client namespace.
swaks_to() {
	in_c swaks --server 10.77.1.1:$PFPORT --from sender@example.net --to "$1" \
		--helo client.example.net --quit-after RCPT --timeout 10
}
