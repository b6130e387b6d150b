# edgenn: `make demo` runs the digits recipe end to end; `make test` runs the test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install cmsisdsp demo test clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[train,scale,dev]'
	touch $(STAMP)

# CMSIS-DSP's C sources for the MFCC frontend, from the cmsisdsp source distribution on PyPI into the user
# cache (checked against a pinned sha256); a no-op once there.
cmsisdsp: install
	$(BIN)/python -m edgenn.frontend.csrc fetch

demo: install cmsisdsp
	$(BIN)/edgenn run models/digits_cnn.toml

# One worker per core; a file's tests stay on one worker, so module fixtures are built once.
test: install cmsisdsp
	$(BIN)/python -m pytest -n auto --dist loadfile

clean:
	rm -rf build .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
