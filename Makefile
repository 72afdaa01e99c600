# rcptguard - every entry point: build, check, bench, install, run.
# The release version; builds from git add the commit (see --version).
VERSION   := 0.9.0
# The commit, from a git checkout only (a tarball has none; make GIT_COMMIT=...
# names one). Characters a C string or a label could trip on are dropped.
ifeq ($(origin GIT_COMMIT),undefined)
GIT_COMMIT := $(shell [ -e .git ] && git describe --always --dirty --abbrev=12 2>/dev/null \
                | tr -cd 'A-Za-z0-9._+-')
endif
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=

ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo $(shell uname -m)-linux-gnu)

CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
B         := build

CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 \
             -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
             -Ibpf -Idaemon -I$(B)
LDFLAGS   += -pie -Wl,-z,relro,-z,now
LIBBPF    := -lbpf -lelf -lz
LIBS      := $(LIBBPF) -lnftnl -lmnl -lcdb -lcares -lbz2 -licuuc -lyajl -lm

BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -I/usr/include/$(MULTIARCH) -Ibpf \
              -Wall -Wno-unused-value

# Code shared by the daemon, the CLI and the tests.
COMMON_SRC := daemon/addr.c daemon/duration.c daemon/log.c daemon/config.c daemon/grow.c \
              daemon/pins.c daemon/maps.c daemon/links.c daemon/names.c \
              daemon/recipients.c daemon/policy.c daemon/verdict.c \
              daemon/offenders.c daemon/judge.c daemon/credit.c daemon/allowlist.c daemon/enforce.c \
              daemon/escape.c daemon/peer.c daemon/sockkill.c daemon/state.c daemon/journal.c \
              daemon/recent.c daemon/history.c \
              daemon/dnsbl_spec.c daemon/dnsbl.c \
              daemon/privdrop.c daemon/atomic.c daemon/prometheus.c daemon/metrics.c \
              daemon/backend_xdp.c daemon/backend_none.c daemon/backend_nft.c daemon/nft.c \
              daemon/nft_table.c daemon/banmirror.c daemon/logline.c daemon/linebuf.c daemon/tail.c daemon/follow.c \
              daemon/query.c daemon/control.c daemon/server.c daemon/loop.c
# The version the programs print (rcptguard-spp links it alone).
COMMON_SRC += daemon/version.c
# A CDB read into private memory and checked whole (the recipients database).
COMMON_SRC += daemon/cdb_load.c
# Unicode case folding of recipients, as Postfix does it (libicu).
COMMON_SRC += daemon/casefold.c
# Postfix's address resolver: the mailbox a routed recipient reaches.
COMMON_SRC += daemon/route.c
# The xdp backend's setup, with the program it loads: the CLI opens the same backend.
COMMON_SRC += daemon/xdp_loader.c daemon/migrate.c
# The keyed index of every table an attacker can fill.
COMMON_SRC += daemon/keyindex.c
# CrowdSec's Local API: the stream parser and the decision rules (unit-tested).
COMMON_SRC += daemon/lapi_json.c daemon/lapi_decision.c daemon/lapi_machine.c
DAEMON_SRC := daemon/rcptguardd.c daemon/ifaces.c daemon/backend_start.c daemon/metrics_file.c
# systemd's readiness datagram (Type=notify).
DAEMON_SRC += daemon/notify.c
# ... and CrowdSec's LAPI over HTTP on the event loop (libcurl's multi interface).
DAEMON_SRC += daemon/lapi_http.c daemon/lapi_pull.c daemon/lapi_push.c
# The nft table's bans read back on a thread of its own after a foreign change.
DAEMON_SRC += daemon/bgread.c
CLI_SRC    := cli/rcptguard.c cli/cmd_bans.c cli/cmd_status.c cli/cmd_offenders.c cli/cmd_top.c cli/cmd_history.c \
              cli/cmd_recipients.c cli/cmd_dnsbl.c cli/control_client.c cli/json.c cli/table.c cli/store.c cli/cmd_replay.c cli/logread.c \
              cli/qmail_tree.c cli/recipients_compile.c cli/recipients_target.c daemon/ifaces.c
SPP_SRC    := cli/rcptguard-spp.c daemon/version.c

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/%.o)
SPP_OBJ    := $(SPP_SRC:%.c=$(B)/%.o)

PROGS := $(B)/rcptguardd $(B)/rcptguard $(B)/rcptguard-spp

.PHONY: FORCE all deps test-deps check test run install uninstall clean bench bench-quick demo fuzz fuzz-quick
.PHONY: deb
all: $(PROGS)

# Debian packages, installed only when missing (a second run is silent).
# RUN_DEBS build and run rcptguard: all that make run and make install
# need on a real server. TEST_DEBS only serve make check, bench, fuzz and
# demo: an MTA among them (Postfix replaces the admin's exim4 or qmail
# as mail-transport-agent), so make run never installs them.
RUN_DEBS  := make gcc libc6-dev clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
             libcdb-dev libc-ares-dev libnftnl-dev libmnl-dev libbz2-dev libicu-dev passwd \
             libcurl4-openssl-dev libyajl-dev
TEST_DEBS := tinycdb nftables libclang-rt-14-dev ethtool bats bats-assert bats-support socat \
             iproute2 util-linux procps mandoc swaks postfix rbldnsd ucspi-tcp fail2ban \
             python3-pyinotify daemontools prometheus jq crowdsec crowdsec-firewall-bouncer curl openssl \
             gnuplot-nox
# make deb's tools: building and checking the Debian package.
DEB_DEBS  := debhelper dpkg-dev fakeroot lintian
# systemd.bats: what the daemon calls (strace) against the unit's filter
# (systemd-analyze), and the bash completion's test.
TEST_DEBS += strace systemd bash-completion
# migrate.bats stops the daemon at a chosen moment of a migration to kill it.
TEST_DEBS += gdb
TEST_DEBS += $(DEB_DEBS)

# $(call install_debs,PACKAGES,BEFORE,AFTER): apt-get only what is missing;
# BEFORE and AFTER are shell run around the install, with $$missing set.
define install_debs
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' \
			|| echo $$p; done); \
	if [ -n "$$missing" ]; then \
		[ "$$(id -u)" = 0 ] || { echo "make: run as root to install:" $$missing; exit 1; }; \
		echo "make: installing" $$missing; \
		$(2) \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing </dev/null || exit 1; \
		$(3) \
	fi
endef

# Postfix comes unconfigured and never started; fail2ban is only a
# benchmark peer and prometheus only brings promtool, so a service this
# install started is stopped again.
# crowdsec's postinst registers with the central API, which needs the
# internet: a credentials file already there pre-empts it (tests run a
# private LAPI offline, tests/system/lapi.bash).
PREPARE_TEST_DEBS := echo "postfix postfix/main_mailer_type select No configuration" \
	| debconf-set-selections; \
	case " $$missing " in *" crowdsec "*) mkdir -p /etc/crowdsec; \
		[ -e /etc/crowdsec/online_api_credentials.yaml ] || \
		echo '\# no central API' > /etc/crowdsec/online_api_credentials.yaml;; esac;
SETTLE_TEST_DEBS := for s in fail2ban prometheus; do case " $$missing " in *" $$s "*) \
	[ -d /run/systemd/system ] && systemctl disable --now $$s >/dev/null 2>&1;; esac; done; true;

deps:
	$(call install_debs,$(RUN_DEBS))

test-deps:
	$(call install_debs,$(RUN_DEBS) $(TEST_DEBS),$(PREPARE_TEST_DEBS),$(SETTLE_TEST_DEBS))

$(B)/rcptguard.bpf.o: bpf/rcptguard.bpf.c bpf/bans.bpf.h bpf/rst.bpf.h bpf/rcptguard.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/rcptguard.skel.h: $(B)/rcptguard.bpf.o
	$(BPFTOOL) gen skeleton $< name rcptguard > $@.tmp && mv $@.tmp $@

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/daemon/xdp_loader.o: $(B)/rcptguard.skel.h

# version.o is rebuilt when the version or the commit changes, and only then.
VERSION_DEFS := -DRG_VERSION='"$(VERSION)"' -DRG_COMMIT='"$(GIT_COMMIT)"'
$(B)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION) $(GIT_COMMIT)' | cmp -s - $@ || echo '$(VERSION) $(GIT_COMMIT)' > $@
$(B)/daemon/version.o: CFLAGS += $(VERSION_DEFS)
$(B)/fuzz/obj/daemon/version.o: FUZZ_CFLAGS += $(VERSION_DEFS)
$(B)/daemon/version.o $(B)/fuzz/obj/daemon/version.o: $(B)/version.stamp
FORCE:

$(B)/libcommon.a: $(COMMON_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/rcptguardd: $(DAEMON_OBJ) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS) -lcurl

$(B)/rcptguard: $(CLI_OBJ) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/rcptguard-spp: $(SPP_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^

# Tests -------------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

$(B)/tests/test_%: tests/unit/test_%.c tests/unit/tap.h tests/unit/logcap.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(LIBS)

# Replay's reader lives with the CLI.
$(B)/tests/test_logread: tests/unit/test_logread.c tests/unit/tap.h $(B)/cli/logread.o $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Icli $(LDFLAGS) -o $@ $< $(B)/cli/logread.o $(B)/libcommon.a $(LIBS)

# The CLI's JSON writer.
$(B)/tests/test_json: tests/unit/test_json.c tests/unit/tap.h $(B)/cli/json.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Icli $(LDFLAGS) -o $@ $< $(B)/cli/json.o -lm

# test_recipients builds its CDBs with the CLI's compiler and counts the
# CDB lookups of a verdict.
RCPT_COMPILE_OBJ := $(B)/cli/recipients_compile.o $(B)/cli/recipients_target.o
$(B)/tests/test_recipients: tests/unit/test_recipients.c tests/unit/tap.h $(RCPT_COMPILE_OBJ) \
		$(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Icli $(LDFLAGS) -Wl,--wrap=cdb_find -o $@ $< $(RCPT_COMPILE_OBJ) \
		$(B)/libcommon.a $(LIBS)

# Each --for target read back through that validrcptto patch's own lookup.
$(B)/tests/test_recipients_target: tests/unit/test_recipients_target.c tests/unit/validrcptto.c \
		tests/unit/validrcptto.h tests/unit/tap.h $(RCPT_COMPILE_OBJ) $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Icli $(LDFLAGS) -o $@ $< tests/unit/validrcptto.c \
		$(RCPT_COMPILE_OBJ) $(B)/libcommon.a $(LIBS)

# test_forms compiles its CDBs too, and asks ICU for the folding it expects.
$(B)/tests/test_forms: tests/unit/test_forms.c tests/unit/tap.h $(RCPT_COMPILE_OBJ) $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Icli $(LDFLAGS) -o $@ $< $(RCPT_COMPILE_OBJ) \
		$(B)/libcommon.a $(LIBS)

$(B)/tests/bpf_packets: tests/bpf/bpf_packets.c tests/bpf/packet.c tests/bpf/packet.h tests/bpf/skel_maps.h \
		tests/bpf/rst_ref.c tests/bpf/rst_ref.h \
		tests/unit/tap.h $(B)/rcptguard.skel.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Itests/bpf $(LDFLAGS) -o $@ tests/bpf/bpf_packets.c \
		tests/bpf/packet.c tests/bpf/rst_ref.c $(B)/libcommon.a $(LIBS)

$(B)/tests/bpf_random: tests/bpf/bpf_random.c tests/bpf/packet.c tests/bpf/packet.h tests/bpf/skel_maps.h \
		tests/bpf/rst_ref.c tests/bpf/rst_ref.h \
		tests/unit/tap.h $(B)/rcptguard.skel.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Itests/bpf $(LDFLAGS) -o $@ tests/bpf/bpf_random.c \
		tests/bpf/packet.c tests/bpf/rst_ref.c $(B)/libcommon.a $(LIBS)

$(B)/tests/bench_xdp: tests/bench/bench_xdp.c tests/bpf/packet.c tests/bpf/packet.h tests/bpf/skel_maps.h \
		$(B)/rcptguard.skel.h $(B)/tests/xdp_drop.skel.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf -I$(B)/tests $(LDFLAGS) -o $@ tests/bench/bench_xdp.c \
		tests/bpf/packet.c $(B)/libcommon.a $(LIBS)

# The per-step benchmark's program times the XDP program's own maps and chain.
$(B)/tests/steps.bpf.o: tests/bench/steps.bpf.c tests/bench/steps.h bpf/bans.bpf.h bpf/rcptguard.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Itests/bench -c $< -o $@

$(B)/tests/steps.skel.h: $(B)/tests/steps.bpf.o
	$(BPFTOOL) gen skeleton $< name steps_bpf > $@.tmp && mv $@.tmp $@

$(B)/tests/bench_steps: tests/bench/bench_steps.c tests/bench/steps.h tests/bench/load_util.h \
		$(B)/tests/steps.skel.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bench -I$(B)/tests $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(LIBS)

$(B)/tests/test_flood: tests/unit/test_flood.c tests/unit/tap.h tests/bench/flood_src.h tests/bpf/packet.c \
		tests/bpf/packet.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Itests/bpf -Itests/bench $(LDFLAGS) -o $@ $< tests/bpf/packet.c

# The benchmarks' own XDP programs: the flood's sender (xdp_tx) and the
# floor (xdp_drop).
BENCH_BPF := xdp_tx xdp_drop
$(BENCH_BPF:%=$(B)/tests/%.bpf.o): $(B)/tests/%.bpf.o: tests/bench/%.bpf.c tests/bench/flood_src.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_BPF:%=$(B)/tests/%.skel.h): $(B)/tests/%.skel.h: $(B)/tests/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(B)/tests/flood: tests/bench/flood.c tests/bench/flood_src.h tests/bench/load_util.h tests/bpf/packet.c \
		tests/bpf/packet.h $(B)/tests/xdp_tx.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf -Itests/bench -I$(B)/tests $(LDFLAGS) -o $@ tests/bench/flood.c tests/bpf/packet.c $(LIBBPF)

$(B)/tests/log_reaction: tests/bench/log_reaction.c tests/bench/load_util.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bench $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(LIBS)

# migrate.bats: an earlier release's maps and program (OLD_BAN_SIZE picks
# the release) and the tool that pins, fills and attaches them.
$(B)/tests/oldlayout%.bpf.o: tests/system/oldlayout.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DOLD_BAN_SIZE=$* -c $< -o $@

$(B)/tests/oldpins: tests/system/oldpins.c $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(LIBS)

OLD_LAYOUT_BIN := $(B)/tests/oldpins $(B)/tests/oldlayout40.bpf.o $(B)/tests/oldlayout64.bpf.o

$(B)/tests/dns_bad: tests/system/dns_bad.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tests/bench_lookup: tests/bench/bench_lookup.c tests/bench/load_util.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bench $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(LIBS)

$(B)/tests/state_io: tests/bench/state_io.c tests/bench/load_util.h $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bench $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(LIBS)

$(B)/tests/spawn_cost: tests/bench/spawn_cost.c tests/bench/load_util.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bench $(LDFLAGS) -o $@ $<

$(B)/tests/smtp_attack: tests/bench/smtp_attack.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tests/policy_load: tests/bench/policy_load.c tests/bench/load_util.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tests/attack_load: tests/system/attack_load.c tests/bench/load_util.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bench $(LDFLAGS) -o $@ $<

# Fuzzing: one libFuzzer harness per parser of untrusted input, linked
# with the daemon's code built again with the sanitizers.
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Ibpf -Idaemon -Icli -I$(B) \
               -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The CLI's parsers of files and replies are fuzzed too.
FUZZ_OBJ    := $(COMMON_SRC:%.c=$(B)/fuzz/obj/%.o) \
               $(addprefix $(B)/fuzz/obj/cli/,control_client.o json.o qmail_tree.o recipients_compile.o \
                 recipients_target.o)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(B)/fuzz/libfuzzcommon.a: $(FUZZ_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(B)/fuzz/libfuzzcommon.a
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< $(B)/fuzz/libfuzzcommon.a $(LIBS)

# Benchmark programs; bench-quick runs in make check, so TEST_BINS needs
# them (defined first: := expands at once).
BENCH_BIN := $(B)/tests/bench_xdp $(B)/tests/bench_steps $(B)/tests/policy_load $(B)/tests/log_reaction \
             $(B)/tests/flood $(B)/tests/bench_lookup $(B)/tests/smtp_attack $(B)/tests/spawn_cost \
             $(B)/tests/attack_load $(B)/tests/state_io $(B)/tests/xdp_drop.bpf.o

TEST_BINS := $(UNIT_BIN) $(B)/tests/bpf_packets $(B)/tests/bpf_random \
             $(BENCH_BIN) $(B)/tests/dns_bad $(OLD_LAYOUT_BIN) \
             $(FUZZ_BIN)

# make check = the packages, then make test. make test installs nothing
# and runs every suite, or those T names: T=unit/test_offenders, T=unit,
# T=system/nft.bats F='bats -f pattern', T=bench, T=fuzz, T=bpf.
check: test-deps
	@$(MAKE) --no-print-directory test

T_BINS = $(if $(filter unit/%,$(T)),$(B)/tests/$(notdir $(T)), \
	 $(if $(filter unit,$(T)),$(UNIT_BIN), \
	 $(if $(filter fuzz%,$(T)),$(FUZZ_BIN), \
	 $(if $(filter bpf%,$(T)),$(B)/tests/bpf_packets $(B)/tests/bpf_random, \
	 $(if $(T),$(filter-out $(FUZZ_BIN) $(UNIT_BIN),$(TEST_BINS)),$(TEST_BINS))))))

test: all $(T_BINS)
	@env T='$(T)' F='$(F)' sh tests/run-all.sh

# Timings live here, never in tests: ratios measured side by side.
bench: test-deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@sh tests/bench/run.sh

bench-quick: all $(BENCH_BIN)
	@QUICK=1 sh tests/bench/run.sh

# FUZZ_TIME seconds per harness (make check runs each for 3).
FUZZ_TIME ?= 60
fuzz: test-deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run.sh

fuzz-quick: $(FUZZ_BIN)
	@FUZZ_TIME=3 sh tests/fuzz/run.sh

# A narrated dictionary attack in throwaway namespaces (under a minute).
demo: test-deps
	@$(MAKE) --no-print-directory all
	@bash tests/demo/demo.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(B)/rcptguardd -f -c conf/rcptguard.conf

# A distribution's own prefix puts the unit with its other units; any
# other (/usr/local) is the admin's, whose units live in /etc.
SYSTEMDDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,/etc/systemd/system)
SHAREDIR   ?= $(PREFIX)/share/rcptguard
# The daemontools service's log: its directory, and the user multilog runs as.
LOGDIR     ?= /var/log/rcptguard
LOGUSER    ?= rcptguardlog
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# make install's system user says so, so make uninstall removes only its own.
INSTALL_USER_COMMENT := rcptguard daemon (made by make install)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/rcptguard $(DESTDIR)$(SYSTEMDDIR) \
		$(DESTDIR)$(SHAREDIR)/daemontools/log
	install -m 0755 $(B)/rcptguardd $(B)/rcptguard $(B)/rcptguard-spp $(DESTDIR)$(SBINDIR)/
	install -m 0644 docs/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	test -e $(DESTDIR)$(SYSCONFDIR)/rcptguard/rcptguard.conf || \
		install -m 0644 conf/rcptguard.conf $(DESTDIR)$(SYSCONFDIR)/rcptguard/rcptguard.conf
	sed 's|/usr/local/sbin|$(SBINDIR)|g; s|/etc/rcptguard|$(SYSCONFDIR)/rcptguard|g' \
		conf/rcptguard.service > $(DESTDIR)$(SYSTEMDDIR)/rcptguard.service
	sed 's|/usr/local/sbin|$(SBINDIR)|g; s|/etc/rcptguard|$(SYSCONFDIR)/rcptguard|g' \
		conf/daemontools/run > $(DESTDIR)$(SHAREDIR)/daemontools/run
	sed 's|rcptguardlog|$(LOGUSER)|g; s|/var/log/rcptguard|$(LOGDIR)|g' \
		conf/daemontools/log/run > $(DESTDIR)$(SHAREDIR)/daemontools/log/run
	chmod 0755 $(DESTDIR)$(SHAREDIR)/daemontools/run $(DESTDIR)$(SHAREDIR)/daemontools/log/run
	install -m 0644 conf/grafana-rcptguard.json $(DESTDIR)$(SHAREDIR)/
	install -D -m 0644 conf/bash-completion/rcptguard $(DESTDIR)$(BASHCOMPDIR)/rcptguard
	@# The daemon's own user and the log user, on a real install only.
	test -n "$(DESTDIR)" || getent passwd rcptguard >/dev/null || \
		useradd --system --no-create-home --home-dir /var/lib/rcptguard \
			--shell /usr/sbin/nologin --comment "$(INSTALL_USER_COMMENT)" rcptguard
	test -n "$(DESTDIR)" || getent passwd $(LOGUSER) >/dev/null || \
		useradd --system --user-group --no-create-home --home-dir $(LOGDIR) \
			--shell /usr/sbin/nologin --comment "$(INSTALL_USER_COMMENT)" $(LOGUSER)

# Removes what install put there; the config only while it is still the
# shipped one, the user only if install made it.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rcptguardd $(DESTDIR)$(SBINDIR)/rcptguard \
		$(DESTDIR)$(SBINDIR)/rcptguard-spp
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard docs/man/*.8)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard docs/man/*.5)))
	rm -f $(DESTDIR)$(SYSTEMDDIR)/rcptguard.service $(DESTDIR)$(BASHCOMPDIR)/rcptguard
	rm -rf $(DESTDIR)$(SHAREDIR)
	@conf=$(DESTDIR)$(SYSCONFDIR)/rcptguard/rcptguard.conf; \
	if cmp -s conf/rcptguard.conf $$conf; then rm -f $$conf; \
	elif [ -e $$conf ]; then echo "make: kept $$conf (changed since install)"; fi; \
	rmdir $(DESTDIR)$(SYSCONFDIR)/rcptguard 2>/dev/null || true
	@test -n "$(DESTDIR)" || for u in rcptguard $(LOGUSER); do \
		[ "$$(getent passwd $$u | cut -d: -f5)" != "$(INSTALL_USER_COMMENT)" ] || userdel $$u; \
	done
	@echo "make: bans already in the kernel stay there (XDP maps pinned under the" \
		"bpf_pin_dir, or the nft table) until 'rcptguard detach' or a reboot;" \
		"saved state stays in the state_dir (/var/lib/rcptguard)."

# A Debian package from a staged copy of the tree, whose changelog says
# VERSION: build/deb/rcptguard_$(VERSION)_*.deb, checked by lintian.
DEB_STAGE := $(B)/deb/rcptguard-$(VERSION)
deb:
	$(call install_debs,$(RUN_DEBS) $(DEB_DEBS))
	rm -rf $(B)/deb && mkdir -p $(DEB_STAGE)
	cp -R Makefile README.md bpf cli conf daemon debian docs $(DEB_STAGE)/
	printf '%s\n' "rcptguard ($(VERSION)) unstable; urgency=medium" "" \
		"  * Release $(VERSION)." "" \
		" -- $$(sed -n 's/^Maintainer: //p' debian/control)  $$(date -R)" \
		> $(DEB_STAGE)/debian/changelog
	cd $(DEB_STAGE) && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -uc -us
	lintian --info --fail-on error,warning,info $(B)/deb/rcptguard_$(VERSION)_*.deb

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
