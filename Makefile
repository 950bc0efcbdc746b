# Loupe Factory. Quick start: `make run` (serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

# Dependencies are installed from the committed hash locks with uv, which `make`
# puts into the virtual environment itself (pinned here) the first time.
# requirements.lock: the app; requirements-test.lock: the same versions plus the
# test tools. `make lock` regenerates both from pyproject.toml.
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# uv uses the venv's interpreter (--python) and never downloads one.
export UV_PYTHON_DOWNLOADS ?= never
UV_PIP := $(UV) pip
INSTALL_FLAGS := --python $(PY) --require-hashes
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --annotation-style line

.PHONY: run test bench setup setup-test lock prepare browser demo-large clean-data

$(PY):
	@echo "Creating the virtual environment $(VENV) with $(PYTHON)…"
	$(PYTHON) -m venv $(VENV)

$(UV_STAMP): | $(PY)
	@echo "Installing uv $(UV_VERSION) into $(VENV) (first run only)…"
	$(PY) -m pip install --disable-pip-version-check uv==$(UV_VERSION)
	@touch $@

# The app's locked set. Additive on purpose: test tools installed by `make test`
# stay, and every package the lock names is put at its locked version.
$(RUN_STAMP): requirements.lock | $(UV_STAMP)
	@echo "Installing the app's locked dependencies into $(VENV) (first run, or requirements.lock changed)…"
	$(UV_PIP) install $(INSTALL_FLAGS) -r requirements.lock
	@touch $@

# The test set is exact: the venv ends up with the locked packages and nothing else
# (besides pip, setuptools and uv). It contains the app's set at the same versions.
# It also writes .pyc files for all of site-packages, as pip did: where
# PYTHONDONTWRITEBYTECODE is set (CI, our machines) every test server would
# otherwise import Streamlit, pandas & co. from source, 2-3 times slower.
# `make run` skips this (10-20 s) to serve sooner the first time.
$(TEST_STAMP): requirements-test.lock requirements.lock | $(UV_STAMP)
	@echo "Installing the locked dependencies and test tools into $(VENV) (first run, or a lock changed)…"
	$(UV_PIP) sync $(INSTALL_FLAGS) --compile-bytecode requirements-test.lock
	@touch $@ $(RUN_STAMP)

setup: $(RUN_STAMP)

setup-test: $(TEST_STAMP)

# After changing a dependency in pyproject.toml: `make lock`, then commit
# pyproject.toml and both lock files. Unchanged pins stay as they are locked;
# to move a transitive one too: make lock LOCK_ARGS="--upgrade-package NAME".
lock: | $(UV_STAMP)
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV_PIP) compile --quiet $(LOCK_FLAGS) $(LOCK_ARGS) \
		pyproject.toml -o requirements.lock
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV_PIP) compile --quiet $(LOCK_FLAGS) $(LOCK_ARGS) \
		pyproject.toml --extra test -c requirements.lock -o requirements-test.lock

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

test: setup-test browser
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench.run

demo-large: setup
	$(PY) -m lib.demo --scale large
