import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { Config } from "../config/schema";

/** The stacks of one environment, in deployment order. `state` must be deployed first, alone. */
export const STACK_IDS = ["state", "network", "data", "airflow", "video-pipeline"] as const;
export type StackId = (typeof STACK_IDS)[number];

/**
 * Oldest Terraform every stack accepts: the data stack's ephemeral resources and write-only
 * arguments need 1.11 (S3 native state locking needs 1.10, terraform_data 1.4). One minimum for
 * all stacks, since one Terraform binary deploys them all.
 */
export const MINIMUM_TERRAFORM_VERSION = "1.11.0";

/**
 * The Terraform and OpenTofu releases the stacks target, as CDK Terrain (cdktn) reads them: it
 * checks ephemeral resources and write-only arguments against these ranges (default: >= 1.5.7)
 * and ignores `required_version`. Set on each stack, where cdktn looks first, so every way of
 * building the app carries it; cdktf ignores the key. docs/cdktn.md.
 */
export const TARGET_VERSIONS_CONTEXT = {
  key: "targetVersions",
  value: { terraform: `>=${MINIMUM_TERRAFORM_VERSION}`, opentofu: `>=${MINIMUM_TERRAFORM_VERSION}` },
} as const;

/** Value of the `system` tag: which of the two systems a resource serves, or both. */
export type SystemTag = "shared" | "airflow" | "video-pipeline";

export interface AppStackProps {
  readonly config: Config;
  /** `system` tag of every resource in the stack, unless a resource sets its own. */
  readonly system: SystemTag;
}

/**
 * Every stack of this app: the AWS provider with the project's default tags, and state in the
 * remote-state bucket under `<environment>/<stack>.tfstate` (except `state` itself, which creates
 * that bucket and so keeps its own state locally).
 */
export class AppStack extends TerraformStack {
  readonly config: Config;

  constructor(scope: Construct, id: StackId, props: AppStackProps) {
    super(scope, id);
    this.node.setContext(TARGET_VERSIONS_CONTEXT.key, TARGET_VERSIONS_CONTEXT.value);
    this.addOverride("terraform.required_version", `>= ${MINIMUM_TERRAFORM_VERSION}`);
    this.config = props.config;
    const { config } = props;
    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [
        {
          tags: {
            project: config.project,
            environment: config.environment,
            system: props.system,
            "managed-by": "cdktf",
          },
        },
      ],
    });
    if (id !== "state") {
      const backend = new S3Backend(this, {
        bucket: config.state.bucket,
        key: `${config.environment}/${id}.tfstate`,
        region: config.region,
        encrypt: true,
      });
      // S3 native locking (Terraform >= 1.10) replaces the DynamoDB lock table; cdktf 0.21's
      // S3BackendConfig predates the option, so it is set through the documented override.
      backend.addOverride("use_lockfile", true);
    }
  }
}
