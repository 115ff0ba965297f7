# The two commands (see README): `make run` and `make test`. Both build the pinned environment first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: setup run test data lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

## The main job on the shipped example package.
run: $(STAMP)
	$(BIN)/pedcomm validate datapackage.json

## The test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

## Regenerate the shipped SYNTHETIC example package (seed 2021) from the generator.
data: $(STAMP)
	rm -rf .synth-tmp
	$(BIN)/pedcomm synth all --seed 2021 --out .synth-tmp
	rm -rf data && mv .synth-tmp/data data
	cp .synth-tmp/datapackage.json datapackage.json
	rm -rf .synth-tmp

## Re-pin the environment (maintainers; needs uv).
lock:
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
