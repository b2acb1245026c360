# Wirewatch — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test unit integration lint format eval clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install Wirewatch with its test tools

demo: install  ## broker + worker + the sample stream, printed live; Ctrl-C stops it all
	$(BIN)/wirewatch demo

test: install lint  ## lint, then the whole suite (starts and stops its own Kafka broker)
	$(BIN)/pytest -ra

unit: install
	$(BIN)/pytest -ra tests/unit

integration: install
	$(BIN)/pytest -ra tests/integration

lint: install
	$(BIN)/ruff check streams tests bench
	$(BIN)/ruff format --check streams tests bench

format: install
	$(BIN)/ruff format streams tests bench
	$(BIN)/ruff check --fix streams tests bench

eval: install  ## precision/recall/F1 on ../shared/corpora (skips when absent)
	$(BIN)/wirewatch eval

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
