# The book's commands. `make help` lists them; README.md explains them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1
# The lab is timed and tested single-threaded: two BLAS threads are slower
# under contention on a 2-core machine, and results must not depend on it.
export OPENBLAS_NUM_THREADS := 1

.PHONY: help book test serve bench clean chromium offline scorm

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# --- set-up (stamps re-run a step only when its inputs change) -------------
$(VENV)/.book-deps: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.book-deps
	$(BIN)/python -m pip install --quiet -e '.[test,torch]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# --- commands ---------------------------------------------------------------
book: $(VENV)/.book-deps node_modules/.installed ## Install what is needed and build the site into site/
	$(BIN)/mkdocs build --strict --site-dir site
	@echo ""
	@echo "Built site/. Read it with 'make serve' (http://127.0.0.1:8000),"
	@echo "or open site/index.html in a browser."

test: book $(VENV)/.test-deps chromium ## Build, then run every test (browser tests included)
	$(BIN)/python -m pytest

serve: $(VENV)/.book-deps node_modules/.installed ## Live preview on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

bench: book $(VENV)/.test-deps chromium bench/node_modules/.installed ## Measure lab, build, pages, Lighthouse; writes bench/report.{md,json}
	$(BIN)/python bench/run.py

# Lighthouse is pinned in bench/package-lock.json: only `make bench` needs it.
bench/node_modules/.installed: bench/package.json bench/package-lock.json
	npm ci --prefix bench --no-audit --no-fund
	touch $@

offline: $(VENV)/.book-deps node_modules/.installed ## Build the offline copy dist/llm-training-book-offline.zip (unzip, open index.html)
	$(BIN)/python -m build_charts.offline

scorm: book ## One SCORM 1.2 package per chapter, for an LMS: dist/scorm/<chapter>.zip
	$(BIN)/python -m build_charts.scorm --site site --out dist/scorm

clean: ## Remove the built site, dist/ and caches (keeps .venv and node_modules)
	rm -rf site dist .pytest_cache .cache
