#!/usr/bin/env bats
# ban_action = rst over real namespaces: a banned client's connect() to a
# protected port is refused at once (a RST, not a timeout), on IPv4 and
# IPv6, while port 80 still answers; the RSTs are counted. run-all.sh runs
# this file once per backend (RG_BACKEND=xdp, RG_BACKEND=nft).

load lib

BACKEND=${RG_BACKEND:-xdp}

setup() {
	setup_net
	printf 'backend = %s\nban_action = rst\n' "$BACKEND" >> "$CONF"
	# The local stack leaves veth checksums partial: real ones, so the
	# checksum check has something to check.
	in_c ethtool -K $IF_C tx off >/dev/null
	# XDP_TX into a veth needs an XDP program on the peer (GRO on was not
	# enough on this kernel), or the RST vanishes: ours, with no port
	# protected, passes everything.
	bpftool prog load "$B/rcptguard.bpf.o" $PIN-peer type xdp
	in_c bpftool net attach xdpdrv pinned $PIN-peer dev $IF_C
	rm -f $PIN-peer
}
teardown() { teardown_net; }

# connect_ms ADDR PORT...: for one connect() from the client to each
# port in turn, from one process (back to back), a line "refused MS",
# "ok MS" or "timeout MS", MS the milliseconds it took.
connect_ms() {
	in_c python3 -c '
import socket, sys, time
host = sys.argv[1]
for port in sys.argv[2:]:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(3)
    t = time.monotonic()
    try:
        s.connect((host, int(port))); r = "ok"
    except ConnectionRefusedError:
        r = "refused"
    except socket.timeout:
        r = "timeout"
    s.close()
    print(r, int((time.monotonic() - t) * 1000))' "$@"
}

@test "$BACKEND rst: a banned IPv4 client is refused at once; port 80 works" {
	start_daemon
	rg ban 10.77.1.2
	run -0 connect_ms 10.77.1.1 25
	assert_output --regexp '^refused [0-9]+$'
	[ "${output#refused }" -lt 500 ]
	run -0 mail_from_client 10.77.1.1 80
	assert_output "200 web"
	run -0 rg stats --prometheus
	assert_line --regexp '^rcptguard_rst_sent_total [1-9][0-9]*$'
}

@test "$BACKEND rst: a banned IPv6 client is refused at once; port 80 works" {
	start_daemon
	rg ban fd77:1::2
	run -0 connect_ms fd77:1::1 25
	assert_output --regexp '^refused [0-9]+$'
	[ "${output#refused }" -lt 500 ]
	run -0 mail_from_client fd77:1::1 80
	assert_output "200 web"
}

@test "$BACKEND rst: one RST per ban per second: a second SYN at once waits for its retransmit" {
	start_daemon
	rg ban 10.77.1.2
	# The second SYN, right after the first RST, is dropped (capped); the
	# client's retransmit a second later gets the RST.
	run -0 connect_ms 10.77.1.1 25 465
	[ "${#lines[@]}" = 2 ]
	[[ ${lines[0]} =~ ^refused\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -lt 500 ]
	[[ ${lines[1]} =~ ^refused\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 700 ]
	run -0 rg stats --prometheus
	assert_line --regexp '^rcptguard_rst_suppressed_total [1-9][0-9]*$'
}

@test "$BACKEND rst: an unbanned client connects; with ban_action = drop a banned one times out" {
	start_daemon
	run -0 connect_ms 10.77.1.1 25
	assert_output --regexp '^ok '
	sed -i 's/^ban_action = rst/ban_action = drop/' "$CONF"
	kill -HUP $DPID
	for i in $(seq 50); do grep -q 'event=reload' "$DLOG" && break; sleep 0.1; done
	rg ban 10.77.1.2
	run -0 connect_ms 10.77.1.1 25
	assert_output --regexp '^timeout '
}

@test "$BACKEND rst: a backend that cannot answer (none) says so once and only logs" {
	sed -i "s/^backend = $BACKEND/backend = none/" "$CONF"
	start_daemon
	run -0 grep -c 'event=ban_action_unsupported backend=none ban_action=rst using=drop' "$DLOG"
	assert_output 1
	rg ban 10.77.1.2
	run -0 connect_ms 10.77.1.1 25
	assert_output --regexp '^ok '
}

# raw_syn MF: send one SYN from 10.77.1.2 to 10.77.1.1:25 by hand (MF 1:
# as a first fragment) and print "rst" when a RST comes back within
# half a second, else "none".
raw_syn() {
	in_c python3 -c '
import socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = socket.inet_aton("10.77.1.2"), socket.inet_aton("10.77.1.1")
tcp = struct.pack("!HHIIBBHHH", 40001, 25, 1000, 0, 5 << 4, 2, 65535, 0, 0)
tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, 20) + tcp)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 7, 0x2000 if sys.argv[1] == "1" else 0, 64, 6, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + tcp, ("10.77.1.1", 0))
r.settimeout(0.1)
end = time.monotonic() + 0.5
got = "none"
while time.monotonic() < end:
    try:
        d = r.recv(100)
    except socket.timeout:
        continue
    h = (d[0] & 15) * 4
    sp, dp = struct.unpack("!HH", d[h:h + 4])
    if sp == 25 and dp == 40001 and d[h + 13] & 4:
        got = "rst"
print(got)' "$1"
}

@test "$BACKEND rst: a SYN in an IPv4 first fragment is dropped, the same SYN whole answered" {
	start_daemon
	rg ban 10.77.1.2
	# One whole SYN first, so that the fragment's second is the ban's
	# next (the per-ban cap) only after a pause.
	run -0 raw_syn 0
	assert_output rst
	sleep 1.1
	run -0 raw_syn 1
	assert_output none
	run -0 rg stats --prometheus
	assert_line 'rcptguard_rst_sent_total 1'
	assert_line 'rcptguard_rst_suppressed_total 0'
}
