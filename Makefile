# Inclusion report — `make report` builds everything, `make test` checks it.
# Both install what is missing first (uv, then the locked Python environment and the project's
# Jupyter kernel); the PDF comes from Typst, a Python wheel: no TeX, no system package for the
# report. `make test` also installs, as root on Debian, what the tests read PDFs and pages with.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV       := .venv
PY         := $(VENV)/bin/python
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
# The environment uses any Python 3.11, 3.12 or 3.13 that uv finds (the first on PATH; choose one
# with UV_PYTHON=3.12). uv does not download one unless asked: `make report
# UV_PYTHON_DOWNLOADS=automatic` fetches a build from GitHub where the network allows (off here
# and in CI, whose machines reach PyPI and Debian only).
PYTHONS    := >=3.11,<3.14
export UV_PYTHON_DOWNLOADS ?= never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# Debian packages the tests use (never the report): poppler-utils (pdftotext, pdfinfo, pdffonts,
# pdftohtml read the PDFs back) and chromium (the browser tests; installed by test-deps when
# no Chrome is found).
APT_PACKAGES := poppler-utils

# gettext catalogs of the report's languages (src/helpers/i18n.py): the .po files are
# written by people and committed; the .mo files are compiled from them by `make`.
LOCALE_DIR := src/helpers/locale
PO_FILES   := $(wildcard $(LOCALE_DIR)/*/LC_MESSAGES/messages.po)
MO_FILES   := $(PO_FILES:.po=.mo)
ENV_STAMP    := $(VENV)/.env-ok

# axe-core, the accessibility engine the browser test runs on every HTML report. The file is
# axe-core's own axe.min.js (v4.12.1, MPL-2.0), taken from a PyPI wheel that ships it, because
# PyPI is reachable wherever `make test` runs and the npm registry may not be; its SHA-256 is
# checked. Test-only: nothing of it reaches a report.
AXE_WHEEL  := axe-playwright-python==0.1.8
AXE_JS     := $(TOOLS)/axe/axe.min.js
AXE_SHA256 := 84494fec757e4710dc751c8d7a636e457f4532f08f85c86dc9070133fbff53bc

# nbstripout as git's clean filter for notebooks (.gitattributes routes *.ipynb to it): outputs
# and execution counts never reach a commit. --keep-id keeps the notebooks' named cell ids; the
# extra keys drop what a kernel writes into the metadata (interpreter version, papermill's
# timings) but keep kernelspec, tags and inclusion_report.
NBSTRIPOUT   := "$(CURDIR)/$(VENV)/bin/nbstripout" --keep-id
NBSTRIP_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
                metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
                metadata.language_info.pygments_lexer metadata.language_info.version \
                metadata.papermill cell.metadata.papermill

.PHONY: help setup macos-deps apt-packages test-deps git-filter locale report test test-fast lint lab bench mutation docs clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

apt-packages: # The Debian packages the tests need, one line (for CI steps that install them with sudo)
	@echo $(APT_PACKAGES)

macos-deps: # On a Mac: name what the tests lack (the report itself needs nothing but Python)
	@if ! command -v pdftotext >/dev/null || ! command -v pdfinfo >/dev/null; then \
	  printf "missing for the tests on macOS (the report needs nothing of it): poppler (pdftotext, pdfinfo)\n  install with Homebrew: brew install poppler\n" >&2; exit 1; \
	fi

test-deps: $(AXE_JS) ## Install what the tests read PDFs with (poppler) and headless Chromium (needs root), and axe-core
	@if [ "$$(uname)" = Darwin ]; then $(MAKE) --no-print-directory macos-deps || exit $$?; \
	elif ! command -v pdftotext >/dev/null || ! command -v pdfinfo >/dev/null || ! command -v pdftohtml >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages: $(APT_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	  else \
	    echo "missing system packages for the tests; as root run: apt-get install $(APT_PACKAGES)" >&2; exit 1; \
	  fi; \
	fi
	@if ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null && [ -z "$$CHROMIUM" ] \
	    && [ ! -d "/Applications/Google Chrome.app" ] && [ ! -d /Applications/Chromium.app ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian package: chromium"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "chromium is missing; the browser test will be skipped (as root: apt-get install chromium)" >&2; \
	  fi; \
	fi

$(AXE_JS): | $(UV)
	@mkdir -p $(TOOLS)/axe/wheel
	$(TOOLS)/bin/pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --dest $(TOOLS)/axe/wheel "$(AXE_WHEEL)"
	$(TOOLS)/bin/python -c 'import glob, hashlib, sys, zipfile; \
	  data = zipfile.ZipFile(glob.glob("$(TOOLS)/axe/wheel/*.whl")[0]).read("axe_playwright_python/axe.min.js"); \
	  digest = hashlib.sha256(data).hexdigest(); \
	  sys.exit(f"axe.min.js: SHA-256 {digest}, expected $(AXE_SHA256)") if digest != "$(AXE_SHA256)" else None; \
	  open("$@", "wb").write(data)'
	@rm -rf $(TOOLS)/axe/wheel

$(UV): # uv itself, pinned, in a small virtual environment of its own (no system changes)
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# --compile-bytecode: write every .pyc at install time. Imports then never compile from
# source, even where PYTHONDONTWRITEBYTECODE is set (as on CI machines): several seconds
# saved in every kernel and command.
$(ENV_STAMP): pyproject.toml uv.lock Makefile | $(UV)
	@$(UV) python find '$(PYTHONS)' >/dev/null 2>&1 || { \
	  echo "no Python 3.11, 3.12 or 3.13 found. Install one (Debian/Ubuntu: apt-get install python3; macOS: brew install python@3.13), or let uv download one: make $(or $(MAKECMDGOALS),setup) UV_PYTHON_DOWNLOADS=automatic" >&2; \
	  exit 1; }
	$(UV) sync --locked --quiet --compile-bytecode
	$(PY) -m helpers.runner.kernels
	@touch $@

git-filter: $(ENV_STAMP) ## Strip notebook outputs on commit (nbstripout git filter; skipped outside a git checkout)
	@if command -v git >/dev/null && [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$$(pwd -P)" ]; then \
	  git config filter.nbstripout.clean '$(NBSTRIPOUT)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config filter.nbstripout.extrakeys '$(strip $(NBSTRIP_KEYS))' && \
	  git config diff.ipynb.textconv '$(NBSTRIPOUT) -t'; \
	else \
	  echo "not a git checkout: notebook output stripping (nbstripout) not installed"; \
	fi

$(LOCALE_DIR)/%/LC_MESSAGES/messages.mo: $(LOCALE_DIR)/%/LC_MESSAGES/messages.po | $(ENV_STAMP)
	$(PY) -m helpers.i18n compile $< $@

locale: $(ENV_STAMP) ## After changing the report's text: update the catalogs from the code, then compile them
	$(VENV)/bin/pybabel extract --mapping-file babel.cfg --no-location --sort-output --omit-header --keywords N_ --keywords NP_:1c,2 \
	  --output-file $(LOCALE_DIR)/messages.pot .
	$(VENV)/bin/pybabel update --domain messages --input-file $(LOCALE_DIR)/messages.pot \
	  --output-dir $(LOCALE_DIR) --ignore-obsolete --no-wrap
	$(MAKE) --no-print-directory $(MO_FILES)
	@$(PY) -m helpers.i18n check

setup: $(ENV_STAMP) git-filter $(MO_FILES) ## Install everything the report needs that is missing (idempotent; no system package)

report: setup ## Run the pipeline: notebooks -> reports/latest/{report.pdf,report.html,tables/}
	$(VENV)/bin/inclusion-report run

# The fast tests run on every core (pytest-xdist); the end-to-end ones one after another, since
# each of their runs already keeps both cores busy. `make test TEST_WORKERS=0` runs all in one process.
TEST_WORKERS ?= auto

test: setup test-deps ## Run all tests (unit, end-to-end, PDF and headless browser)
	@status=0; \
	$(PY) -m pytest -m "not slow" -n $(TEST_WORKERS) || status=$$?; \
	$(PY) -m pytest -m slow --durations=20 || status=$$?; \
	exit $$status

test-fast: setup ## Run the fast unit tests only, on every core
	$(PY) -m pytest -m "not slow" -n $(TEST_WORKERS)

lint: setup ## Check style and docstrings (ruff), the import contracts (import-linter) and the CI workflows (their schema)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

lab: setup ## Open JupyterLab on the project (notebooks/ first) with the project's kernel
	JUPYTER_PATH="$(CURDIR)/$(VENV)/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
	  $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: setup ## Time the pipeline against plain papermill + nbconvert (not part of make test; its baseline's --to pdf needs TeX)
	$(PY) -m tests.bench

# A fresh run every time: mutmut's cache in mutants/ does not notice a changed test or a
# module added to [tool.mutmut] (while iterating, `.venv/bin/mutmut run` reuses it).
mutation: setup ## Mutation testing of the modules that compute numbers; tally in docs/mutation.md (not part of make test)
	rm -rf mutants
	$(VENV)/bin/mutmut run
	$(PY) -m tests.mutation_report docs/mutation.md

# docs/outputs.md is generated (tests/test_docs.py keeps it equal to the code); written whole or not at all.
docs: $(ENV_STAMP) ## Regenerate docs/outputs.md from the tables' contract (src/helpers/contract.py)
	$(PY) -m helpers.runner.outputs > docs/outputs.md.tmp || { rm -f docs/outputs.md.tmp; exit 1; }
	mv docs/outputs.md.tmp docs/outputs.md

clean: ## Remove generated reports and clean data (keeps the environment)
	rm -rf reports/runs reports/latest reports/scratch data/processed/*.csv
