# feedback-nlp: `make demo` and `make test` work on a fresh clone with only the package registries reachable.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch that lies on this machine's disk; a plain `torch` requirement would fetch a CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: help venv demo test test-fast bench models evaluate clean lint

help:
	@echo "make demo      create .venv, install, score the bundled samples into out/ and build the report"
	@echo "make test      install the test extras and run the whole test suite"
	@echo "make bench     throughput, latency and memory benchmarks -> benchmarks/results.md"
	@echo "make models    retrain the shipped models from ../shared/datasets and the project's labels"
	@echo "make evaluate  re-measure the shipped models; rewrites the tables in models/*/MODEL_CARD.md"

$(VENV)/.base: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

venv: $(VENV)/.base

$(VENV)/.test: $(VENV)/.base
	$(PIP) install -q -e ".[test,spark]"
	$(PIP) install -q "$(TORCH_PIN)" "transformers>=4.40"
	touch $@

demo: venv
	mkdir -p out
	$(VENV)/bin/feedback-nlp analyze data/samples/contacts.jsonl -o out/contacts_scored.jsonl --store out/results.duckdb
	$(VENV)/bin/feedback-nlp report out/results.duckdb -o out/report.html --alert-freq h --min-count 5 --warmup 24
	@echo "Scored records: out/contacts_scored.jsonl   Report: out/report.html"

test: $(VENV)/.test
	bash scripts/ensure_chromium.sh || true
	$(PY) -m pytest -q -ra

test-fast: $(VENV)/.test
	$(PY) -m pytest -q -ra -m "not slow"

bench: $(VENV)/.test
	$(PIP) install -q -e ".[bench]"
	$(PY) benchmarks/run.py

models: venv
	$(PY) scripts/train_models.py

evaluate: venv
	$(PY) scripts/evaluate_models.py

clean:
	rm -rf out .pytest_cache build dist *.egg-info
