# The two commands of the README: `make run` and `make test`. Each sets up .venv first.
# kitflow needs Python 3.11 (README, "Requirements"): python3.11 where there is one.
PY ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
AS_OF ?= 2020-12-31

$(BIN)/kitflow: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/kitflow

.PHONY: setup run test lint
setup: $(BIN)/kitflow

run: setup
	$(BIN)/kitflow run --as-of $(AS_OF)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
