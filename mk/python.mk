# Python: the DAGs and their helper package, linted once and tested on each Airflow line, each in
# its own venv built from that line's pinned requirement files alone
# (requirements/airflow-<line>/dags-test.txt; requirements/compile-dags-requirements.sh regenerates them).
PY_SYSTEM_PYTHON ?= python3
PY_UV_VERSION := 0.13.9
PY_LINES := 2.8 3.3
# .venv stays the 2.8 line's (tools/bench/bench_classifier.py and uv run from it); overridable, e.g.
# `make py-test PY_VENV_2.8=.venv-airflow2.8` to test in a venv of one's own.
PY_VENV_2.8 ?= .venv
PY_VENV_3.3 ?= .venv-airflow3.3
# ruff runs from the newest line's venv: its AIR3xx rules are about what Airflow 3 removed.
PY_LINT_VENV := $(PY_VENV_3.3)
PY_SOURCES := dags tests/python tools/e2e tools/bench

# The stamp is named after the line's requirement files' hash, so changing a pin (or uv) rebuilds
# that venv. $(call py_stamp,LINE)
py_requirements = requirements/airflow-$(1)/constraints.txt requirements/airflow-$(1)/dags-test.txt
py_stamp = $(PY_VENV_$(1))/.requirements-$(shell cat $(call py_requirements,$(1)) | sha256sum | cut -c1-16)-uv$(PY_UV_VERSION)

.PHONY: py-venv py-lint py-test $(addprefix py-test-,$(PY_LINES))

py-venv: $(foreach line,$(PY_LINES),$(call py_stamp,$(line))) ## Python venvs of the DAG tests, one per Airflow line (rebuilt when a pin changes)

# $(call py_venv_rule,LINE): builds the venv of LINE with uv, then runs the suite in it.
define py_venv_rule
$(call py_stamp,$(1)):
	rm -rf $(PY_VENV_$(1))
	$(PY_SYSTEM_PYTHON) -m venv $(PY_VENV_$(1))
	$(PY_VENV_$(1))/bin/pip install --quiet --disable-pip-version-check uv==$(PY_UV_VERSION)
	$(PY_VENV_$(1))/bin/uv pip install --quiet --python $(PY_VENV_$(1))/bin/python -r requirements/airflow-$(1)/dags-test.txt
	touch $$@

py-test-$(1): $(call py_stamp,$(1)) ## Python: pytest on Airflow $(1) (helpers on moto, DagBag, every DAG run end to end)
	AIRFLOW_LINE=$(1) $(PY_VENV_$(1))/bin/pytest tests/python
endef
$(foreach line,$(PY_LINES),$(eval $(call py_venv_rule,$(line))))

py-lint: $(call py_stamp,3.3) ## Python: ruff lint (AIR rules included) and format check of the DAGs, their tests and scripts
	$(PY_LINT_VENV)/bin/ruff check $(PY_SOURCES)
	$(PY_LINT_VENV)/bin/ruff format --check $(PY_SOURCES)

# Prerequisites run in order (make test runs without -j): lint, then one line after the other.
py-test: py-lint $(addprefix py-test-,$(PY_LINES)) ## Python: lint, then the suite on every Airflow line

TEST_TARGETS += py-test
