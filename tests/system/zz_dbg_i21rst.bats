load /work/wt/i21rst/tests/system/lib
BACKEND=${RG_BACKEND:-xdp}
setup() {
	setup_net
	printf 'backend = %s\nban_action = rst\n' "$BACKEND" >> "$CONF"
	in_c ethtool -K $IF_C tx off >/dev/null
	in_c ethtool -K $IF_C gro on >/dev/null
}
teardown() { teardown_net; }
@test "dbg" {
	start_daemon
	rg ban 10.77.1.2
	in_c ethtool -k $IF_C | grep -E "generic-receive|tx-checksumming" >&3
	in_c timeout 4 tcpdump -ni $IF_C -c 6 -vv tcp port 25 >&3 2>&1 &
	sleep 1
	in_c timeout 3 socat - TCP:10.77.1.1:25,connect-timeout=2 >&3 2>&1 || true
	sleep 1
	rg stats >&3
	rg list >&3
	cat $DLOG | tail -5 >&3
	wait
}
