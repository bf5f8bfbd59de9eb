# Two entry points for a fresh machine: `make demo` (main job) and `make test` (lint + whole suite).
# Both create or refresh the virtual environment in .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= results/demo

.PHONY: demo test lint env clean

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt tools/cpu_torchvision.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[text,models,dev]"
	$(BIN)/python tools/cpu_torchvision.py
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fovkit demo --out $(DEMO_OUT) --overwrite

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

test: lint
	$(BIN)/python -m pytest -n 2

clean:
	rm -rf $(VENV) results
