# Opt-in: validate every synthesized stack with OpenTofu and the real provider schemas. Not in
# `make test`: with the prebuilt tools beside the clone (../shared/tools/terraform) it takes about
# 3 minutes; without them tools/terraform/tools.sh first builds OpenTofu and the AWS provider
# from source (45-50 minutes and a 9.4 GB peak on 2 cores, once). docs/validation.md.
.PHONY: validate
# Then the same stacks through cdktf's own toBeValidTerraform() matcher (jest.validate.config.js),
# on the same OpenTofu and mirror: the check a CDKTF user writes, kept honest by running it.
validate: synth-all ## Opt-in: tofu init/validate of every stack of every environment, then toBeValidTerraform (~6 min; cold build ~45 min)
	bash tools/validate/validate.sh
	eval "$$(bash tools/terraform/tools.sh)" && TERRAFORM_BINARY_NAME="$$TOFU" $(MAKE) validate-matchers
