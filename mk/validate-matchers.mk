# cdktf's toBeValidTerraform() on every stack of every environment: its own Jest project
# (jest.validate.config.js), not part of `make test`. It brings no binaries of its own: the caller
# gives it a Terraform-compatible CLI (TERRAFORM_BINARY_NAME, default `terraform`) and a CLI config
# whose provider_installation is a filesystem mirror (TF_CLI_CONFIG_FILE); `make validate` builds
# both. The Jest setup refuses to run without them and keeps init off the S3 backend.
.PHONY: validate-matchers
validate-matchers: install ## toBeValidTerraform on every stack (needs TF_CLI_CONFIG_FILE, TERRAFORM_BINARY_NAME)
	$(NODE_BIN)/jest --config jest.validate.config.js
