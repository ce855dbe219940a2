# The ECS executor's cost, before anyone switches: production as committed against production with
# airflow.executor AwsEcsExecutor (the same file with that one field changed, written under
# cdktf.out/examples/, never committed, so it cannot drift from config/production.json).
ECS_EXAMPLE_DIR := cdktf.out/examples/ecs-executor

.PHONY: ecs-executor-example cost-ecs-executor diagram-ecs-executor
ecs-executor-example: install
	@mkdir -p $(ECS_EXAMPLE_DIR)/config
	node -e 'const fs = require("fs"), c = JSON.parse(fs.readFileSync("config/production.json", "utf8")); delete c.$$schema; c.airflow.executor = "AwsEcsExecutor"; fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));' $(ECS_EXAMPLE_DIR)/config/production.json
	rm -rf $(ECS_EXAMPLE_DIR)/out
	DEPLOY_ENV=production DEPLOY_CONFIG_DIR=$(ECS_EXAMPLE_DIR)/config CDKTF_OUTDIR=$(ECS_EXAMPLE_DIR)/out node bin/app.js

cost-ecs-executor: synth-all ecs-executor-example ## Weekly and monthly cost of production with the ECS executor, against production as committed
	$(NODE_BIN)/tsx tools/cost/main.ts production --system $(SYSTEM) --compare production \
	  --compare-config-dir $(ECS_EXAMPLE_DIR)/config --compare-stacks-dir $(ECS_EXAMPLE_DIR)/out/stacks \
	  --compare-label production+ecs-executor

diagram-ecs-executor: ecs-executor-example ## Write docs/architecture-ecs-executor.md: production with the ECS executor
	$(NODE_BIN)/tsx tools/diagram/main.ts $(ECS_EXAMPLE_DIR)/out/stacks docs/architecture-ecs-executor.md "production with the ECS executor"
