# postfix.sh - the config of a private Postfix instance (Debian's package)
# for the system tests and the benchmarks: config directory, queue and log
# under one directory, listening on one address. Nothing of a system
# install is read or changed. Sourced by bash (tests) and sh (benchmarks).

# postfix_conf DIR ADDR PORT DELIVERY RESTRICTIONS [LOCAL_RECIPIENT_MAPS]
# DELIVERY is "discard" (every message thrown away) or "local" (real local
# delivery, so unknown users bounce to the sender; the sender's domain
# does not resolve here, so bounces wait in the queue). An empty
# LOCAL_RECIPIENT_MAPS accepts every local part, as stock setups do.
postfix_conf() {
	mkdir -p "$1/etc" "$1/queue" "$1/data"
	chown postfix "$1/data"
	if [ "$4" = discard ]; then
		delivery="local_transport = discard:
relay_transport = discard:
default_transport = discard:"
	else
		delivery="smtp_dns_support_level = disabled"
	fi
	cat > "$1/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $1/queue
	data_directory = $1/data
	maillog_file = $1/maillog
	maillog_file_prefixes = $1
	inet_interfaces = $2
	inet_protocols = ipv4
	myhostname = mx.example.com
	mydestination = example.com
	mynetworks = 127.0.0.0/8
	local_recipient_maps = ${6:-}
	alias_maps =
	alias_database =
	$delivery
	smtpd_relay_restrictions =
	smtpd_recipient_restrictions = $5
	EOF
	cat > "$1/etc/master.cf" <<-EOF
	$2:$3 inet n - n - - smtpd
	postlog   unix-dgram n - n - 1 postlogd
	pickup    unix n - n 60 1 pickup
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
	local     unix - n n - - local
	smtp      unix - - n - - smtp
	error     unix - - n - - error
	retry     unix - - n - - error
	EOF
	# Postfix waits until main.cf is about 2 s old: make it older.
	touch -d '-10 seconds' "$1/etc/main.cf" "$1/etc/master.cf"
}
