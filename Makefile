# Two entry points for a fresh machine: `make run` (panel with demo data) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: install run db demo test lint mypy-baseline translations browser-deps clean-db serve \
	loadtest bench fuzz

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed translations

# Compiled catalogs (*.mo) are build output, not tracked: made from the .po when it is newer.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations: $(CATALOGS)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Schema through Alembic migrations, then posts, roles and permissions.
db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask setup

demo: db
	$(BIN)/flask demo load

run: demo
	HOST=$(HOST) PORT=$(PORT) scripts/run-panel.sh

# Production serving on PostgreSQL: gunicorn workers plus one scheduler (see README).
SERVE_DATABASE_URL ?= $(or $(DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/procurement)

# Limits in the local Redis when it answers and RATELIMIT_STORAGE_URI is not set (one shell:
# the storage chosen once holds for the migration, `flask setup` and the workers).
serve: install
	$(BIN)/python scripts/ensure-database.py "$(SERVE_DATABASE_URL)"
	export DATABASE_URL="$(SERVE_DATABASE_URL)" && \
	export RATELIMIT_STORAGE_URI="$$(scripts/ratelimit-storage.sh)" RATELIMIT_STORAGE_SAID=1 && \
	$(BIN)/flask db upgrade && $(BIN)/flask setup && \
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

# Bounded loopback load test on a fresh PostgreSQL database; writes docs/performance.md.
loadtest: install
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# Benchmarks (bench/__main__.py); see docs/performance.md.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# ruff, then the import contracts, then mypy against mypy-baseline.txt (see README, make lint).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/python scripts/mypy-baseline.py

# Lower mypy-baseline.txt after fixing type errors (it never raises an entry).
mypy-baseline: install
	$(BIN)/python scripts/mypy-baseline.py --update

browser-deps:
	scripts/ensure-browser.sh

test: install browser-deps lint
	scripts/run-tests.sh
	FUZZ_EXAMPLES=$(FUZZ_SHORT_EXAMPLES) FUZZ_BUDGET=$(FUZZ_SHORT_BUDGET) \
		FUZZ_PHASES=examples,fuzzing $(BIN)/python -m bench.fuzz

# schemathesis against the OpenAPI document as each kind of API client: no answer may be a 5xx
# (bench/fuzz.py; FUZZ_EXAMPLES, FUZZ_BUDGET, FUZZ_SEED, FUZZ_ROLES, FUZZ_PHASES,
# FUZZ_DATABASE_URL). `make test` ends with a short run without the coverage phase.
FUZZ_SHORT_EXAMPLES ?= 5
FUZZ_SHORT_BUDGET ?= 120

fuzz: install
	$(BIN)/python -m bench.fuzz

clean-db:
	rm -f instance/procurement.db
