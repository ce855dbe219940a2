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
    // Versioned so that a bad apply or a deleted state file can be recovered.
    new PrivateBucket(this, "state-bucket", { bucketName: props.config.state.bucket, versioned: true });
  }
}
