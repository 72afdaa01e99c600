#!/usr/bin/env bats
# The docs work when copied: every rcptguard.conf snippet (```conf) in
# docs/*.md passes rcptguardd -t in a sandbox that first makes what the
# snippet names, and every command snippet (```sh) parses with bash -n.
# tests/lib/doc_snippets.awk extracts them and refuses unmarked blocks.

load lib

setup() {
	SNIP=$BATS_TEST_TMPDIR/snippets
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$SNIP" "$ROOT/etc"
	# Users and groups a snippet names go into private copies, mounted
	# over the real files for rcptguardd only: the host gets none.
	cp /etc/passwd /etc/group "$ROOT/etc/"
	printf 'postmaster@example.com\n' > "$BATS_TEST_TMPDIR/recipients.txt"
}

extract() {
	awk -v out="$SNIP" -f "$TOP/tests/lib/doc_snippets.awk" "$@"
}

add_user() {
	grep -q "^$1:" "$ROOT/etc/passwd" ||
		echo "$1:x:$((60000 + $(wc -l < "$ROOT/etc/passwd"))):65534::/nonexistent:/usr/sbin/nologin" \
			>> "$ROOT/etc/passwd"
}

add_group() {
	grep -q "^$1:" "$ROOT/etc/group" ||
		echo "$1:x:$((60000 + $(wc -l < "$ROOT/etc/group"))):" >> "$ROOT/etc/group"
}

# check_conf SNIPPET: rcptguardd -t on the snippet with its absolute paths
# moved under $ROOT, after making there what each names (the recipients
# CDB, the files read at start, the parent directories of the rest) and
# adding the users and groups it names. Prints what rcptguardd said, or
# why the snippet cannot be right.
check_conf() {
	local conf=$ROOT/${1##*/} line key val w
	sed -E "s#^([a-z0-9_]+[[:space:]]*=[[:space:]]*)/#\1$ROOT/#" "$1" > "$conf"
	while IFS= read -r line; do
		# rcptguard.conf's comments: a '#' at the start or after a blank.
		line=$(sed -E 's/(^|[[:space:]])#.*//' <<< "$line")
		[[ $line == *=* ]] || continue
		read -r key <<< "${line%%=*}"
		read -r val <<< "${line#*=}"
		case $val in /*)
			# A blank or a '#' in a path is a comment gone wrong.
			[[ $val =~ ^[A-Za-z0-9._/@+-]+$ ]] || { echo "odd path '$val'"; return 1; }
			mkdir -p "$(dirname "$ROOT$val")"
			case $key in
			recipients) "$B/rcptguard" recipients compile -o "$ROOT$val" \
					"$BATS_TEST_TMPDIR/recipients.txt" >/dev/null || return 1 ;;
			follow | allow_file | spamtrap_file) touch "$ROOT$val" ;;
			esac
		esac
		case $key in
		user | query_socket_owner | query_listen_users) for w in $val; do add_user "$w"; done ;;
		query_socket_group | control_socket_group) add_group "$val" ;;
		esac
	done < "$1"
	unshare -m sh -c 'mount --bind "$1/etc/passwd" /etc/passwd &&
		mount --bind "$1/etc/group" /etc/group && exec "$2" -t -c "$3"' - \
		"$ROOT" "$B/rcptguardd" "$conf" 2>&1
}

# check_all: every extracted snippet; names each one that fails, and why.
check_all() {
	local f out bad=0
	for f in "$SNIP"/*.conf; do
		out=$(check_conf "$f")
		if [ "$out" != "rcptguardd: $ROOT/${f##*/}: config ok" ]; then
			printf '%s: %s\n' "${f##*/}" "$out"
			bad=1
		fi
	done
	for f in "$SNIP"/*.sh; do
		out=$(bash -n "$f" 2>&1) || { printf '%s: %s\n' "${f##*/}" "$out"; bad=1; }
	done
	return $bad
}

@test "every code block in docs/*.md is fenced and marked conf, sh or text" {
	run -0 extract "$TOP"/docs/*.md
	assert_output ""
	# The quick starts' snippets are among those checked below.
	[ -s "$SNIP/qmail.md_$(grep -n '^```conf' "$TOP/docs/qmail.md" | head -1 | cut -d: -f1).conf" ]
	ls "$SNIP"/postfix.md_*.conf "$SNIP"/service.md_*.sh >/dev/null
}

@test "every rcptguard.conf and command snippet in docs/*.md works when copied" {
	extract "$TOP"/docs/*.md
	run check_all
	assert_success
	assert_output ""
}

@test "the doc test refuses a broken snippet and an unmarked block, and makes what a snippet names" {
	doc=$BATS_TEST_TMPDIR/doc.md
	# What exists nowhere on this host is made in the sandbox.
	cat > "$doc" <<-'EOF'
	```conf
	recipients = /nonexistent/rgt/recipients.cdb   # a comment
	follow = /nonexistent/rgt/log/current
	query_socket_group = rgt-no-such-group
	user = rgt-no-such-user
	```

	```sh
	echo "$(date)" | grep -c . # a comment
	```
	EOF
	extract "$doc"
	run -0 check_all
	! getent group rgt-no-such-group
	! getent passwd rgt-no-such-user
	for broken in 'ban_threshold = five' 'no_such_key = 1' 'query_socket_group' \
		'recipients = /var/lib/r.cdb# a comment' 'follow = /var/log/my log'; do
		rm -f "$SNIP"/*
		printf '```conf\n%s\n```\n' "$broken" > "$doc"
		extract "$doc"
		run -1 check_all
		assert_output --partial 'doc.md_1.conf: '
	done
	rm -f "$SNIP"/*
	printf '```sh\nif true; echo\n```\n' > "$doc"
	extract "$doc"
	run -1 check_all
	assert_output --partial 'doc.md_1.sh: '
	for unmarked in '```\nx = 1\n```' '```ini\nx = 1\n```' 'text\n\n    x = 1' '1. item\n\n       x = 1' '```conf\nx = 1'; do
		printf "$unmarked\n" > "$doc"
		run -1 extract "$doc"
		assert_output --regexp "doc.md:[0-9]+: "
	done
}
