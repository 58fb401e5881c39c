# trust-it: `make demo` to try it, `make test` to check it. Both build .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Where `make demo` serves: `make demo PORT=5001` when 5000 is taken, HOST=0.0.0.0 to show it on the network.
HOST ?= 127.0.0.1
PORT ?= 5000

demo: $(STAMP)
	$(BIN)/trust-it demo --host $(HOST) --port $(PORT)

# A test that passes today must pass next year: the suite runs again on a clock this many days ahead.
CLOCK_AHEAD_DAYS ?= 400

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest
	TRUST_IT_TEST_CLOCK_OFFSET_DAYS=$(CLOCK_AHEAD_DAYS) $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) instance build *.egg-info
