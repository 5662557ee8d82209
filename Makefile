# outreach — build, test, demo, install.
#
#   make demo      build, then run the main job on a fresh demo database (./demo)
#   make test      the whole test suite, then the store and CLI suites again on PostgreSQL (installs missing system packages first)
#   make build     release binary in .build/release/outreach
#   make install   copy it to $(PREFIX)/bin (default /usr/local); it runs without the Swift toolchain
#   make bench     the benchmark table (see README, "Performance")
#   make soak      the chaos test for SOAK_SECONDS (default 1200) with a random seed, printed

PREFIX ?= /usr/local
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
# The Swift runtime and Foundation are linked in, so an installed binary runs on a cron host
# without the toolchain (SPEC §14); only libc, libstdc++ and libsqlite3 come from the system.
RELEASE_FLAGS ?= -c release --static-swift-stdlib
BIN_RELEASE = .build/release/outreach

# Debian packages: what building needs, and what the tests use as real peers.
BUILD_PACKAGES = libsqlite3-dev tzdata libcurl4-openssl-dev libssl-dev
TEST_PACKAGES = sqlite3 python3 msmtp python3-aiosmtpd prometheus exim4-daemon-light dovecot-imapd isync chromium curl openssl postgresql

SOAK_SECONDS ?= 1200

.PHONY: all build test soak demo install check-install bench deps test-deps clean

all: build

build: deps
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS) --product outreach
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS) --product outreach-http
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS) --product outreach-serve

test: deps test-deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test $(SWIFT_BUILD_FLAGS)
	SWIFT="$(SWIFT)" SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" ./.ci/test-postgres
	$(MAKE) check-install

# The long chaos run (Tests/outreachTests/ChaosTests.swift); a failure prints its seed and the
# command that replays it.
soak: deps test-deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)
	OUTREACH_SOAK_SECONDS=$(SOAK_SECONDS) $(SWIFT) test $(SWIFT_BUILD_FLAGS) --filter ChaosTests

demo: build
	rm -rf demo
	$(BIN_RELEASE) demo --dir demo

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -s -m 0755 $(BIN_RELEASE) $(DESTDIR)$(PREFIX)/bin/outreach
	install -s -m 0755 .build/release/outreach-http $(DESTDIR)$(PREFIX)/bin/outreach-http
	install -s -m 0755 .build/release/outreach-serve $(DESTDIR)$(PREFIX)/bin/outreach-serve

# Installs into a temporary folder and runs the installed binaries with the toolchain's
# libraries hidden (a private mount namespace), as on a cron host without Swift.
check-install:
	@./.ci/check-install

bench: deps
	@./.ci/apt-ensure time wrk
	for product in outreach outreach-http outreach-serve outreach-hello outreach-bench; do \
	  $(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS) --product $$product || exit 1; done
	.build/release/outreach-bench $(BENCH_ARGS)
	python3 bench/serve.py --binary .build/release/outreach $(SERVE_BENCH_ARGS)

# Installs missing Debian packages unattended (as root, or through sudo without a prompt).
deps:
	@./.ci/apt-ensure $(BUILD_PACKAGES)

test-deps:
	@./.ci/apt-ensure --optional $(TEST_PACKAGES)

clean:
	rm -rf .build demo
