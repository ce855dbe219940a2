import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { Construct } from "constructs";

export interface FargateClusterProps {
  readonly name: string;
}

/**
 * An ECS cluster whose services may run on FARGATE or FARGATE_SPOT (FARGATE unless a service says
 * otherwise). Container Insights stays off: it bills its per-task metrics as custom metrics, and
 * the alarms and scaling here use the free AWS/ECS, AWS/ApplicationELB and AWS/SQS metrics.
 */
export class FargateCluster extends Construct {
  readonly cluster: EcsCluster;
  /** Services depend on it: a capacity provider strategy fails until the providers are attached. */
  readonly capacityProviders: EcsClusterCapacityProviders;

  constructor(scope: Construct, id: string, props: FargateClusterProps) {
    super(scope, id);
    this.cluster = new EcsCluster(this, "cluster", {
      name: props.name,
      setting: [{ name: "containerInsights", value: "disabled" }],
    });
    this.capacityProviders = new EcsClusterCapacityProviders(this, "capacity-providers", {
      clusterName: this.cluster.name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    });
  }
}
