# The CDKTF app: install, type-check, lint, test, synthesize.
NODE_BIN := node_modules/.bin
ENVIRONMENTS := hackathon learner-lab production
# No HashiCorp version check from cdktf or Terraform (it needs the internet and prints noise).
export CHECKPOINT_DISABLE := 1

# Installs exactly the committed lock, as a new machine does. The lock holds every platform's
# optional binaries (Biome, SWC, unrs-resolver), so `npm ci` accepts it on Linux, macOS and
# Windows alike; `make lock-check` fails when it does not.
node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: install lock-check synth synth-all synth-cli typecheck lint jest docs
install: node_modules/.package-lock.json ## Install the pinned Node.js packages

lock-check: ## Check that `npm ci` accepts the committed lock on every platform (npm's own check, scratch copy)
	bash tools/lock/check.sh

synth: install ## Synthesize every stack of DEPLOY_ENV (default hackathon) into cdktf.out/
	node bin/app.js
	@echo "synthesized $(DEPLOY_ENV): $$(ls cdktf.out/stacks | tr '\n' ' ')"

# Every environment, each in its own folder, for the scans, the diagram and the cost report.
synth-all: install ## Synthesize every environment into cdktf.out/env/<environment>/
	@mkdir -p cdktf.out/env
	@for env in $(ENVIRONMENTS); do \
	  rm -rf cdktf.out/env/$$env; \
	  DEPLOY_ENV=$$env CDKTF_OUTDIR=cdktf.out/env/$$env node bin/app.js; \
	  echo "synthesized $$env: $$(ls cdktf.out/env/$$env/stacks | tr '\n' ' ')"; \
	done

synth-cli: install ## Synthesize through the cdktf CLI, as `cdktf deploy` will
	CI=1 $(NODE_BIN)/cdktf synth --output cdktf.out/cli

typecheck: install ## Type-check every TypeScript file once (tsc, TypeScript 7)
	$(NODE_BIN)/tsc --noEmit -p .

lint: install ## Lint and format-check the TypeScript (Biome)
	$(NODE_BIN)/biome ci .

jest: install ## Run the Jest suite
	$(NODE_BIN)/jest

docs: install ## Regenerate config/environment.schema.json and the docs pages' generated tables
	$(NODE_BIN)/tsx tools/docs/generate-docs.ts

TEST_TARGETS += lock-check typecheck lint jest synth-all synth-cli

BENCH_RUNS ?= 5
.PHONY: bench
bench: install ## Measure synth, test and type-check time and memory, and the cost of one more service
	BENCH_RUNS=$(BENCH_RUNS) $(NODE_BIN)/tsx tools/bench/bench.ts
