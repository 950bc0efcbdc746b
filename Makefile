# Loupe Factory. Quick start: `make run` (serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test bench setup prepare browser demo-large clean-data

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

prepare: setup
	$(PY) -m lib.cli prepare

# DEMO=0 (or LOUPE_DEMO=0): an empty database is served without the demo, to create a real workspace.
DEMO ?= $(if $(LOUPE_DEMO),$(LOUPE_DEMO),1)
run: setup
	LOUPE_DEMO=$(DEMO) $(PY) -m lib.cli serve --port $(PORT)

# Browser tests need Debian's chromium; install it when we may, else they skip and say so.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing chromium for the browser tests (apt-get)…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "NOTE: /usr/bin/chromium is missing, browser tests will be skipped. Fix: sudo apt-get install -y chromium"; \
	fi

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench.run

demo-large: setup
	$(PY) -m lib.demo --scale large
