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

.PHONY: help test test-targets
help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# `make test` runs its targets side by side, TEST_JOBS at a time (default: one more than the cores,
# so that on a fresh clone, while the venvs download, a check that needs none of them still runs;
# a `make -jN test` of the caller's own wins). Each target's output is printed whole when it ends
# (--output-sync=target), so the log reads as if they had run one after another. The first failure
# fails the run: make starts nothing new, lets the running targets finish and exits non-zero.
# No two targets write the same files (the fragments order the ones that would).
TEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) + 1 )))
test: ## Every check: types, lint, Jest, synth of every environment, Python, scans (in parallel)
	@$(MAKE) $(if $(filter -j%,$(MAKEFLAGS)),,-j$(TEST_JOBS)) --output-sync=target test-targets

test-targets: $(TEST_TARGETS)
	@echo "make test: all checks passed ($(TEST_TARGETS))"
