# kabinet — the two commands: `make up` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test test-local unit lint bench lock clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

## Start NATS, PostgreSQL, every service and the gateway; seed demo data.
up: $(STAMP)
	$(BIN)/kabinet up

## The whole suite on real PostgreSQL and real NATS.
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

## The integration suite against servers already running on this machine.
LOCAL_DB ?= postgresql://postgres@127.0.0.1:5432/postgres
LOCAL_NATS ?= nats://127.0.0.1:4222
test-local: $(STAMP)
	KABINET_TEST_DATABASE_URL=$(LOCAL_DB) KABINET_TEST_NATS_URL=$(LOCAL_NATS) \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/integration

unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy kabinet contracts gateway services suite
	$(BIN)/lint-imports --no-logo

bench: $(STAMP)
	$(BIN)/kabinet bench pipeline

## Re-resolve the pinned lock file after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) var
