# postfix.bash - a private Postfix instance for system tests (Debian's
# package): its own config directory and queue under a temp dir, listening
# on the server namespace's veth, with check_policy_service on rcptguardd's
# query socket. Nothing of a system install is read or changed.

# postfix_setup PORT: write rcptguardd's and Postfix's config; recipients
# bob@ and list-*@example.com.
postfix_setup() {
	local port=$1
	# Postfix runs as user postfix: the base must be traversable, and the
	# query socket writable by it.
	PF=$(mktemp -d /tmp/rgt-postfix.XXXXXX)
	PFPORT=$port
	chmod 755 "$PF"
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
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
	cat > "$PF/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PF/queue
	data_directory = $PF/data
	maillog_file = $PF/maillog
	maillog_file_prefixes = $PF
	inet_interfaces = 10.77.1.1
	inet_protocols = ipv4
	myhostname = mx.example.com
	mydestination = example.com
	mynetworks = 127.0.0.0/8
	local_recipient_maps =
	alias_maps =
	alias_database =
	local_transport = discard:
	relay_transport = discard:
	default_transport = discard:
	smtpd_relay_restrictions =
	smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service unix:$QSOCK
	EOF
	cat > "$PF/etc/master.cf" <<-EOF
	10.77.1.1:$port inet n - n - - smtpd
	postlog   unix-dgram n - n - 1 postlogd
	cleanup   unix n - n - 0 cleanup
	qmgr      unix n - n 300 1 qmgr
	rewrite   unix - - n - - trivial-rewrite
	bounce    unix - - n - 0 bounce
	defer     unix - - n - 0 bounce
	trace     unix - - n - 0 bounce
	verify    unix - - n - 1 verify
	flush     unix n - n 1000? 0 flush
	proxymap  unix - - n - - proxymap
	anvil     unix - - n - 1 anvil
	scache    unix - - n - 1 scache
	discard   unix - - n - - discard
	EOF
}

# Start Postfix (after rcptguardd's config is complete) and wait for it.
postfix_start() {
	touch -d '-10 seconds' "$PF/etc/main.cf" "$PF/etc/master.cf"
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
