# The course in two commands: `make course` builds it, `make test` checks it.
# Each target creates .venv on first use and reinstalls only when requirements.lock or
# pyproject.toml changes. torch is installed first, alone, from its exact pin, so that no
# other package can pull a different build.
#
# TORCH_INDEX_URL: where that first install looks for torch. Unset, pip's own configuration
# decides (PyPI's Linux wheel of torch is the CUDA build, several GB of GPU libraries; macOS and
# Windows wheels are CPU-only). On Linux without a GPU, PyTorch's CPU wheels are much smaller:
#   make test TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_PIN := $(shell grep -E '^torch==' requirements.lock)
TORCH_INDEX_URL ?=
# make test spreads the test files over the cores (pytest-xdist; at most 4 workers, each holds
# torch). loadscope keeps a notebook's cells, and a module's tests, on one worker, in order.
# `make test PYTEST_ARGS=` runs serially; plain `pytest` in .venv is serial too.
# `make test TESTS=notebooks` runs only those paths. The tests marked integration (the site in
# headless Chromium, the benchmarks' quick run) are left to `make integration`; CI runs both.
PYTEST_ARGS ?= -n auto --maxprocesses=4 --dist loadscope
TESTS ?=

.PHONY: course test integration portable lab student bench benchmarks clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lossbook needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL) )"$(TORCH_PIN)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

course: $(STAMP)
	$(PY) -m lossbook build

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) $(TESTS)

integration: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) -m integration tests

# `make portable` checks that the stored outputs and the figures do not depend on the CPU's
# instruction set. It re-runs every notebook under strict nbval with the kernels limited to
# SSE4.1/4.2 and then to AVX2 (oneDNN, ATen, MKL, OpenBLAS and NumPy's own SIMD loops; limits
# above what the CPU has change nothing), and builds the course once (`make course`) under the
# first selection; after each run every figure must be byte-identical to the one there before
# (a figure that differs stays in figures/ for `git diff`). The selections are x86-64 ones (the
# AVX2 one needs an AVX2 CPU); elsewhere, e.g. on arm64, ATen's generic kernels are the one
# alternative.
ifeq ($(shell uname -m),x86_64)
PORTABLE_1 := ONEDNN_MAX_CPU_ISA=SSE41 ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE \
	OPENBLAS_CORETYPE=Nehalem NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL"
PORTABLE_2 := ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 \
	OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL"
else
PORTABLE_1 := ATEN_CPU_CAPABILITY=default
PORTABLE_2 :=
endif
SAME_FIGURES := diff -rq build/figures-before figures

portable: $(STAMP)
	rm -rf build/figures-before && mkdir -p build && cp -R figures build/figures-before
	env $(PORTABLE_1) $(PY) -c "import torch; print('ATen kernels:', torch.backends.cpu.get_cpu_capability())"
	env $(PORTABLE_1) $(PY) -m pytest $(PYTEST_ARGS) notebooks
	$(SAME_FIGURES)
	$(if $(PORTABLE_2),env $(PORTABLE_2) $(PY) -c "import torch; print('ATen kernels:', torch.backends.cpu.get_cpu_capability())")
	$(if $(PORTABLE_2),env $(PORTABLE_2) $(PY) -m pytest $(PYTEST_ARGS) notebooks)
	$(if $(PORTABLE_2),$(SAME_FIGURES))
	env $(PORTABLE_1) $(MAKE) course
	$(SAME_FIGURES)
	@echo "portable: the same outputs and byte-identical figures under every kernel selection"

# `make student` writes build/student/; `make student RUN=1` also executes it and fails if a
# notebook of the student edition breaks (CI does). It refuses to replace an edition whose
# notebooks were changed (a learner's answers) unless FORCE=1.
student: $(STAMP)
	$(PY) -m lossbook student $(if $(RUN),--run,) $(if $(FORCE),--force,)

# `make lab` opens the notebooks as stored, with outputs and solutions; `make lab STUDENT=1`
# opens the student edition in build/student/, writing it first if it is not there (an existing
# edition, with a learner's answers in it, is opened as it is).
lab: $(STAMP)
ifdef STUDENT
	test -d build/student || $(PY) -m lossbook student
	$(VENV)/bin/jupyter lab build/student/
else
	$(VENV)/bin/jupyter lab notebooks/
endif

bench: $(STAMP)
	$(PY) -m benchmarks $(if $(QUICK),--quick --out build/bench-quick,--make-test)

clean:
	rm -rf build site $(VENV)
