# Two entry points for a newcomer: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint

# Python's own default: each module compiled once, then loaded from its cached bytecode. Where the environment
# sets PYTHONDONTWRITEBYTECODE, every process (the tests start many: servers, CLI commands) compiled the
# project's modules again as it started (0.2-0.4 s each), and pytest rewrote every test module on every run.
unexport PYTHONDONTWRITEBYTECODE

# uv installs in parallel and from its cache: 25 s for a fresh venv, where pip took 89 s (40 of them compiling
# the bytecode one file at a time). Compiled ahead all the same: the venv's programs also run outside make,
# where PYTHONDONTWRITEBYTECODE may be set and every process would compile what it imports. uv reads no
# pip.conf: on a machine whose registry only pip is configured to reach, pip installs instead.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]' \
		|| $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadline demo --hits 200000

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two processes, a test file each at a time: most tests wait on servers they start, and CI has 2 cores. Files
# go in the order tests/conftest.py sets (slow end-to-end ones first). The slowest tests are listed at the end,
# to keep the suite within its 20 minutes.
test: lint
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=20
