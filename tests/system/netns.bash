# netns.bash - commands in the test namespaces, for bats (lib.bash) and
# plain scripts (the demo). Namespaces are entered with nsenter --net:
# the other way remounts /sys and hides bpffs.

# Run a command inside the server (NS_S) or client (NS_C) namespace.
in_s() { nsenter --net=/run/netns/$NS_S "$@"; }
in_c() { nsenter --net=/run/netns/$NS_C "$@"; }
# The CLI where the daemon runs: an nft table lives in that namespace.
rg() {
	if [ -n "${NS_S:-}" ] && [ -e /run/netns/$NS_S ]; then
		in_s "$B/rcptguard" -c "$CONF" "$@"
	else
		"$B/rcptguard" -c "$CONF" "$@"
	fi
}

# Wait until something listens on TCP port $1 in the server namespace.
wait_listening() {
	local i
	for i in $(seq 100); do
		in_s ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
