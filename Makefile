# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VIZ_STAMP := $(VENV)/.viz-installed
BROWSER_STAMP := $(VENV)/.browser-installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint validate bench clean dashboard baseline

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null 2>&1 || { echo "need Python 3.11 ($(PY))"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,dist,research]"
	touch $(STAMP)

# The dashboard's extra, and the front-end files Solara would fetch from a CDN (offline use).
$(VIZ_STAMP): $(STAMP) dashboards/offline_assets.py
	$(BIN)/pip install --quiet -c constraints.txt -e ".[viz]"
	$(BIN)/python dashboards/offline_assets.py
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

test: $(STAMP) $(BROWSER_STAMP) $(CHROMIUM)
	$(BIN)/ruff check src tests benchmarks experiments dashboards
	$(BIN)/ruff format --check src tests benchmarks experiments dashboards
	$(BIN)/mypy src dashboards
	$(BIN)/pytest -n 2 --dist loadfile tests

validate: $(STAMP)
	$(BIN)/hrsim validate

# Rerun the regression cases and rewrite tests/regression/baseline.json (review the diff).
baseline: $(STAMP)
	$(BIN)/python tests/regression/update_baseline.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
