# Two commands on a fresh machine:  make demo   and   make test
# Both create the virtualenv (.venv) and install the project on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## A full sync of the generated demo board, on the embedded SQLite store.
demo: $(STAMP)
	sh scripts/ensure-pdf.sh
	$(BIN)/provisioner demo

## The whole test suite (PostgreSQL at 127.0.0.1:5432 is started if it is down).
test: $(STAMP)
	sh scripts/ensure-postgres.sh
	sh scripts/ensure-samba.sh
	sh scripts/ensure-pdf.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check provisioner connectors bot tests benchmarks
	$(BIN)/mypy --strict provisioner connectors bot tests
	# import contracts in pyproject.toml: production code never imports the emulators
	$(BIN)/lint-imports --no-cache
	# every sentence in both catalogues (provisioner/locale), with the same placeholders
	$(BIN)/python -m provisioner.i18n check .
	# apart: benchmarks/bot.py would clash with the bot package as a module name
	$(BIN)/mypy --strict benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/plan.py

clean:
	rm -rf $(VENV) .provisioner-demo
