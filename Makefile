# Every target sets itself up: a fresh clone needs python3 (3.11+) and npm (browser assets);
# `make test` also installs Debian's chromium + chromium-driver for the browser tests.
# Python packages come from requirements.lock (exact versions and hashes, dev tools
# included, for CPython 3.11 on Linux x86_64); `make lock` refreshes it after a change to
# pyproject.toml, `make upgrade` moves every package to its newest allowed version.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: setup run test lint contracts typecheck test-sqlite test-postgres pg-up redis-up browser schema clean bench soak profile lock upgrade fuzz

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK) ui/package.json ui/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	bash scripts/build-ui.sh
	touch $(STAMP)

# pip-compile (pip-tools, a dev dependency) resolves pyproject.toml with the dev extra.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --extra dev --no-emit-index-url --no-emit-find-links \
	--output-file $(LOCK) pyproject.toml

lock: $(STAMP)
	$(PIP_COMPILE)

upgrade: $(STAMP)
	$(PIP_COMPILE) --upgrade

run: $(STAMP)
	$(BIN)/gateway migrate
	$(BIN)/gateway seed --demo --if-empty
	$(BIN)/gateway demo-tokens
	$(BIN)/gateway serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

contracts: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy app schema resolvers tests bench

browser:
	@bash scripts/browser-up.sh

test-sqlite: $(STAMP) redis-up browser
	GATEWAY_TEST_DATABASE=sqlite $(BIN)/pytest -q

pg-up:
	@bash scripts/pg-up.sh

redis-up:
	@bash scripts/redis-up.sh

test-postgres: $(STAMP) pg-up redis-up browser
	GATEWAY_TEST_DATABASE=postgres GATEWAY_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/pytest -q

test: lint contracts typecheck test-sqlite test-postgres

# The fuzz stage alone and deeper (the nightly run; not part of `make test`): a new seed
# each run, printed; GATEWAY_FUZZ_SEED=<n> replays one. No per-test timeout at this depth.
FUZZ_EXAMPLES ?= 200
FUZZ_TESTS := tests/test_fuzz_rest.py tests/test_fuzz_graphql.py
fuzz: $(STAMP) pg-up redis-up
	GATEWAY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) GATEWAY_TEST_DATABASE=sqlite \
		$(BIN)/pytest -q --timeout 1800 $(FUZZ_TESTS)
	GATEWAY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) GATEWAY_TEST_DATABASE=postgres \
		GATEWAY_TEST_PG_URL=$(PG_TEST_URL) $(BIN)/pytest -q --timeout 1800 $(FUZZ_TESTS)

# Performance (not part of `make test`): the gateway against a hand-written baseline on
# SQLite and PostgreSQL, and against PostGraphile v4 on PostgreSQL (docs/performance.md);
# results in bench/results/. PostGraphile comes from the npm registry, pinned by
# bench/peer/package-lock.json, into bench/peer/node_modules (once; again when the lock moves).
BENCH_ARGS ?=
PEER_STAMP := bench/peer/node_modules/.installed
$(PEER_STAMP): bench/peer/package.json bench/peer/package-lock.json
	cd bench/peer && npm ci --no-audit --no-fund --loglevel=error
	touch $(PEER_STAMP)

bench: $(STAMP) pg-up $(PEER_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

soak: $(STAMP)
	$(BIN)/python -m bench.run --soak 300 --db sqlite $(BENCH_ARGS)

PROFILE ?= list100:c
profile: $(STAMP)
	$(BIN)/python -m bench.run --profile $(PROFILE) --db sqlite $(BENCH_ARGS)

schema: $(STAMP)
	$(BIN)/gateway export-schema > schema.graphql

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache ui/node_modules \
		app/static/graphiql app/static/swagger bench/peer/node_modules
