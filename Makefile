# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint bench mutants clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tally demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bot agents connectors storage

# Every benchmark (the 10M-order ones build their data once, under bench/out/; allow an hour).
bench: $(STAMP)
	$(BIN)/python bench/catalog.py --orders 1000000
	$(BIN)/python bench/catalog.py --orders 10000000
	$(BIN)/python bench/ask.py --orders 1000000
	$(BIN)/python bench/ask.py --orders 10000000 --slowest 10
	$(BIN)/python bench/graph.py
	PYTHONPATH=. $(BIN)/python bench/slack.py
	PYTHONPATH=. $(BIN)/python bench/webhooks.py
	$(BIN)/python bench/digest.py --workspaces 1000

# Mutation testing of the catalog, derived tables, parser, number guard and webhook checks
# ([tool.mutmut] in pyproject.toml). Not in CI: about an hour on two cores. `mutmut results`
# lists the survivors, `mutmut show NAME` shows one.
mutants: $(STAMP)
	rm -rf mutants
	nice -n 19 $(BIN)/mutmut run --max-children 2
	$(BIN)/python bench/mutants.py --survivors

clean:
	rm -rf $(VENV) data bench/out
