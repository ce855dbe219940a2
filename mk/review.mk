# Review views of the synthesized stacks (cdktf.out/env/<environment>/, from `make synth-all`):
# what they cost, what they look like, what a scanner thinks of them. The cost figures and the
# diagram's freshness are Jest tests (__tests__/cost.test.ts, diagram.test.ts), run by `make jest`.
SYSTEM ?= all
COMPARE ?=

.PHONY: cost diagram scan

cost: synth-all ## Weekly and monthly cost of DEPLOY_ENV (SYSTEM=airflow|video-pipeline|all, COMPARE=<environment>[@<Airflow line>])
	$(NODE_BIN)/tsx tools/cost/main.ts $(DEPLOY_ENV) --system $(SYSTEM) $(if $(COMPARE),--compare $(COMPARE))

diagram: synth-all ## Write docs/architecture.md (hackathon, Airflow 2.8) and docs/architecture-production.md (Airflow 3) from the stacks
	$(NODE_BIN)/tsx tools/diagram/main.ts

# checkov runs every check on every environment's stacks; tools/scan applies the skip list
# (security/checkov-skips.json) to the findings and fails on the rest, on a skip without a reason
# and on a skip that no longer skips anything. hadolint is `make lint-image`'s.
scan: synth-all lint-image $(TOOLS_STAMP) ## checkov on every synthesized stack of every environment, and hadolint
	CHECKOV=$(TOOLS_BIN)/checkov $(NODE_BIN)/tsx tools/scan/main.ts $(ENVIRONMENTS)

TEST_TARGETS += scan
