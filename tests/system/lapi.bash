# lapi.bash - a real CrowdSec Local API (Debian's crowdsec 1.4.6) for the
# tests: in a network namespace of its own (NS_L), joined by veth to the
# daemon's namespace (NS_S), on a private address and a random port, with a
# private config, database and data directory under $LAPI_DIR. 1.4.6
# listens on TCP only, and one namespace's loopback is unreachable from
# another: hence the veth.

in_l() { nsenter --net=/run/netns/$NS_L "$@"; }
# cscli against the test's LAPI (it talks HTTP to LAPI_ADDR).
csc() { in_l cscli -c "$LAPI_DIR/config.yaml" "$@"; }

# lapi_setup N: NS_L with address 10.78.N.2, NS_S with 10.78.N.1 on the
# veth between them (N tells apart several daemons' links to one LAPI).
lapi_net() {
	local n=$1 ns=$2
	ip link add rgl$ID-$n netns $NS_L type veth peer name rgd$ID-$n netns $ns
	in_l sh -ec "ip link set lo up; ip link set rgl$ID-$n up; ip addr add 10.78.$n.2/24 dev rgl$ID-$n"
	nsenter --net=/run/netns/$ns sh -ec "ip link set rgd$ID-$n up; ip addr add 10.78.$n.1/24 dev rgd$ID-$n"
}

lapi_setup() {
	NS_L=rgt-l$ID
	LAPI_DIR=$BATS_TEST_TMPDIR/lapi
	LAPI_PORT=$(( 20000 + RANDOM % 20000 ))
	LAPI_ADDR=10.78.1.2
	LAPI_URL=http://$LAPI_ADDR:$LAPI_PORT/
	[ -n "${LAPI_TLS:-}" ] && LAPI_URL=https://$LAPI_ADDR:$LAPI_PORT/
	ip netns add $NS_L
	lapi_net 1 $NS_S
	mkdir -p "$LAPI_DIR/data" "$LAPI_DIR/etc"
	cp /etc/crowdsec/profiles.yaml /etc/crowdsec/simulation.yaml "$LAPI_DIR/etc/"
	: > "$LAPI_DIR/etc/acquis.yaml"
	cat > "$LAPI_DIR/config.yaml" <<-EOF
	common:
	  daemonize: false
	  log_media: stdout
	  log_level: warning
	  working_dir: .
	config_paths:
	  config_dir: $LAPI_DIR/etc/
	  data_dir: $LAPI_DIR/data/
	  simulation_path: $LAPI_DIR/etc/simulation.yaml
	  hub_dir: /var/lib/crowdsec/hub/
	  index_path: /var/lib/crowdsec/hub/.index.json
	crowdsec_service:
	  acquisition_path: $LAPI_DIR/etc/acquis.yaml
	cscli:
	  output: human
	db_config:
	  log_level: warning
	  type: sqlite
	  db_path: $LAPI_DIR/data/crowdsec.db
	api:
	  client:
	    credentials_path: $LAPI_DIR/etc/local_api_credentials.yaml
	  server:
	    log_level: warning
	    listen_uri: $LAPI_ADDR:$LAPI_PORT
	    profiles_path: $LAPI_DIR/etc/profiles.yaml
	    trusted_ips:
	      - 10.78.0.0/16
	prometheus:
	  enabled: false
	EOF
	[ -z "${LAPI_TLS:-}" ] || lapi_tls
	csc machines add rgtest --password "pw$ID" --url "$LAPI_URL" \
		-f "$LAPI_DIR/etc/local_api_credentials.yaml" --force >/dev/null 2>&1
	csc bouncers add rgb1 -k "key1-$ID-0123456789abcdef" >/dev/null
	echo "key1-$ID-0123456789abcdef" > "$BATS_TEST_TMPDIR/bouncer1.key"
	lapi_start
}

# LAPI_TLS set: a private CA ($LAPI_DIR/ca.pem) and a server certificate
# for LAPI_ADDR; cscli is told to trust that CA.
lapi_tls() {
	local d=$LAPI_DIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rgtest-ca \
		-keyout "$d/ca.key" -out "$LAPI_DIR/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=$LAPI_ADDR -keyout "$d/srv.key" \
		-out "$d/srv.csr" 2>/dev/null
	printf 'subjectAltName=IP:%s\n' "$LAPI_ADDR" > "$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$LAPI_DIR/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/srv.pem" 2>/dev/null
	sed -i "s|^    trusted_ips:|    tls:\n      cert_file: $d/srv.pem\n      key_file: $d/srv.key\n    trusted_ips:|" \
		"$LAPI_DIR/config.yaml"
	sed -i "s|^    credentials_path:|    insecure_skip_verify: true\n    credentials_path:|" \
		"$LAPI_DIR/config.yaml"
}

lapi_start() {
	nsenter --net=/run/netns/$NS_L crowdsec -c "$LAPI_DIR/config.yaml" -no-cs -no-capi \
		>>"$LAPI_DIR/lapi.log" 2>&1 3>&- &
	LAPI_PID=$!
	local i
	for i in $(seq 100); do
		in_l ss -Hltn "sport = :$LAPI_PORT" | grep -q . && return 0
		kill -0 $LAPI_PID 2>/dev/null || break
		sleep 0.05
	done
	cat "$LAPI_DIR/lapi.log"
	return 1
}

lapi_stop() {
	[ -n "${LAPI_PID:-}" ] || return 0
	kill $LAPI_PID 2>/dev/null || true
	wait $LAPI_PID 2>/dev/null || true
	LAPI_PID=
}

lapi_teardown() {
	lapi_stop
	[ -n "${NS_L:-}" ] && ip netns del $NS_L 2>/dev/null || true
}
