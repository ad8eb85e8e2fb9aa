# Developer entry points. On a fresh Debian/Ubuntu clone `make demo` and `make test` create the
# virtual environment, install the project and, as root, the system packages they need.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := QT_QPA_PLATFORM=offscreen $(PY) -m pytest
# pytest-xdist workers; the suite gives each worker its own data directory and database.
# PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

.PHONY: demo test test-postgres test-slow bench bench-load bench-windows bundle bundle-windows lint clean

$(VENV)/ready: pyproject.toml
	.ci/system-deps.sh --runtime
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[server,client,dev]'
	touch $@

# Seeded demo on 127.0.0.1 plus the client; offscreen smoke run without a display.
demo: $(VENV)/ready
	$(PY) -m crm_server.cli demo $(DEMO_ARGS)

# Tests marked "postgres" (they start and restart PostgreSQL clusters of their own) run only in
# the PostgreSQL suite.
test: $(VENV)/ready
	.ci/system-deps.sh
	$(PYTEST) -q -n $(PYTEST_WORKERS) -m "not slow and not postgres"

# Against CRM_TEST_DATABASE_URL, or a throwaway cluster started here when it is not set.
test-postgres: $(VENV)/ready
	.ci/system-deps.sh
ifeq ($(CRM_TEST_DATABASE_URL),)
	.ci/with-postgres.sh $(MAKE) --no-print-directory test-postgres
else
	$(PYTEST) -q -n $(PYTEST_WORKERS) -m "not slow"
endif

# Builds the client bundles (Linux; Windows under Wine) and starts them.
test-slow: $(VENV)/ready
	.ci/system-deps.sh --windows
	$(PYTEST) -q -m slow

# The million-customer benchmark on PostgreSQL (bench/run.py; generating the data takes a
# while the first time). BENCH_ARGS="--customers 100000" for a quicker run.
bench: $(VENV)/ready
	.ci/system-deps.sh
	$(PY) bench/run.py $(BENCH_ARGS)

# Fifty and two hundred people at once against one `crm-server run` on the same database
# (bench/load.py). BENCH_LOAD_ARGS="--users 50 --duration 60" for a single phase.
bench-load: $(VENV)/ready
	.ci/system-deps.sh
	$(PY) bench/load.py $(BENCH_LOAD_ARGS)

# Installer sizes and the installed client's cold start under Wine (bench/windows_client.py);
# BENCH_WINDOWS_ARGS="--clean-build" also times make bundle-windows from a clean clone.
bench-windows: bundle-windows
	$(PY) bench/windows_client.py $(BENCH_WINDOWS_ARGS)

bundle: $(VENV)/ready
	installer/build.sh

# The Windows client bundle, built on Linux under Wine (dist/windows/crm-client/), and its
# installers: dist/windows/crm-client-setup-X.Y.Z.exe and .msi (installer/README.md).
bundle-windows: $(VENV)/ready
	.ci/system-deps.sh --windows
	installer/windows/build.sh

lint: $(VENV)/ready
	$(PY) -m ruff check .
	$(PY) -m mypy
	shellcheck .ci/run .ci/*.sh deploy_onprem/*.sh installer/*.sh installer/windows/*.sh

# Build output and the demo data; .venv stays (remove it by hand to start over).
clean:
	rm -rf build dist *.egg-info var/demo var/demo.partial var/demo-smoke.png var/ci
	rm -rf .pytest_cache .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
