# Syllabot: `make demo` runs the console demo, `make test` runs the test suite.
# Both set up .venv from scratch (torch's CPU wheel first, so pip never pulls CUDA).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo test lint typecheck check bench bench-deps clean db-upgrade

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

db-upgrade: install
	$(BIN)/syllabot db upgrade

demo: install
	$(BIN)/syllabot demo

test: install
	$(BIN)/python -m pytest -q -n 2

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

# Benchmark-only extra (LightFM WARP baseline in bench/recommend.py); not needed by `make test`.
# lightfm 1.17 is an sdist whose setup.py assigns to `__builtins__`, which is a dict under
# setuptools' exec; when the plain install fails, build the same sdist (sha256-pinned) with
# that one line patched to `import builtins`.
LIGHTFM_SDIST := https://files.pythonhosted.org/packages/1f/96/5ec230f5c27811534af0faaa8525f11c1000ee1c24c8a82c0546d0724aea/lightfm-1.17.tar.gz
LIGHTFM_SHA256 := 2b77ada182ccd768a8d7643ab3cfcd8b6e855db09087f7cc7329bd63316697a8

bench-deps: install
	$(BIN)/pip install setuptools wheel cython numpy
	$(BIN)/pip install --no-build-isolation lightfm || { \
	  tmp=$$(mktemp -d) && cd $$tmp && \
	  curl -fsSL -o lightfm-1.17.tar.gz $(LIGHTFM_SDIST) && \
	  echo "$(LIGHTFM_SHA256)  lightfm-1.17.tar.gz" | sha256sum -c - && \
	  tar xzf lightfm-1.17.tar.gz && \
	  sed -i 's/^__builtins__.__LIGHTFM_SETUP__ = True/import builtins; builtins.__LIGHTFM_SETUP__ = True/' lightfm-1.17/setup.py && \
	  $(CURDIR)/$(BIN)/pip install --no-build-isolation ./lightfm-1.17; }
	$(BIN)/python -c "import lightfm; print('lightfm', lightfm.__version__)"

bench: install
	$(BIN)/python bench/recommend.py
	$(BIN)/python bench/qa.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
