/**
 * `make validate-matchers`: cdktf's `toBeValidTerraform()` on every stack of every environment.
 * Its own project, not part of `make test`: the matcher runs `terraform init` and `validate`, which
 * need a Terraform-compatible binary and the providers from a local mirror (docs/validation-matchers.md).
 * Its files end in `.validate.ts`, which the default project (`*.test.ts`) never picks up.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__/validate"],
  testMatch: ["**/*.validate.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/validate/setup.ts"],
  // One `init` and `validate` pair takes seconds (the AWS provider's schema is large).
  testTimeout: 120_000,
  maxWorkers: 2,
};
