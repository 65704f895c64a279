# The course in two commands: `make course` builds it, `make test` checks it.
# Each target creates .venv on first use and reinstalls only when requirements.lock or
# pyproject.toml changes. torch is installed first, alone, from its exact pin, so that no
# other package can pull a different (CUDA) build.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_PIN := $(shell grep -E '^torch==' requirements.lock)
# make test spreads the test files over the cores (pytest-xdist; at most 4 workers, each holds
# torch). loadscope keeps a notebook's cells, and a module's tests, on one worker, in order.
# `make test PYTEST_ARGS=` runs serially; plain `pytest` in .venv is serial too.
# `make test TESTS=notebooks` runs only those paths.
PYTEST_ARGS ?= -n auto --maxprocesses=4 --dist loadscope
TESTS ?=

.PHONY: course test lab student bench benchmarks clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lossbook needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "$(TORCH_PIN)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

course: $(STAMP)
	$(PY) -m lossbook build

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) $(TESTS)

# `make student` writes build/student/; `make student RUN=1` also executes it and fails if a
# notebook of the student edition breaks (CI does).
student: $(STAMP)
	$(PY) -m lossbook student $(if $(RUN),--run,)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) -m benchmarks $(if $(QUICK),--quick --out build/bench-quick,--make-test)

clean:
	rm -rf build site $(VENV)
