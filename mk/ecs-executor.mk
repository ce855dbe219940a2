# The ECS executor's cost, before anyone switches: production as committed against production with
# airflow.executor AwsEcsExecutor (the same file with that one field changed, written under
# cdktf.out/examples/, never committed, so it cannot drift from config/production.json).
ECS_EXAMPLE_DIR := cdktf.out/examples/ecs-executor

.PHONY: cost-ecs-executor
cost-ecs-executor: synth-all ## Weekly and monthly cost of production with the ECS executor, against production as committed
	@mkdir -p $(ECS_EXAMPLE_DIR)/config
	node -e 'const fs = require("fs"), c = JSON.parse(fs.readFileSync("config/production.json", "utf8")); delete c.$$schema; c.airflow.executor = "AwsEcsExecutor"; fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));' $(ECS_EXAMPLE_DIR)/config/production.json
	rm -rf $(ECS_EXAMPLE_DIR)/out
	DEPLOY_ENV=production DEPLOY_CONFIG_DIR=$(ECS_EXAMPLE_DIR)/config CDKTF_OUTDIR=$(ECS_EXAMPLE_DIR)/out node bin/app.js
	$(NODE_BIN)/tsx scripts/cost/main.ts production --system $(SYSTEM) --compare production \
	  --compare-config-dir $(ECS_EXAMPLE_DIR)/config --compare-stacks-dir $(ECS_EXAMPLE_DIR)/out/stacks \
	  --compare-label production+ecs-executor
