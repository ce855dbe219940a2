# One entry point for every task. Each concern owns a fragment in mk/ and adds itself to
# TEST_TARGETS when it belongs in `make test`; this file only stitches them together.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

DEPLOY_ENV ?= hackathon
export DEPLOY_ENV

TEST_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help test
help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

test: $(TEST_TARGETS) ## Every check: types, lint, Jest, synth of every environment, Python, scans
	@echo "make test: all checks passed ($(TEST_TARGETS))"
