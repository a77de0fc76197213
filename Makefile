# Two commands on a fresh machine (README): `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup demo test lint dag paper clean-demo

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock tools/ensure-egl.sh
	tools/ensure-egl.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/python -m stages.demo --cores $(CORES)

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check drnet stages tests benchmarks
	$(BIN)/snakemake --lint

dag: setup
	$(BIN)/python -m stages.dag write
