# Python: the DAGs and their helper package, linted and tested in .venv, which is built from the
# pinned requirement files alone (scripts/compile-dags-requirements.sh regenerates them).
PY_SYSTEM_PYTHON ?= python3
PY_VENV := .venv
PY_UV_VERSION := 0.13.9
PY_REQUIREMENTS := requirements/airflow-constraints.txt requirements/dags-test.txt
# The stamp is named after the requirement files' hash, so changing a pin (or uv) rebuilds the venv.
PY_REQUIREMENTS_HASH := $(shell cat $(PY_REQUIREMENTS) | sha256sum | cut -c1-16)-uv$(PY_UV_VERSION)
PY_STAMP := $(PY_VENV)/.requirements-$(PY_REQUIREMENTS_HASH)
PY_SOURCES := dags tests/python tests/e2e scripts/e2e $(wildcard scripts/*classifier*.py)

.PHONY: py-venv py-lint py-test

py-venv: $(PY_STAMP) ## Python venv of the DAG tests (rebuilt when a pinned requirement file changes)

$(PY_STAMP):
	rm -rf $(PY_VENV)
	$(PY_SYSTEM_PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(PY_UV_VERSION)
	$(PY_VENV)/bin/uv pip install --quiet --python $(PY_VENV)/bin/python -r requirements/dags-test.txt
	touch $@

py-lint: $(PY_STAMP) ## Python: ruff lint and format check of the DAGs, their tests and scripts
	$(PY_VENV)/bin/ruff check $(PY_SOURCES)
	$(PY_VENV)/bin/ruff format --check $(PY_SOURCES)

py-test: py-lint ## Python: lint, then pytest (helpers on moto, DagBag, every DAG run end to end)
	$(PY_VENV)/bin/pytest tests/python

TEST_TARGETS += py-test
