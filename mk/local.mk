# `make local` (docs/local.md): DEPLOY_ENV applied against moto and every service running on this
# machine, from the runtime stage's library (tools/e2e/runtime/local.py); Ctrl-C stops it all.
LOCAL_WORK ?= .local

.PHONY: local local-incidents local-job
local: install $(E2E_STAMP) py-venv ## DEPLOY_ENV running here without Docker: Airflow UI on http://127.0.0.1:8080, DAGs on schedule, the video worker (docs/local.md)
	eval "$$(bash tools/terraform/tools.sh)" && $(E2E_VENV)/bin/python tools/e2e/runtime/local.py --work $(LOCAL_WORK) up $(DEPLOY_ENV)

local-incidents: ## Add sample pending incidents to the environment `make local` runs
	$(E2E_VENV)/bin/python tools/e2e/runtime/local.py --work $(LOCAL_WORK) incidents

local-job: ## Send a test video job as the web role to the environment `make local` runs; waits for processed/
	$(E2E_VENV)/bin/python tools/e2e/runtime/local.py --work $(LOCAL_WORK) job
