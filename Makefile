# The task runner that README and CI call. Creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINTED := $(wildcard src tests examples benchmarks docs scripts) conftest.py
# pytest workers (pytest-xdist): one per core ("auto"); `make test TEST_JOBS=0` runs in one
# process. worksteal hands each worker a contiguous share of the tests (1/N of them for N
# workers, so module fixtures are mostly built once) and lets an idle worker take the rest of
# another's queue.
TEST_JOBS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist worksteal

.PHONY: venv test test-slow lint typecheck demo bench docs clean

venv: $(STAMP)

# The version lives in src/kpmodel/__init__.py: a new one reinstalls, so that the installed
# metadata (importlib.metadata.version) says it too.
$(STAMP): pyproject.toml src/kpmodel/__init__.py
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[testing,plot,prov,sweep,distributed,sensitivity,excel,parquet,notebook]" --group dev --group docs
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# mypy and the docs build each take one core for most of a minute: side by side, then the tests.
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=target typecheck docs
	$(PYTEST)

# Long Hypothesis runs: many more examples per property.
test-slow: $(STAMP)
	HYPOTHESIS_PROFILE=slow $(PYTEST)

demo: $(STAMP)
	$(BIN)/kpmodel demo

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

docs: $(STAMP)
	$(BIN)/sphinx-build -q -n -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache .hypothesis
