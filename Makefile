# Loupe Factory. Quick start: `make run` (serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STAMP := $(VENV)/.installed

# requirements.lock (the app) and requirements-test.lock (the same versions plus
# the test tools) lock every dependency with hashes; `make lock` regenerates both
# from pyproject.toml with uv, which it installs into the venv (pinned here).
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
export UV_PYTHON_DOWNLOADS ?= never
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --annotation-style line

.PHONY: run test bench setup lock prepare browser demo-large clean-data

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

$(UV_STAMP): | $(PY)
	@echo "Installing uv $(UV_VERSION) into $(VENV) (first run only)…"
	$(PY) -m pip install --disable-pip-version-check uv==$(UV_VERSION)
	@touch $@

# After changing a dependency in pyproject.toml: `make lock`, then commit
# pyproject.toml and both lock files. Unchanged pins stay as they are locked.
lock: | $(UV_STAMP)
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile --quiet $(LOCK_FLAGS) \
		pyproject.toml -o requirements.lock
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile --quiet $(LOCK_FLAGS) \
		pyproject.toml --extra test -c requirements.lock -o requirements-test.lock

prepare: setup
	$(PY) -m lib.cli prepare

run: setup
	$(PY) -m lib.cli serve --port $(PORT)

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
