# Opt-in, not in `make test`: the move to CDK Terrain (cdktn) proven on a scratch copy: swap the
# packages and imports, npm install there, synthesize every environment, tsc, Jest, and compare
# the JSON with cdktf's. docs/cdktn.md; the steps are in tools/cdktn/check.sh.
.PHONY: check-cdktn
check-cdktn: install ## Opt-in: the move to CDK Terrain on a scratch copy (synth, tsc, Jest, JSON diff)
	ENVIRONMENTS="$(ENVIRONMENTS)" bash tools/cdktn/check.sh
