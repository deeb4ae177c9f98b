# qofsim: two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/qof-2012-13-infrastructure-test.yaml
LOAD_SECONDS ?= 30

.PHONY: install demo test load bench system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## the end-to-end simulation on the embedded defaults; writes reports/<run-id>/
demo: install
	$(BIN)/qofsim run $(SCENARIO)

## every test: unit, spec, property, integration over loopback HTTP, BDD features; the store
## tests on SQLite and on a throw-away PostgreSQL server (system-packages installs it when absent)
test: install system-packages
	$(BIN)/python -m pytest

## Locust, headless, against the services on loopback, bounded in time; CSV + HTML under reports/load/
load: install
	$(BIN)/python load/run_load.py --seconds $(LOAD_SECONDS) --out reports/load

## scale benchmarks (not part of `make test`); figures go in the README
bench: install
	$(BIN)/python -m simulator.bench

## Debian's postgresql when absent (root, network to Debian's mirrors); quick when present
system-packages:
	bash scripts/system-packages.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
