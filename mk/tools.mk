# Command-line tools from PyPI in one virtualenv, and the checks of the Airflow image that use
# them. Other fragments reuse the venv by depending on $(TOOLS_STAMP) and calling $(TOOLS_BIN)/x.
TOOLS_PYTHON ?= python3
TOOLS_VENV := .venv-tools
TOOLS_BIN := $(TOOLS_VENV)/bin
# Touched after a successful install, so it is newer than requirements/tools.txt exactly while the
# venv holds that file's pins: adding a tool there (checkov, ...) reinstalls on the next make run.
TOOLS_STAMP := $(TOOLS_VENV)/.installed-from-tools-txt

$(TOOLS_STAMP): requirements/tools.txt
	@test -x $(TOOLS_BIN)/python || $(TOOLS_PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_BIN)/python -m pip install --quiet --disable-pip-version-check --requirement $<
	@touch $@

IMAGE_DIR := docker/airflow
IMAGE_SHELL_SCRIPTS := $(IMAGE_DIR)/entrypoint.sh $(wildcard $(IMAGE_DIR)/tests/*.sh) tools/validate/validate.sh tools/terraform/tools.sh tools/lock/check.sh tools/cdktn/check.sh .ci/run

.PHONY: tools lint-image test-image
tools: $(TOOLS_STAMP) ## Install the pinned command-line tools into .venv-tools/

lint-image: $(TOOLS_STAMP) ## Lint the Airflow image: hadolint on the Dockerfile, shellcheck on its scripts
	$(TOOLS_BIN)/hadolint --config .hadolint.yaml $(IMAGE_DIR)/Dockerfile
	$(TOOLS_BIN)/shellcheck --shell=bash --external-sources $(IMAGE_SHELL_SCRIPTS)
	@echo "lint-image: hadolint and shellcheck passed"

test-image: ## Test the image's start-up logic without Docker (DB wait, DAG seeding, roles, pins)
	bash $(IMAGE_DIR)/tests/test_image.sh

TEST_TARGETS += lint-image test-image
