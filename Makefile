# sigtrack: `make demo` runs the main job offline on SQLite and serves its dashboard
# (`make demo DEMO_ARGS=--no-serve` stops after the report); `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test check format lint types contracts bench bench-settle bench-settle-e2e bench-stats bench-activity bench-api bench-scale-out reliability clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sigtrack needs Python >= 3.11 (got %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/sigtrack demo $(DEMO_ARGS)

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/ruff check src tests bench scripts

types: $(VENV)/.installed-dev
	$(BIN)/mypy

contracts: $(VENV)/.installed-dev
	$(BIN)/lint-imports

check: lint types contracts test

bench: $(VENV)/.installed-dev
	$(PY) bench/store.py

bench-stats: $(VENV)/.installed-dev
	$(PY) bench/stats.py

bench-activity: $(VENV)/.installed-dev
	$(PY) bench/activity.py

bench-settle-e2e: $(VENV)/.installed-dev
	$(PY) bench/settle_e2e.py

bench-api: $(VENV)/.installed-dev
	$(PY) bench/api.py

bench-scale-out: $(VENV)/.installed-dev
	$(PY) bench/scale_out.py

reliability: $(VENV)/.installed-dev
	$(PY) bench/reliability.py

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench-settle: $(VENV)/.installed-bench
	$(PY) bench/settle.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info
