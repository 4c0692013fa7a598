# qwen-sync — common tasks. `make help` lists them.
SWIFT ?= swift
# The one release build (static Swift runtime and libstdc++, no `$ORIGIN` run path; the script
# says why). `swift build` arguments follow it.
RELEASE_BUILD := SWIFT="$(SWIFT)" sh contrib/release-build.sh
# The laptop tests (suspend, clock steps, network return; #18): libfaketime, a private D-Bus bus
# with a logind stand-in in Debian's python3, network namespaces.
LAPTOP_TEST_PACKAGES := faketime dbus python3-dbus python3-gi iproute2
APT_PACKAGES := libsystemd-dev libcurl4-openssl-dev libqrencode-dev systemd $(LAPTOP_TEST_PACKAGES)
# `make deb`: dpkg-shlibdeps and strip (`make deb-test` also installs lintian).
DEB_APT_PACKAGES := dpkg-dev binutils
ARGS ?=
# Warnings are errors in every build the tests make (the dependencies' warnings stay suppressed).
WERROR := -Xswiftc -warnings-as-errors
# Suites that change machine-wide state (the wall clock's timers, network namespaces, a tmpfs
# mount, a D-Bus bus) or take the whole machine (serve's 100 concurrent streams through the
# Python openai client): they run on their own after the parallel suite, one at a time, so that
# no other test sees a cancelled timer or a starved machine, nor they a busy one in their 2 s
# windows.
MACHINE_WIDE_SUITES := ClockStepEndToEndTests|SleepEndToEndTests|NetworkReturnEndToEndTests|FullDiskEndToEndTests|NetworkWatcherTests|SleepWatcherTests|ServeEndToEndTests
SWIFT_FORMAT_PATHS := Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Benchmarks Benchmarks/Fuzz

.PHONY: help deps deb-deps build release daemon test lint format verify-units man integration deb deb-test bench bench-swift bench-swift-check torture clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

deps: ## Install the Debian packages the build needs (root or sudo; skipped when present)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "installing:$$missing"; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deb-deps: ## Install the Debian packages `make deb` needs
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(DEB_APT_PACKAGES)"

build: deps ## Debug build of every product
	$(SWIFT) build

release: deps ## Optimised build (.build/release/qwen-sync and the daemon's qwen-syncd)
	$(RELEASE_BUILD) --product qwen-sync
	$(RELEASE_BUILD) --product qwen-syncd

daemon: deps ## Build and run the daemon in the foreground (ARGS="--refresh-lead 600")
	$(SWIFT) build --product qwen-syncd
	$(SWIFT) run qwen-sync daemon $(ARGS)

test: deps ## Run the whole test suite, the short torture run and the systemd unit checks
	$(SWIFT) test $(WERROR) --skip '$(MACHINE_WIDE_SUITES)'
	$(SWIFT) test $(WERROR) --no-parallel --filter '$(MACHINE_WIDE_SUITES)'
	python3 Benchmarks/torture.py --build .build/debug --quick
	sh contrib/verify-units.sh
	sh contrib/manpage.sh --check
	bash IntegrationTests/systemd-user.sh --binary .build/debug/qwen-sync

lint: ## swift format lint --strict with .swift-format (the toolchain's swift-format)
	$(SWIFT) format lint --strict --recursive $(SWIFT_FORMAT_PATHS)

format: ## Rewrite the Swift sources in the .swift-format style
	$(SWIFT) format format --in-place --recursive $(SWIFT_FORMAT_PATHS)

verify-units: ## systemd-analyze --user verify on contrib/*.service, *.socket
	sh contrib/verify-units.sh

man: ## Build the man page into .build/man/qwen-sync.1 (man -l .build/man/qwen-sync.1)
	$(SWIFT) build --product qwen-sync
	sh contrib/manpage.sh "$$($(SWIFT) build --show-bin-path)/qwen-sync" .build/man

integration: ## The units under a real systemd --user and journald (root; skips where impossible)
	$(SWIFT) build --product qwen-sync
	bash IntegrationTests/systemd-user.sh --binary .build/debug/qwen-sync

deb: deps deb-deps ## Build qwen-sync_<version>_<arch>.deb from the release build
	sh packaging/deb/build.sh

deb-test: deps deb-deps ## Build the .deb, check it (lintian too), install it, start its unit, remove it (root)
	@$(MAKE) --no-print-directory deps APT_PACKAGES=lintian
	deb=$$(sh packaging/deb/build.sh) && bash IntegrationTests/debian-package.sh "$$deb"

bench: deps ## Run the benchmarks and print their tables (see Benchmarks/README.md)
	$(RELEASE_BUILD)
	python3 Benchmarks/run.py --build .build/release

bench-swift: ## In-process benchmarks (package-benchmark): JSON, store transaction, sync rules
	cd Benchmarks && $(SWIFT) package benchmark

bench-swift-check: ## The same, failing on a regression against Benchmarks/Thresholds
	cd Benchmarks && $(SWIFT) package benchmark thresholds check

torture: deps ## The long torture suite (kill -9, fuzzing, fault matrix, secrets)
	$(RELEASE_BUILD)
	python3 Benchmarks/torture.py --build .build/release

clean: ## Remove build products
	rm -rf .build
