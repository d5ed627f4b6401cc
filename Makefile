# Two commands do everything: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Extra arguments for cdk, e.g. CDK_ARGS='-c stage=prod -c alarm_email=ops@example.jp'
CDK_ARGS ?=
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
# What `make run` needs (requirements/run.txt) and what `make test` needs (requirements/dev.txt).
RUN_STAMP := $(VENV)/.run-installed
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint typecheck unit synth deploy layer openapi bench clean lock format

# Installs come from the hashed locks (`make lock` writes them from pyproject.toml) through uv,
# which installs a locked set in seconds.
$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(RUN_STAMP): requirements/run.txt pyproject.toml | $(UV)
	$(UV) pip install --python $(PY) --quiet --require-hashes -r requirements/run.txt
	$(UV) pip install --python $(PY) --quiet --no-deps -e .
	touch $(RUN_STAMP)

$(STAMP): requirements/dev.txt pyproject.toml | $(UV)
	$(UV) pip install --python $(PY) --quiet --require-hashes -r requirements/dev.txt
	$(UV) pip install --python $(PY) --quiet --no-deps -e .
	touch $(RUN_STAMP) $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## Start the whole system locally on http://127.0.0.1:$(PORT)
run: $(RUN_STAMP)
	$(PY) -m infra.local --port $(PORT)

## Lint, type-check and run every test (unit, integration, infra, e2e)
test: $(STAMP) $(NODE_STAMP) layer
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy layers/core/python functions infra tests bench scripts
	$(PY) -m pytest -q

## Lock Python dependencies with hashes after changing pyproject.toml
lock: $(UV)
	$(PY) scripts/lock.py

## Format the code as `make test` checks it
format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

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
synth: $(STAMP) $(NODE_STAMP) layer
	npx cdk synth --quiet $(CDK_ARGS)

## Deploy to the AWS account of the current credentials
deploy: $(STAMP) $(NODE_STAMP) layer
	npx cdk deploy --all $(CDK_ARGS)

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules cdk.out build
