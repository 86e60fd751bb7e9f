# LocalStack in its own Python 3.13 virtualenv (it needs 3.13; the project stays on 3.12), with our
# Lambda executor plugin that runs functions as local processes (no Docker on this machine).
LOCALSTACK_VENV := .localstack/venv
LOCALSTACK_PY := $(LOCALSTACK_VENV)/bin/python
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
LOCALSTACK_PORT ?= 4566
LOCALSTACK_EXECUTOR := local/localstack/lambda_local_executor
PYTHON313 ?= $(or $(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13)),$(shell command -v python3.13))

LAMBDA_RUNTIME := .localstack/lambda-runtime
LAMBDA_RUNTIME_STAMP := $(LAMBDA_RUNTIME)/.installed

.PHONY: localstack-install localstack-up localstack-down

localstack-install: $(LOCALSTACK_STAMP) $(LAMBDA_RUNTIME_STAMP)

# /var/runtime of every local execution environment: AWS's runtime interface client (what the
# managed python3.12 runtime runs) and the SDK the runtime ships, for the functions' Python 3.12.
$(LAMBDA_RUNTIME_STAMP): local/localstack/lambda-runtime.txt $(VENV)/.installed
	rm -rf $(LAMBDA_RUNTIME)
	$(PY) -m pip install -q --no-compile --target $(LAMBDA_RUNTIME) -r local/localstack/lambda-runtime.txt
	touch $@

# uv resolves and installs in ~20 s where pip takes minutes; the stamp makes re-runs instant and is
# invalidated by a change to the pins or to the executor plugin's sources.
$(LOCALSTACK_STAMP): local/localstack/constraints.txt $(LOCALSTACK_EXECUTOR)/pyproject.toml $(wildcard $(LOCALSTACK_EXECUTOR)/lambda_local_executor/*.py)
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found (pyenv or PATH)"; exit 1; }
	test -x $(LOCALSTACK_PY) || $(PYTHON313) -m venv $(LOCALSTACK_VENV)
	test -x $(LOCALSTACK_VENV)/bin/uv || $(LOCALSTACK_PY) -m pip install -q uv
	$(LOCALSTACK_VENV)/bin/uv pip install -q --python $(LOCALSTACK_PY) -c local/localstack/constraints.txt \
	  'localstack-core[runtime]'
	$(LOCALSTACK_VENV)/bin/uv pip install -q --python $(LOCALSTACK_PY) -c local/localstack/constraints.txt \
	  --reinstall-package lambda-local-executor ./$(LOCALSTACK_EXECUTOR)
	rm -rf $(LOCALSTACK_EXECUTOR)/build $(LOCALSTACK_EXECUTOR)/*.egg-info
	$(LOCALSTACK_PY) -c "from plux import PluginManager; assert PluginManager('localstack.lambda.runtime_executor').exists('local'), 'executor plugin not registered'"
	touch $@

# LocalStack in the background on $(LOCALSTACK_PORT) with its state in $(STATE_DIR)/localstack.
localstack-up: localstack-install $(VENV)/.installed
	$(PY) local/stack.py start --state-dir $(STATE_DIR)/localstack --port $(LOCALSTACK_PORT)

localstack-down:
	@test ! -x $(PY) || $(PY) local/stack.py stop --state-dir $(STATE_DIR)/localstack
