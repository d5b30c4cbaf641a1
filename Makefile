PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: $(VENV) run test bench mutation lint translations clean

# Stamp files re-run the install whenever pyproject.toml changes. Running needs only the
# service's own dependencies; the test tools (Playwright, schemathesis, ...) come with `make test`.
$(VENV): $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(VENV)/.installed

# The demo runs as development: links and feed UIDs point at 127.0.0.1:$PORT without PUBLIC_URL.
run: export ROLLOUT_ENV ?= development
# The demo's metrics are summed here; a `rollout worker` given the same directory joins them.
# Emptied at each start: what the last run's processes counted is of no use to this one.
run: export PROMETHEUS_MULTIPROC_DIR ?= $(CURDIR)/instance/metrics
run: $(VENV)/.installed
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR" && rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db
	$(BIN)/rollout init && $(BIN)/rollout demo && $(BIN)/rollout serve --port $${PORT:-5000}

test: $(VENV)
	scripts/ensure-test-deps
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory tests/js/node_modules/.installed; fi
	$(BIN)/pytest -n $${TEST_WORKERS:-auto} $(PYTEST_ARGS)

# The JavaScript calendar clients of the feed tests; re-installed when the lock changes.
tests/js/node_modules/.installed: tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $@

bench: $(VENV)
	$(BIN)/python -m bench.windows
	$(BIN)/python -m bench.feeds
	$(BIN)/python -m bench.releases
	$(BIN)/python -m bench.jira
	$(BIN)/python -m bench.fix_status
	$(BIN)/python -m bench.notifications
	$(BIN)/python -m bench.scale

# Mutation testing of the pure rules on SQLite (minutes per module; not part of `make test` or CI):
# `make mutation` runs every module in scope, `make mutation MODULE=rollout/scheduling.py` one.
mutation: $(VENV)
	$(BIN)/python scripts/mutation.py $(MODULE)

# Re-extract the English msgids (babel.cfg says where), add new ones to each language's .po,
# drop the ones no code uses, and compile the .mo files read at run time. Translate what it
# adds (tests/rollout/test_i18n.py fails until you do), then run it again to compile.
translations: $(VENV)/.installed
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -c Translators: --add-location=file --sort-by-file \
		--project=Rollout -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d rollout/translations --ignore-obsolete
	$(BIN)/pybabel compile -d rollout/translations

lint: $(VENV)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .mypy_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
