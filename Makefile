# Countersign — the two commands a newcomer runs: `make run` and `make test`.
# Both install what is missing (Debian packages, with apt-get), then build.

SWIFT        ?= swift
DATA_DIR     ?= data
LISTEN       ?= 127.0.0.1:8080
DEB_PACKAGES := libsqlite3-dev sqlite3 libpam0g-dev libpam-pwdfile openssl openssh-client openssh-server wrk procps curl chromium chromium-driver python3-venv postgresql libpq-dev asciinema libfaketime fido2-tools
# make bench only: nginx is the static-file peer of the HTTP read path.
BENCH_PACKAGES := nginx
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
BIN          := .build/debug
# The browser tests' Python, with Selenium from PyPI, kept apart from the system's.
BROWSER_VENV := .build-browser/venv
SELENIUM     := 4.38.0
# The contract run's Python: Schemathesis and its dependencies at the versions of Tests/Contract/requirements.txt.
CONTRACT_VENV := .build-contract/venv
CONTRACT_RUN  := cd Tests/Contract && ../../$(CONTRACT_VENV)/bin/python run_contract.py

.PHONY: deps browser-deps bench-deps contract-deps build run test contract bench clean

deps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6.x is required (swift not on PATH)"; exit 1; }
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:" $$missing; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $(SUDO) apt-get install -y -q $$missing </dev/null; \
	fi

browser-deps: deps
	@[ -x $(BROWSER_VENV)/bin/python ] || python3 -m venv $(BROWSER_VENV)
	@$(BROWSER_VENV)/bin/python -c 'import selenium, sys; sys.exit(selenium.__version__ != "$(SELENIUM)")' 2>/dev/null || \
	  $(BROWSER_VENV)/bin/pip install --quiet --disable-pip-version-check "selenium==$(SELENIUM)" </dev/null

contract-deps: deps
	@[ -x $(CONTRACT_VENV)/bin/python ] || python3 -m venv $(CONTRACT_VENV)
	@cmp -s Tests/Contract/requirements.txt $(CONTRACT_VENV)/installed-requirements.txt || { \
	  $(CONTRACT_VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/Contract/requirements.txt </dev/null && \
	  cp Tests/Contract/requirements.txt $(CONTRACT_VENV)/installed-requirements.txt; }

build: deps
	$(SWIFT) build

# The demo: embedded SQLite under ./data, the example policies, PAM demo users.
run: build
	@scripts/demo-pam.sh $(DATA_DIR)/pam >/dev/null
	@scripts/demo-banner.sh $(LISTEN)
	@exec $(BIN)/countersignd --listen $(LISTEN) --data-dir $(DATA_DIR) --policies policies \
	  --pam-service countersign --pam-config-dir "$$(pwd)/$(DATA_DIR)/pam" --durability full \
	  --public-url http://localhost:$(lastword $(subst :, ,$(LISTEN))) \
	  --recorder-command "$$(pwd)/$(BIN)/countersign record --gateway http://$(LISTEN)"

# Swift tests, then the reviewer pages in headless Chromium (screenshots: test-artifacts/browser/),
# then every API operation against the served openapi.yaml (Schemathesis, fixed seed).
# Swift Testing starts every test at once unless told otherwise: on two cores, 1,100 tests
# spawning daemons, sshd, psql and CLIs kept the run queue 20 to 100 deep for the first minute,
# and in-process gateways with one-second deadlines missed them. 24 at a time keeps the run as
# short (about 90 s) without that.
SWIFT_TEST_WIDTH := 24
test: deps browser-deps contract-deps
	$(SWIFT) build --build-tests
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(SWIFT_TEST_WIDTH) $(SWIFT) test --skip-build
	cd Tests/Browser && ../../$(BROWSER_VENV)/bin/python -m unittest -v test_reviewer_pages test_recording_player test_break_glass_review
	$(CONTRACT_RUN)

# The contract run alone: the built gateway against its own API document.
contract: build contract-deps
	$(CONTRACT_RUN)

# Benchmarks live apart from tests: results go to bench/results.txt.
bench-deps: deps
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:" $$missing; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $(SUDO) apt-get install -y -q $$missing </dev/null; \
	fi

bench: bench-deps
	scripts/bench.sh

clean:
	rm -rf .build .build-browser .build-contract $(DATA_DIR) test-artifacts
