# bohran — two commands on a fresh machine:  make run   |   make test
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (hazm >= 0.11 needs it): PATH first, then pyenv's install, then the system one.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do \
            if "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then echo "$$p"; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)

.PHONY: help venv system kafka-jars run test test-unit test-integration lint format bench train-sentiment clean

help:
	@echo "make run    - local Kafka + Redis + worker + Slack/SMTP stand-ins + a demo crisis (Ctrl-C stops all)"
	@echo "make test   - install, provision real components, run ruff and the whole test suite"
	@echo "make bench  - benchmarks -> bench/report.json"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found (install it, or pass PYTHON=/path/to/python3.12)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

venv: $(STAMP)

# Debian packages: redis-server, kcat, prometheus (promtool), prometheus-alertmanager.
system:
	@bash deploy/local/system-packages.sh

# Apache Kafka jars from Maven Central into the cache (once).
kafka-jars: system
	@python3 deploy/local/launcher.py fetch

run: venv kafka-jars
	$(BIN)/bohran run

test: venv kafka-jars
	$(BIN)/ruff check .
	@set +e; $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-unit: venv
	$(BIN)/python -m pytest -q tests/streams tests/alerts

test-integration: venv kafka-jars
	$(BIN)/python -m pytest -q tests/integration

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .

bench: venv kafka-jars
	$(BIN)/python bench/run_all.py

train-sentiment: venv
	$(BIN)/python training/train_sentiment.py

clean:
	@python3 deploy/local/launcher.py kafka stop >/dev/null 2>&1 || true
	@python3 deploy/local/launcher.py redis stop >/dev/null 2>&1 || true
	rm -rf .local .pytest_cache
