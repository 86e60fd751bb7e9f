# Two commands do everything on a fresh machine: `make run` (the system) and `make test` (the tests).
# Each concern adds its own targets in mk/<concern>.mk.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (the Lambda runtime) from pyenv, or whatever python3.12 is on PATH.
PYTHON312 ?= $(or $(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12)),$(shell command -v python3.12))
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STATE_DIR ?= .state

include $(sort $(wildcard mk/*.mk))

.PHONY: help install test unit run demo bench bench-e2e lint package clean

help:
	@echo "make install   create .venv with the judge package and the judge CLI"
	@echo "make test      all tests (unit, sandbox, problems, backend, terraform, end-to-end)"
	@echo "make run       the whole system on this machine (LocalStack + MariaDB + API on :8080)"
	@echo "make demo      submit the example solutions through the API and print verdicts"
	@echo "make bench     sandbox overhead, compile times, then cost and latency through the local stack"
	@echo "make bench-e2e only the end-to-end part: GB-s and \$$ per 1,000 per language, p50/p95 cold, warm, burst"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (pyenv or PATH)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed system-deps

unit: install
	$(VENV)/bin/pytest -q tests/contracts tests/pipeline tests/judge/test_languages.py tests/judge/test_verify_expectations.py tests/test_architecture.py

clean:
	rm -rf $(VENV) $(STATE_DIR) build .localstack

# Everything, from a fresh machine: system packages, both virtualenvs, function zips and local layers,
# then every suite (unit, sandbox, adversarial, problem packages, backend, Terraform, end-to-end).
PORT ?= 8080
STACK_DEPS := install localstack-install mariadb-install package layers tf-rc

test: $(STACK_DEPS)
	mkdir -p $(STATE_DIR)/reports
	TF_CLI_CONFIG_FILE=$(TF_RC) E2E_REPORT_DIR=$(abspath $(STATE_DIR))/reports $(VENV)/bin/pytest -q -ra --durations=25 tests
	@cat $(STATE_DIR)/reports/latency.json 2>/dev/null && echo
	@cat $(STATE_DIR)/reports/faults.json 2>/dev/null && echo

# LocalStack + MariaDB + terraform apply + problems + API on 127.0.0.1:$(PORT); Ctrl-C stops it all.
run: $(STACK_DEPS)
	TF_CLI_CONFIG_FILE=$(TF_RC) $(PY) -m local.devstack run --port $(PORT) --state-dir $(STATE_DIR)/devstack

demo: install
	$(PY) -m local.demo --state-dir $(STATE_DIR)/devstack

bench: $(STACK_DEPS)
	$(PY) bench/run.py
	$(MAKE) --no-print-directory bench-e2e

bench-e2e: $(STACK_DEPS)
	mkdir -p $(STATE_DIR)/reports
	TF_CLI_CONFIG_FILE=$(TF_RC) $(PY) bench/e2e.py --json $(STATE_DIR)/reports/bench-e2e.json

lint: install
	$(VENV)/bin/ruff check judge contracts store pipeline backend functions local tests bench tools
