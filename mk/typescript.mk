# The CDKTF app: install, type-check, lint, test, synthesize. The commands themselves are
# package.json's scripts (so `npm test`, `npm run synth` work as in any CDKTF project); make adds
# the install before them and the order between them. synth-all runs `node bin/app.js` (the synth
# script's command) itself, under a PATH that holds Node alone, where npm is not.
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
	npm run --silent synth
	@echo "synthesized $(DEPLOY_ENV): $$(ls cdktf.out/stacks | tr '\n' ' ')"

# Every environment, each in its own folder, for the scans, the diagram, the cost report and Jest
# (`make jest` reads them instead of synthesizing them again). PATH holds nothing but Node, as in
# Jest's own global-setup.ts: synthesis must not need Terraform, Docker or any other program.
SYNTH_ALL_DIR := cdktf.out/env
NODE_ONLY_BIN := .gen/node-only
synth-all: install ## Synthesize every environment into cdktf.out/env/<environment>/
	@mkdir -p $(SYNTH_ALL_DIR) $(NODE_ONLY_BIN)
	@ln -sfn "$$(command -v node)" $(NODE_ONLY_BIN)/node
	@for env in $(ENVIRONMENTS); do \
	  rm -rf $(SYNTH_ALL_DIR)/$$env; \
	  PATH="$(CURDIR)/$(NODE_ONLY_BIN)" DEPLOY_ENV=$$env CDKTF_OUTDIR=$(SYNTH_ALL_DIR)/$$env $(NODE_ONLY_BIN)/node bin/app.js; \
	  echo "synthesized $$env: $$(ls $(SYNTH_ALL_DIR)/$$env/stacks | tr '\n' ' ')"; \
	done

# Every other target that runs bin/app.js waits for synth-all: the first synthesis rebuilds the
# app's bundle (.gen/app) when a source changed, and two at once under make -j would write it together.
synth-cli jest: synth-all

synth-cli: install ## Synthesize through the cdktf CLI, as `cdktf deploy` will
	CI=1 $(NODE_BIN)/cdktf synth --output cdktf.out/cli

typecheck: install ## Type-check every TypeScript file once (tsc, TypeScript 7)
	npm run --silent typecheck

lint: install ## Lint and format-check the TypeScript (Biome)
	npm run --silent lint

jest: install ## Run the Jest suite (on the environments synth-all synthesized)
	JEST_SYNTHESIZED_DIR=$(SYNTH_ALL_DIR) npm run --silent test

docs: install ## Regenerate config/environment.schema.json and the docs pages' generated tables
	npm run --silent docs

TEST_TARGETS += jest synth-all synth-cli lock-check typecheck lint

BENCH_RUNS ?= 5
.PHONY: bench
# BENCH_COLD=0 leaves out the cold `make test` (a fresh clone with empty package caches, minutes).
BENCH_COLD ?= 1
bench: install ## Measure synth, Jest and type-check time and memory, one more service's cost, make test warm, cold and per target
	BENCH_RUNS=$(BENCH_RUNS) BENCH_COLD=$(BENCH_COLD) $(NODE_BIN)/tsx tools/bench/bench.ts
