# Developer commands. A fresh machine needs only `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Extra arguments for both pytest passes, e.g. `make test PYTEST_ARGS="-x tests/tickets"`.
PYTEST_ARGS ?=

.PHONY: venv web run test bench lint clean

venv: $(VENV)/.installed

# The stamp makes a re-run instant; editing pyproject.toml reinstalls.
$(VENV)/.installed: pyproject.toml
	@start=$$(date +%s); \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || exit 1; \
	$(PIP) install --quiet --upgrade pip || exit 1; \
	$(PIP) install --quiet -e '.[dev]' || exit 1; \
	touch $@; \
	echo "==> $(VENV) ready in $$(( $$(date +%s) - start ))s"

# The front end (web/: console, portal, widget) built into web/dist by npm. `npm ci` runs
# when node_modules is missing or older than the lock file; the build when a source is
# newer than the last build's stamp.
WEB := web
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(wildcard $(WEB)/*.html $(WEB)/*.ts $(WEB)/tsconfig*.json) $(WEB)/package.json

web: $(WEB)/dist/.built

$(WEB)/node_modules/.installed: $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm" >&2; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(WEB)/dist/.built: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	@start=$$(date +%s); \
	cd $(WEB) && npm run build || exit 1; \
	touch dist/.built; \
	echo "==> web front end built in $$(( $$(date +%s) - start ))s"

run: venv web
	$(BIN)/yiwen serve

# Both passes always run, so one report shows every failure; either failing fails
# the target. The PostgreSQL pass is skipped (loudly) only where PostgreSQL cannot
# even be installed with apt-get.
test: venv web
	@status=0; \
	start=$$(date +%s); \
	echo "==> pytest on SQLite"; \
	$(BIN)/pytest $(PYTEST_ARGS) || status=1; \
	echo "==> SQLite pass: $$(( $$(date +%s) - start ))s"; \
	start=$$(date +%s); \
	if $(BIN)/python -m tests.support.postgres >/dev/null; then \
		echo "==> pytest on PostgreSQL ($$($(BIN)/python -m tests.support.postgres))"; \
		YIWEN_TEST_DB=postgresql $(BIN)/pytest $(PYTEST_ARGS) || status=1; \
		echo "==> PostgreSQL pass: $$(( $$(date +%s) - start ))s"; \
	elif command -v apt-get >/dev/null; then \
		echo "==> FAILED: PostgreSQL is not installed, and the PostgreSQL pass is required." >&2; \
		echo "==> Install it with: apt-get install postgresql   (.ci/run does this itself)" >&2; \
		status=1; \
	else \
		echo "" >&2; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2; \
		echo "!! WARNING: PostgreSQL NOT FOUND - the PostgreSQL pass was SKIPPED." >&2; \
		echo "!! Only SQLite was tested. Install PostgreSQL (initdb or pg_config on" >&2; \
		echo "!! PATH) and run make test again before trusting this result." >&2; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2; \
		echo "" >&2; \
	fi; \
	if [ $$status -ne 0 ]; then echo "==> make test FAILED" >&2; else echo "==> make test passed"; fi; \
	exit $$status

bench: venv
	$(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Removes build output and caches; keeps .venv and var/ (the local database).
clean:
	rm -rf build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts
	find . \( -path ./.venv -o -path ./.git -o -name node_modules \) -prune \
		-o -name __pycache__ -type d -prune -exec rm -rf {} +
