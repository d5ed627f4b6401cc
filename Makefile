# Two commands do everything: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Extra arguments for cdk, e.g. CDK_ARGS='-c stage=prod -c alarm_email=ops@example.jp'
CDK_ARGS ?=
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CONSOLE_STAMP := console/node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
# apt-get needs root: sudo when make does not run as root (CI images start with only Python and Node).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint typecheck unit synth deploy layer openapi bench clean console chromium console-screenshots console-lighthouse

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(CONSOLE_STAMP): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $(CONSOLE_STAMP)

## Build the municipal console (管理画面) into console/dist (served at /admin)
console: $(CONSOLE_STAMP)
	cd console && npm run build --silent

## Debian's Chromium (and a Japanese font) for the browser tests, when missing
chromium:
	@test -x $(CHROMIUM) && fc-list :lang=ja | grep -q . || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic; }

## Start the whole system locally on http://127.0.0.1:$(PORT); the console is at /admin/
run: $(STAMP) console
	@echo "console (管理画面): http://127.0.0.1:$(PORT)/admin/"
	$(PY) -m infra.local --port $(PORT)

## Lint, type-check and run every test (unit, integration, infra, e2e)
test: $(STAMP) $(NODE_STAMP) layer console chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy layers/core/python functions infra tests bench scripts
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy layers/core/python functions infra tests bench scripts

unit: $(STAMP)
	$(PY) -m pytest tests/unit

## Build the Lambda dependency layer (manylinux wheels, no Docker)
layer: $(STAMP)
	$(PY) scripts/build_deps_layer.py

## Regenerate the committed OpenAPI document from the handlers
openapi: $(STAMP)
	$(PY) scripts/openapi.py --write

## CloudFormation for AWS, offline
synth: $(STAMP) $(NODE_STAMP) layer console
	npx cdk synth --quiet $(CDK_ARGS)

## Deploy to the AWS account of the current credentials
deploy: $(STAMP) $(NODE_STAMP) layer console
	npx cdk deploy --all $(CDK_ARGS)

bench: $(STAMP)
	$(PY) -m bench

## Screenshots of every console page into docs/console/
console-screenshots: $(STAMP) console chromium
	$(PY) scripts/console_screenshots.py

## Lighthouse on the activities, backfill and statistics pages (figures for docs/benchmarks.md)
console-lighthouse: $(STAMP) console chromium
	CHROME_PATH=$(CHROMIUM) $(PY) scripts/console_lighthouse.py

clean:
	rm -rf $(VENV) node_modules cdk.out build console/node_modules console/dist
