# The two commands of the README's quick start. Each does all set-up on a fresh machine.
#   make run    create .venv, install bmdsim, run the default scenario into ./out
#   make test   create .venv, install bmdsim with its test extras (and Chromium for the
#               browser test of the report), run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Debian's chromium drives the headless browser test of report.html (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

run: install
	$(BIN)/bmdsim run --out out

test: install-test chromium
	$(BIN)/python -m pytest -n auto
