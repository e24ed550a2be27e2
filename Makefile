# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint bench clean

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

clean:
	rm -rf $(VENV) data bench/out
