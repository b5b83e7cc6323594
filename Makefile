# Countersign — the two commands a newcomer runs: `make run` and `make test`.
# Both install what is missing (Debian packages, with apt-get), then build.

SWIFT        ?= swift
DATA_DIR     ?= data
LISTEN       ?= 127.0.0.1:8080
DEB_PACKAGES := libsqlite3-dev sqlite3 libpam0g-dev libpam-pwdfile openssl wrk procps curl
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
BIN          := .build/debug

.PHONY: deps build run test bench clean

deps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6.x is required (swift not on PATH)"; exit 1; }
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:" $$missing; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing </dev/null; \
	fi

build: deps
	$(SWIFT) build

# The demo: embedded SQLite under ./data, the example policies, PAM demo users.
run: build
	@scripts/demo-pam.sh $(DATA_DIR)/pam >/dev/null
	@scripts/demo-banner.sh $(LISTEN)
	@exec $(BIN)/countersignd --listen $(LISTEN) --data-dir $(DATA_DIR) --policies policies \
	  --pam-service countersign --pam-config-dir "$$(pwd)/$(DATA_DIR)/pam" --durability full \
	  --public-url http://localhost:$(lastword $(subst :, ,$(LISTEN)))

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Benchmarks live apart from tests: results go to bench/results.txt.
bench: deps
	scripts/bench.sh

clean:
	rm -rf .build $(DATA_DIR)
