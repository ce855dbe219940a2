/**
 * The move to CDK Terrain (docs/cdktn.md): the stacks declare the Terraform versions cdktn checks
 * features against, and the pieces of `make check-cdktn` (the swap and the comparison) do what the
 * check relies on. The check itself (npm install, synth, Jest under cdktn) is `make check-cdktn`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type TerraformStack, Testing } from "cdktf";
import { loadConfig } from "../../config/load";
import { buildApp } from "../../main";
import { STACK_IDS } from "../../stacks/app-stack";
import { compareOutdirs } from "../../tools/cdktn/compare";
import { CDKTN_VERSIONS, cdktnPackageJson, rewriteImports } from "../../tools/cdktn/swap";
import { synthEnvironment } from "../helpers";

describe("the stacks under CDK Terrain", () => {
  it("declare as cdktn targets the same minimum Terraform and OpenTofu as their required_version", () => {
    const app = buildApp(Testing.app(), loadConfig("hackathon"));
    const env = synthEnvironment("hackathon");
    for (const id of STACK_IDS) {
      const stack = app.node.findChild(id) as TerraformStack;
      const minimum = String(env.stack(id).terraform?.required_version).replace(/^>= /, "");
      expect({ id, targets: stack.node.tryGetContext("targetVersions") }).toEqual({
        id,
        targets: { terraform: `>=${minimum}`, opentofu: `>=${minimum}` },
      });
    }
  });
});

describe("the swap to cdktn", () => {
  // The package names are spliced in, so that this file, swapped itself by `make check-cdktn`,
  // still tests the rewrite instead of comparing cdktn's names with themselves.
  const [cdktf, aws] = ["cdktf", "@cdktf/provider-aws"];

  it("points every module specifier of cdktf and the AWS bindings at cdktn's", () => {
    const source = [
      `import { App, TerraformStack } from "${cdktf}";`,
      `import type {} from '${cdktf}/lib/testing/adapters/jest';`,
      `import { Vpc } from "${aws}/lib/vpc";`,
      `const { Testing } = require("${cdktf}") as typeof import("${cdktf}");`,
    ].join("\n");
    expect(rewriteImports(source)).toBe(
      [
        'import { App, TerraformStack } from "cdktn";',
        "import type {} from 'cdktn/lib/testing/adapters/jest';",
        'import { Vpc } from "@cdktn/provider-aws/lib/vpc";',
        'const { Testing } = require("cdktn") as typeof import("cdktn");',
      ].join("\n"),
    );
  });

  it("leaves strings that are not cdktf's modules alone: synthesized values, the docker bindings, the CLI", () => {
    const source = [
      'tags: { "managed-by": "cdktf" },',
      'import { Image } from "@cdktf/provider-docker/lib/image";',
      'existsSync(join(dir, "cdktf.json"));',
      'bin("cdktf-cli");',
    ].join("\n");
    expect(rewriteImports(source)).toBe(source);
  });

  it("pins cdktn exactly, keeps the docker bindings and serves them cdktn under cdktf's name", () => {
    const pkg = cdktnPackageJson({
      dependencies: {
        "@cdktf/provider-aws": "21.22.1",
        "@cdktf/provider-docker": "12.0.3",
        cdktf: "0.21.0",
        constructs: "10.4.2",
      },
      devDependencies: { "cdktf-cli": "0.21.0", jest: "30.5.2" },
    });
    expect(pkg.dependencies).toEqual({
      "@cdktf/provider-docker": "12.0.3",
      "@cdktn/provider-aws": CDKTN_VERSIONS["@cdktn/provider-aws"],
      cdktn: CDKTN_VERSIONS.cdktn,
      constructs: CDKTN_VERSIONS.constructs,
    });
    expect(Object.values(CDKTN_VERSIONS).every((version) => /^\d+\.\d+\.\d+$/.test(version))).toBe(true);
    expect(pkg.devDependencies).toEqual({ jest: "30.5.2" });
    expect(pkg.overrides).toEqual({ cdktf: `npm:cdktn@${CDKTN_VERSIONS.cdktn}` });
  });

  it("refuses a package.json without cdktf, naming the missing dependency", () => {
    expect(() => cdktnPackageJson({ dependencies: { "@cdktf/provider-aws": "21.22.1" } })).toThrow(
      "package.json: dependencies.cdktf is missing; nothing to rename to cdktn",
    );
  });
});

describe("the comparison of cdktf's and cdktn's output", () => {
  function outdir(files: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), "compare-"));
    for (const [file, json] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), JSON.stringify(json));
    }
    return dir;
  }
  const stack = (toolVersion: string, awsVersion: string, cidr = "10.0.0.0/16", awsSource = "aws") => ({
    "//": { metadata: { version: toolVersion, stackName: "network" } },
    terraform: { required_providers: { aws: { source: awsSource, version: awsVersion } }, required_version: ">= 1.11.0" },
    resource: { aws_vpc: { vpc: { cidr_block: cidr, tags: { "managed-by": "cdktf" } } } },
  });
  const app = (toolVersion: string, awsVersion: string, cidr?: string, awsSource?: string) =>
    outdir({
      "manifest.json": { version: toolVersion },
      "stacks/network/cdk.tf.json": stack(toolVersion, awsVersion, cidr, awsSource),
    });

  it("accepts output that differs only in the tool's and the providers' versions", () => {
    const result = compareOutdirs(app("0.21.0", "6.25.0"), app("0.24.0", "6.66.0"));
    expect(result.differences).toEqual([]);
    expect(result.versions.map((v) => `${v.file} ${v.path}`)).toEqual([
      'manifest.json "version"',
      'stacks/network/cdk.tf.json "//"."metadata"."version"',
      'stacks/network/cdk.tf.json "terraform"."required_providers"."aws"."version"',
    ]);
    expect(result.files).toBe(2);
  });

  it("takes an unqualified provider source for the same provider as hashicorp's, and no other namespace", () => {
    const same = compareOutdirs(app("0.21.0", "6.25.0"), app("0.24.0", "6.66.0", undefined, "hashicorp/aws"));
    expect(same.differences).toEqual([]);
    expect(same.sameProvider.map((d) => `${d.path} ${d.cdktf} ${d.cdktn}`)).toEqual([
      '"terraform"."required_providers"."aws"."source" "aws" "hashicorp/aws"',
    ]);
    const other = compareOutdirs(app("0.21.0", "6.25.0"), app("0.24.0", "6.66.0", undefined, "someone/aws"));
    expect(other.differences.map((d) => d.path)).toEqual(['"terraform"."required_providers"."aws"."source"']);
  });

  it("reports any other difference with its file, path and both values", () => {
    const result = compareOutdirs(app("0.21.0", "6.25.0"), app("0.24.0", "6.66.0", "10.1.0.0/16"));
    expect(result.differences).toEqual([
      {
        file: "stacks/network/cdk.tf.json",
        path: '"resource"."aws_vpc"."vpc"."cidr_block"',
        cdktf: '"10.0.0.0/16"',
        cdktn: '"10.1.0.0/16"',
      },
    ]);
  });

  it("reports a version field that moved, a value one side lacks and a file one side lacks", () => {
    const cdktf = outdir({
      "manifest.json": { version: "0.21.0" },
      "stacks/a/cdk.tf.json": { terraform: { required_version: "1" } },
    });
    const cdktn = outdir({ "manifest.json": { version: "0.24.0", extra: 1 }, "stacks/b/cdk.tf.json": {} });
    expect(compareOutdirs(cdktf, cdktn).differences.map((d) => `${d.file} ${d.path} ${d.cdktf} ${d.cdktn}`)).toEqual([
      'manifest.json "extra" (absent) 1',
      "stacks/a/cdk.tf.json (file) present (absent)",
      "stacks/b/cdk.tf.json (file) (absent) present",
    ]);
  });
});
