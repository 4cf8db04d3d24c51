# The two set-up commands (README): `make demo` and `make test`.
# Each creates .venv on a fresh machine; nothing else needs installing by hand
# except the Debian packages that .ci/run installs (chromium, pango, CJK fonts, poppler).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_OF  ?= 2026-11-28
OUT    ?= out

.PHONY: demo test lint typecheck pytest venv clean bench mutate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,test]'
	touch $(STAMP)

venv: $(STAMP)

## demo: validate, plan, render and publish the handbook for the bundled example
demo: $(STAMP)
	$(BIN)/dunning build --accounts examples/accounts.csv --history examples/history.csv \
	  --as-of $(AS_OF) --horizon 7 --forecast-days 14 --out $(OUT) .

## test: ruff, mypy --strict on the package, its tests and tools, and the whole pytest suite
test: lint typecheck pytest

LINT_PATHS = $(wildcard generator tests benchmarks tools)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -p no:cacheprovider

# the side-by-side benchmarks of the README's performance table (≈ 15 min; the pandas peer
# comes with the bench extra)
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/plan_bench.py --sizes 100000,1000000 --repeat 3
	$(BIN)/python benchmarks/gate_bench.py
	$(BIN)/python benchmarks/build_bench.py --accounts 1000000 --peer-accounts 100000 --peer-python $(BIN)/python

# mutation testing of one module against the tests that import it (docs/testing.md; minutes,
# not in CI): make mutate MODULE=dunning/compliance/windows.py [TESTS="tests/x.py tests/y.py"]
MODULE ?=
TESTS  ?=
mutate: $(STAMP)
	@test -n "$(MODULE)" || { echo "usage: make mutate MODULE=dunning/compliance/windows.py [TESTS=...]"; exit 2; }
	$(BIN)/pip install --quiet -e '.[mutate]'
	$(BIN)/python tools/mutate.py $(MODULE) --show $(if $(TESTS),--tests $(TESTS))

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info .mutate
