import type { NetworkOutputs } from "./network-stack";

/** Where a system's tasks run: subnets, and whether each task gets a public IP. */
export interface TaskPlacement {
  readonly subnetIds: string[];
  readonly assignPublicIp: boolean;
}

/**
 * Where a system's tasks run, from its `taskSubnets` setting: private subnets behind NAT, or
 * public subnets with a public IP, the only way tasks there reach ECR and the AWS APIs without NAT.
 */
export function taskPlacement(network: NetworkOutputs, taskSubnets: "public" | "private"): TaskPlacement {
  return taskSubnets === "private"
    ? { subnetIds: network.privateSubnetIds, assignPublicIp: false }
    : { subnetIds: network.publicSubnetIds, assignPublicIp: true };
}
