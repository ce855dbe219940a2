# Opt-in deploy proof: every stack of each environment applied, planned again (must be empty) and
# destroyed with real Terraform and the real AWS provider against moto_server on loopback
# (docs/e2e.md). Not in `make test`: it takes minutes per environment.
E2E_ENV ?= $(ENVIRONMENTS)
E2E_PYTHON ?= python3
E2E_VENV := .venv-e2e
E2E_STAMP := $(E2E_VENV)/.installed-from-e2e-txt
E2E_WORK ?= .e2e
# Faults during and after the runtime stage (docs/e2e.md, "Faults"), each where it applies; E2E_FAULTS= skips them.
E2E_FAULTS ?= worker-killed,database-restarted,scheduler-interrupted

$(E2E_STAMP): requirements/e2e.txt
	@test -x $(E2E_VENV)/bin/python || $(E2E_PYTHON) -m venv $(E2E_VENV)
	$(E2E_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --requirement $<
	@touch $@

.PHONY: e2e e2e-test
# py-venv: the runtime stage runs the Airflow containers on the DAG tests' venvs (mk/python.mk).
e2e: install $(E2E_STAMP) py-venv ## Opt-in: apply, re-plan clean, run every service (runtime stage) and destroy E2E_ENV (default every environment) against moto
	eval "$$(bash tools/terraform/tools.sh)" && $(E2E_VENV)/bin/python tools/e2e/run.py --work $(E2E_WORK) --faults "$(E2E_FAULTS)" $(E2E_ENV)

e2e-test: install $(E2E_STAMP) ## The moto gaps e2e works around, each shown on unpatched moto; the runtime stage's AWS-call mapping and IAM evaluation (tools/e2e/tests)
	$(E2E_VENV)/bin/pytest -q tools/e2e/tests

# The gap tests take seconds and say when moto has fixed a gap, so every `make test` runs them.
TEST_TARGETS += e2e-test
