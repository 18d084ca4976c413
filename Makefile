# The README's two commands: `make demo` and `make test`. Both set up .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install bench sample-inbox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The whole yearly cycle on the sample workspace. `run` exits 1 because the sample inbox,
# like a real one, has a rejected file and an agency that never sent: that is the point.
demo: $(STAMP)
	$(BIN)/baocao plan show
	$(BIN)/baocao agencies --year 2015
	$(BIN)/baocao generate --year 2015
	$(BIN)/baocao run --year 2015 || [ $$? -eq 1 ]
	$(BIN)/baocao report --period 2014-2020

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Rebuild inbox/2014..2016 of the sample workspace (uses LibreOffice when installed).
sample-inbox: $(STAMP)
	$(BIN)/python scripts/make_sample_inbox.py

clean:
	rm -rf $(VENV) outbox/*/
