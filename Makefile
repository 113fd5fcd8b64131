# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both create (or refresh, when pyproject.toml changes) a local virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: venv demo test test-slow test-installed lint typecheck bench load-smoke clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## demo: play the scenario catalog against the embedded reference endpoint and mocks
demo: venv
	$(BIN)/flowharness demo

## test: lint, then the test suite (slow suites excluded; see test-slow)
test: venv lint typecheck
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not slow"

## test-slow: the suites behind the `slow` marker (subprocesses, locust, browsers)
test-slow: venv
	$(BIN)/python -m pytest -m slow --ignore=tests/packaging; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

## test-installed: build the wheel, install it with [load] into a fresh venv, run the
## commands and the pytest plugin from an empty directory (a few minutes)
test-installed: venv
	$(BIN)/python -m pytest -m slow tests/packaging

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

## bench: benchmarks print figures; they are not tests (BENCH_SECONDS per endpoint measurement;
## the endpoint benchmark needs 2 cores and uses wrk and redis-server when installed)
BENCH_SECONDS ?= 5
bench: venv
	$(BIN)/python benchmarks/crypto_throughput.py
	$(BIN)/python benchmarks/endpoint_cpu.py --seconds $(BENCH_SECONDS)
	$(BIN)/python benchmarks/load_wire.py

## load-smoke: ~30 s of lead journeys against the reference endpoint on loopback, then
## the budget verdict (LOAD_SMOKE_ARGS="--slow 4" shows it failing)
LOAD_SMOKE_ARGS ?=
load-smoke: venv
	$(BIN)/flowharness load smoke $(LOAD_SMOKE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
