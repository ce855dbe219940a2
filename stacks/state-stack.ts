import { LocalBackend } from "cdktf";
import type { Construct } from "constructs";
import type { Config } from "../config/schema";
import { PrivateBucket } from "../modules/private-bucket";
import { AppStack } from "./app-stack";

export interface StateStackProps {
  readonly config: Config;
}

/**
 * Bootstrap: the bucket every other stack keeps its state in. Its own state stays local
 * (`terraform.<environment>.state.tfstate` at the repository root), because the bucket it would
 * live in does not exist until this stack is applied.
 */
export class StateStack extends AppStack {
  constructor(scope: Construct, id: "state", props: StateStackProps) {
    super(scope, id, { config: props.config, system: "shared" });
    // Relative to cdktf.out/stacks/state, where Terraform runs.
    new LocalBackend(this, { path: `../../../terraform.${props.config.environment}.state.tfstate` });
    // Versioned so that a bad apply or a deleted state file can be recovered. Destroying this stack
    // comes last, after the other stacks have left their state files (and every earlier version of
    // them) behind: throwaway environments delete them with the bucket, as they do the other buckets
    // (`data.forceDestroyBuckets`); elsewhere S3 refuses (409 BucketNotEmpty) until the bucket is
    // emptied or the flag is set and applied (docs/e2e.md, "Tearing down an environment").
    new PrivateBucket(this, "state-bucket", {
      bucketName: props.config.state.bucket,
      versioned: true,
      forceDestroy: props.config.data.forceDestroyBuckets,
    });
  }
}
