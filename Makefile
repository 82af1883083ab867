# spigot: two commands on a bare machine with Python >= 3.11 and pip.
#   make run   creates .venv, installs spigot, runs the flagship scenario and writes a report
#   make test  creates .venv, installs spigot with its test tools, runs every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean venv browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/spigot data list
	$(BIN)/spigot data show --commodity rare_earths --stage mining
	$(BIN)/spigot run licence-squeeze
	@echo "report of the flagship scenario:"
	@$(BIN)/spigot report latest --quiet -o reports/licence-squeeze.html

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The dashboard's end-to-end tests drive Debian's Chromium (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser tests need Chromium: install it with 'sudo apt-get install -y chromium'"; \
	  fi; }

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
	find src -name '*.nbi' -delete -o -name '*.nbc' -delete
