# Opt-in: validate every synthesized stack with OpenTofu and the real provider schemas. Not in
# `make test`: a cold run builds OpenTofu and the AWS provider from source (45-50 minutes and a
# 9.4 GB peak on 2 cores); warm runs take 2-3 minutes. See scripts/validate/validate.sh.
.PHONY: validate
validate: synth-all ## Opt-in: tofu init/validate of every stack of every environment (cold: ~45 min)
	bash scripts/validate/validate.sh
