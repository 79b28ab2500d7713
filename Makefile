# The two commands a new user needs: `make demo` and `make test`.
# Both create .venv with the machine's Python 3.11 and install the project into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
BASE   := $(VENV)/.installed-base
TESTS  := $(VENV)/.installed-test
INTEROP_NPM := tests/interop/node_modules/.package-lock.json

.PHONY: demo test bench install browser postgres interop clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo needs only the package; the tests also need pytest, playwright, the peer server and Locust.
$(BASE): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(BASE)

$(TESTS): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,load,postgres]'
	touch $(BASE) $(TESTS)

install: $(TESTS)

# Debian's Chromium for the browser tests (no browser download from elsewhere).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install -y chromium (browser tests will be skipped)"; fi; }

# Debian's PostgreSQL for the store tests (tests/pg.py starts a throwaway cluster of it per run).
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "PostgreSQL is missing: sudo apt-get install -y postgresql (PostgreSQL tests will be skipped)"; fi; }

# The npm SCIM servers of the interop matrix (tests/interop/package-lock.json), with Debian's
# Node.js when the machine has none.
interop: $(INTEROP_NPM)

$(INTEROP_NPM): tests/interop/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm is missing: sudo apt-get install -y nodejs npm (interop tests will be skipped)"; fi; }
	@if command -v npm >/dev/null 2>&1; then cd tests/interop && npm ci --no-audit --no-fund --loglevel=error; fi

demo: $(BASE)
	$(BIN)/scim-harness demo

test: $(TESTS) browser postgres interop
	$(BIN)/python -m pytest

bench: $(TESTS)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache tests/interop/node_modules
