# Two commands on a fresh machine: `make run` and `make test`.
# The interpreter: Python 3.13 or 3.12, found by scripts/find_python.sh (PATH, then pyenv);
# `make run PY=/path/to/python3.12 VENV=.venv312` picks another.
PY ?= $(shell scripts/find_python.sh 2>/dev/null)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VIZ_STAMP := $(VENV)/.viz-installed
BROWSER_STAMP := $(VENV)/.browser-installed
CHROMIUM := /usr/bin/chromium
LINTED := src tests benchmarks experiments scripts

.PHONY: run test test-cli lint validate bench clean dashboard baseline lock wheel-check

$(STAMP): pyproject.toml constraints.txt
	@[ -n "$(PY)" ] || { scripts/find_python.sh >/dev/null; exit 1; }
	@$(PY) -c 'import sys; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)' \
		|| { echo "hrsim needs Python 3.12 or 3.13; $(PY) is $$($(PY) -V 2>&1)"; exit 1; }
	@echo "hrsim: using $$($(PY) -V 2>&1) at $(PY) for $(VENV)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,dist,research]"
	touch $(STAMP)

# The dashboard's extra, and the front-end files Solara would fetch from a CDN (offline use).
$(VIZ_STAMP): $(STAMP) src/hrsim/dashboard/offline_assets.py
	$(BIN)/pip install --quiet -c constraints.txt -e ".[viz]"
	$(BIN)/python -m hrsim.dashboard.offline_assets
	touch $(VIZ_STAMP)

# The browser tests drive Debian's Chromium with Playwright (never `playwright install`).
$(BROWSER_STAMP): $(VIZ_STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[browser]"
	touch $(BROWSER_STAMP)

$(CHROMIUM):
	@[ "$$(id -u)" = 0 ] || { echo "the browser tests need $(CHROMIUM): sudo apt-get install chromium"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

dashboard: $(VIZ_STAMP)
	$(BIN)/hrsim dashboard

run: $(STAMP)
	$(BIN)/hrsim run scenarios/baseline.toml --out runs/baseline

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy src

test: $(STAMP) $(BROWSER_STAMP) $(CHROMIUM) lint
	$(BIN)/pytest -n 2 --dist loadfile tests

# The command-line tests alone (CI runs them on the second supported Python).
test-cli: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile tests/test_cli.py tests/test_layout.py tests/test_profile.py

# Rerun the regression cases and rewrite tests/regression/baseline.json (review the diff).
baseline: $(STAMP)
	$(BIN)/python tests/regression/update_baseline.py

# Re-pin every package in constraints.txt (CHECK_PY=... also checks the other Python).
lock:
	PY=$(PY) scripts/lock.sh

# Build the sdist and wheel, install the wheel outside the checkout, run hrsim from it.
wheel-check: $(VIZ_STAMP)
	PY=$(PY) BUILD_PY=$(BIN)/python scripts/check_wheel.sh

validate: $(STAMP)
	$(BIN)/hrsim validate

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
