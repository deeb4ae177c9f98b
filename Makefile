# qofsim: two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MESH_VENV  := .venv-mesh
MESH_STAMP := $(MESH_VENV)/.installed-stamp
SCENARIO ?= scenarios/qof-2012-13-infrastructure-test.yaml
PROFILE ?= extraction-window
LOAD_ARGS ?=

.PHONY: install demo test bdd steps load bench system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## the MESH server of `transport: mesh` worlds, in its own virtual environment (it pins an older FastAPI)
$(MESH_STAMP): scripts/mesh-sandbox-requirements.txt
	$(PYTHON) -m venv $(MESH_VENV)
	$(MESH_VENV)/bin/python -m pip install --quiet -r scripts/mesh-sandbox-requirements.txt
	touch $(MESH_STAMP)

install: $(STAMP) $(MESH_STAMP)

## the end-to-end simulation on the embedded defaults; writes reports/<run-id>/
demo: install
	$(BIN)/qofsim run $(SCENARIO)

## every test: unit, spec, property, integration over loopback HTTP, BDD features (those tagged @slow,
## kill-and-restart and supplier personalities, are left to `make bdd`: tests/world/ covers the same ground);
## the store tests on SQLite and on a throw-away PostgreSQL server (system-packages installs it when absent)
test: install system-packages
	QOFSIM_BDD_SKIP_SLOW=1 $(BIN)/python -m pytest

## every Gherkin feature under features/, each world brought up by the suite; reports in reports/bdd/
## (cucumber.json, junit.xml, report.html). Narrow it: make bdd BDD_ARGS="features/02-gpes --tags @gpes"
bdd: install
	$(BIN)/qofsim bdd $(BDD_ARGS)

## the step glossary, generated from the step library
steps: install
	@$(BIN)/qofsim steps

## a Locust load profile (load/<profile>.py), headless and bounded, then checked; reports/load/<run-id>/
## e.g. make load PROFILE=year-end-peak LOAD_ARGS="--run-time 30s --workers 2"
load: install
	$(BIN)/qofsim load $(PROFILE) $(LOAD_ARGS)

## scale benchmarks (not part of `make test`); figures go in the README
bench: install
	$(BIN)/python -m simulator.bench

## Debian's postgresql when absent (root, network to Debian's mirrors); quick when present
system-packages:
	bash scripts/system-packages.sh

clean:
	rm -rf $(VENV) $(MESH_VENV) build *.egg-info .pytest_cache
