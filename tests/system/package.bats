#!/usr/bin/env bats
# Shipping rcptguard: make deb (contents, maintainer scripts, lintian, an
# install into a throwaway root), make install / uninstall, and the bash
# completion they install.

load lib

VERSION=$(sed -n 's/^VERSION *:= *//p' "$BATS_TEST_DIRNAME/../../Makefile")

setup_file() {
	# One build for the file: it compiles everything again in a staged
	# copy, and lintian fails it on any tag not overridden with a reason.
	make -C "$BATS_TEST_DIRNAME/../.." deb >"$BATS_FILE_TMPDIR/deb.log" 2>&1 ||
		{ tail -30 "$BATS_FILE_TMPDIR/deb.log" >&3; return 1; }
}

teardown() {
	[ -n "${NS_S:-}" ] && teardown_net
	true
}

deb() {
	echo "$TOP/build/deb/rcptguard_${VERSION}_$(dpkg --print-architecture).deb"
}

@test "make deb: the package has the Makefile's VERSION, lintian has nothing to say, every tag overridden has its reason" {
	run -0 dpkg-deb -f "$(deb)" Package Version Architecture
	assert_line "Package: rcptguard"
	assert_line "Version: $VERSION"
	run -0 lintian --info --fail-on error,warning,info "$(deb)"
	refute_output --regexp '^[EWI]: '
	# Each override follows a comment saying why.
	run -0 awk '/^[^#]/ && prev !~ /^#/ { print } { prev = $0 }' \
		"$TOP/debian/rcptguard.lintian-overrides"
	assert_output ""
}

@test "debian/control builds with what make run installs: each -dev package of RUN_DEBS is in Build-Depends" {
	local p missing=
	for p in $(make -s -C "$TOP" --eval 'print-run-debs: ; @echo $(RUN_DEBS)' print-run-debs); do
		case $p in
		libc6-dev) ;;   # build-essential: never listed
		*-dev) grep -Eq "^ *$p,?$" "$TOP/debian/control" || missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] || { echo "not in Build-Depends:$missing"; false; }
}

@test "the package holds the programs in /usr/sbin, man pages, the conffile, the unit, the daemontools service, docs and completion" {
	run -0 dpkg-deb -c "$(deb)"
	for f in usr/sbin/rcptguardd usr/sbin/rcptguard usr/sbin/rcptguard-spp \
		usr/share/man/man8/rcptguardd.8.gz usr/share/man/man8/rcptguard.8.gz \
		usr/share/man/man8/rcptguard-spp.8.gz usr/share/man/man5/rcptguard.conf.5.gz \
		etc/rcptguard/rcptguard.conf lib/systemd/system/rcptguard.service \
		usr/share/rcptguard/daemontools/run usr/share/rcptguard/daemontools/log/run \
		usr/share/doc/rcptguard/copyright usr/share/doc/rcptguard/README.md \
		usr/share/doc/rcptguard/service.md usr/share/bash-completion/completions/rcptguard; do
		# dh_compress gzips docs above 4 KB.
		assert_line --regexp " \./$f(\.gz)?\$"
	done
	# Everything conf/daemontools holds, executable.
	for f in $(cd "$TOP/conf/daemontools" && find . -type f); do
		assert_line --regexp "^-rwxr-xr-x .* \./usr/share/rcptguard/daemontools/${f#./}\$"
	done
	refute_line --regexp ' \./usr/local/'
	mkdir "$BATS_TEST_TMPDIR/x"
	dpkg-deb -x "$(deb)" "$BATS_TEST_TMPDIR/x"
	cd "$BATS_TEST_TMPDIR/x"
	grep -q '^ExecStart=/usr/sbin/rcptguardd -f -c /etc/rcptguard/rcptguard.conf$' \
		lib/systemd/system/rcptguard.service
	grep -q '^Type=notify$' lib/systemd/system/rcptguard.service
	grep -q '^exec /usr/sbin/rcptguardd -f' usr/share/rcptguard/daemontools/run
	cmp etc/rcptguard/rcptguard.conf "$TOP/conf/rcptguard.conf"
	# The programs run, and the config shipped passes the daemon's check.
	run -0 usr/sbin/rcptguardd -t -c etc/rcptguard/rcptguard.conf
	run -0 usr/sbin/rcptguard --help
}

@test "maintainer scripts: the conffile, a system user, nothing enabled or started by hand" {
	mkdir "$BATS_TEST_TMPDIR/ctl"
	dpkg-deb -e "$(deb)" "$BATS_TEST_TMPDIR/ctl"
	cd "$BATS_TEST_TMPDIR/ctl"
	run -0 cat conffiles
	assert_output "/etc/rcptguard/rcptguard.conf"
	grep -q 'useradd --prefix "${DPKG_ROOT:-/}" --system' postinst
	# Starting goes only through deb-systemd-invoke, which starts no unit
	# that is disabled and not running; enabling only what was enabled.
	run -1 grep -E 'systemctl .*(start|enable)' postinst
	run -0 grep -c 'deb-systemd-helper enable' postinst
	assert_output 1
	grep -B2 'deb-systemd-helper enable' postinst | grep -q 'was-enabled'
	grep -q 'deb-systemd-invoke stop' prerm
	# Our own lines name paths only under DPKG_ROOT (dpkg --root runs
	# them outside the root): purge must never touch the host's state.
	run -0 grep -n '/var/lib/rcptguard\|/etc/' postrm
	refute_line --regexp '^[0-9]+:[^#]*rm .*[^}]/var/lib/rcptguard'
	assert_line --partial 'rm -rf "${DPKG_ROOT:-}/var/lib/rcptguard"'
	for s in postinst postrm prerm; do sh -n "$s"; done
}

# A root with dpkg's database and the account files, nothing else.
make_root() {
	R=$BATS_TEST_TMPDIR/root
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
	: > "$R/var/lib/dpkg/status"
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
	printf 'root:x:0:\n' > "$R/etc/group"
	: > "$R/etc/shadow"; : > "$R/etc/gshadow"
}

rootdpkg() {
	# Scripts run here with DPKG_ROOT set; the libraries are the host's.
	dpkg --root="$R" --force-script-chrootless --force-depends "$@"
}

@test "dpkg -i into a throwaway root: the user is made there (again: no error; a lone group: joined), nothing enabled; purge removes files, conffile and state there only" {
	make_root
	before=$(sha256sum /etc/passwd /etc/group)
	run -0 rootdpkg -i "$(deb)"
	[ "$(sha256sum /etc/passwd /etc/group)" = "$before" ]
	run -0 grep '^rcptguard:' "$R/etc/passwd"
	assert_output --regexp '^rcptguard:x:[0-9]+:[0-9]+:rcptguard daemon:/var/lib/rcptguard:/usr/sbin/nologin$'
	grep -q '^rcptguard:' "$R/etc/group"
	# The daemontools service's multilog user, which its log/run needs.
	run -0 grep '^rcptguardlog:' "$R/etc/passwd"
	assert_output --regexp '^rcptguardlog:x:[0-9]+:[0-9]+:rcptguard daemontools log:/var/log/rcptguard:/usr/sbin/nologin$'
	[ -x "$R/usr/sbin/rcptguardd" ]
	[ -z "$(find "$R/etc" -path '*wants*' -name 'rcptguard*')" ]
	run -0 dpkg --root="$R" -s rcptguard
	assert_line "Status: install ok installed"
	# Again: the user is there already, a reinstall is no error.
	run -0 rootdpkg -i "$(deb)"
	run -0 grep -c '^rcptguard:' "$R/etc/passwd"
	assert_output 1
	# A group of that name alone: the user is made in it.
	rootdpkg --purge rcptguard >/dev/null
	sed -i '/^rcptguard:/d' "$R/etc/passwd"
	gid=$(sed -n 's/^rcptguard:x:\([0-9]*\):.*/\1/p' "$R/etc/group")
	run -0 rootdpkg -i "$(deb)"
	run -0 grep "^rcptguard:x:[0-9]*:$gid:" "$R/etc/passwd"
	# Purge: files, conffile, state go; the host's state is not touched.
	mkdir -p "$R/var/lib/rcptguard" && touch "$R/var/lib/rcptguard/state"
	run -0 rootdpkg --purge rcptguard
	[ ! -e "$R/usr/sbin/rcptguardd" ]
	[ ! -e "$R/etc/rcptguard/rcptguard.conf" ]
	[ ! -e "$R/var/lib/rcptguard" ]
}

@test "make install PREFIX=/usr/local puts the unit in /etc/systemd/system, PREFIX=/usr in /lib; uninstall removes all it installed and says the bans stay" {
	D=$BATS_TEST_TMPDIR/dest
	run -0 make -s -C "$TOP" install DESTDIR="$D"
	[ -f "$D/etc/systemd/system/rcptguard.service" ]
	grep -q '^ExecStart=/usr/local/sbin/rcptguardd ' "$D/etc/systemd/system/rcptguard.service"
	[ -f "$D/usr/local/share/bash-completion/completions/rcptguard" ]
	[ -x "$D/usr/local/share/rcptguard/daemontools/run" ]
	[ ! -e "$D/lib" ]
	run -0 make -s -C "$TOP" uninstall DESTDIR="$D"
	assert_output --partial "bans already in the kernel stay there"
	assert_output --partial "rcptguard detach"
	run -0 find "$D" -type f
	assert_output ""
	run -0 find "$D/etc" -name rcptguard
	assert_output ""

	rm -rf "$D"
	run -0 make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr
	[ -f "$D/lib/systemd/system/rcptguard.service" ]
	[ -f "$D/usr/share/bash-completion/completions/rcptguard" ]
	# A config the admin changed stays, and uninstall says so.
	echo "ban_threshold = 3" >> "$D/etc/rcptguard/rcptguard.conf"
	run -0 make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr
	assert_output --partial "kept $D/etc/rcptguard/rcptguard.conf (changed since install)"
	run -0 find "$D" -type f
	assert_output "$D/etc/rcptguard/rcptguard.conf"
}

# complete_words LINE WORD...: what bash offers for the last WORD, with
# COMP_WORDS split as readline splits LINE (at '=' and ':' too).
complete_words() {
	bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		complete -p rcptguard
		COMP_LINE=$2 COMP_POINT=${#2}
		shift 2
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		_rcptguard
		printf "%s\n" "${COMPREPLY[@]}"' sh \
		"$TOP/conf/bash-completion/rcptguard" "$@"
}

@test "bash completion: commands, second words and options from --help, --sort values, banned addresses from list" {
	PATH=$B:$PATH
	run -0 complete_words "rcptguard " rcptguard ""
	assert_line "complete -F _rcptguard rcptguard"
	# Every command of the usage, nothing else.
	want=$(rcptguard --help | awk '/^  [a-z]/ { print $1 }' | sort -u)
	[ "$(printf '%s\n' "${lines[@]:1}" | sort)" = "$want" ]
	run -0 complete_words "rcptguard st" rcptguard st
	assert_equal "${lines[*]:1}" "stats status"
	run -0 complete_words "rcptguard allow " rcptguard allow ""
	assert_equal "${lines[*]:1}" "add del list"
	run -0 complete_words "rcptguard recipients check --" rcptguard recipients check --
	assert_equal "${lines[*]:1}" "--db --json"
	run -0 complete_words "rcptguard stats --" rcptguard stats --
	assert_equal "${lines[*]:1}" "--json --prometheus"
	run -0 complete_words "rcptguard list --sort=e" rcptguard list --sort = e
	assert_equal "${lines[*]:1}" "expires"
	run -0 complete_words "rcptguard --c" rcptguard --c
	assert_equal "${lines[*]:1}" "--control-socket --config"
	# Addresses: the daemon's bans, through -c as typed.
	setup_net
	start_daemon
	rg ban 192.0.2.77 198.51.100.0/24 2001:db8::7 --for 1h >/dev/null
	run -0 in_s bash -c "$(declare -f complete_words); TOP=$TOP; PATH=$PATH; complete_words \
		'rcptguard -c $CONF unban ' rcptguard -c $CONF unban ''"
	assert_equal "$(printf '%s\n' "${lines[@]:1}" | sort | tr '\n' ' ')" \
		"192.0.2.77 198.51.100.0/24 2001:db8::7 "
	# An IPv6 address typed up to a colon: the rest after it.
	run -0 in_s bash -c "$(declare -f complete_words); TOP=$TOP; PATH=$PATH; complete_words \
		'rcptguard -c $CONF show 2001:db8:' rcptguard -c $CONF show 2001 : db8 :"
	assert_equal "${lines[*]:1}" ":7"
}
