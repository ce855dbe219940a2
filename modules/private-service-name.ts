/**
 * A private DNS name for an ECS service inside one VPC (AWS Cloud Map): `<service>.<namespace>`
 * resolves to the IPs of the service's healthy tasks, so other tasks reach it without a load
 * balancer and without leaving the VPC.
 */
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import { ServiceDiscoveryService } from "@cdktf/provider-aws/lib/service-discovery-service";
import { Construct } from "constructs";

export interface PrivateServiceNameProps {
  /** DNS namespace, a private hosted zone of the VPC, e.g. `alerta-utec-airflow.internal`. */
  readonly namespace: string;
  /** Label of the service inside the namespace, e.g. `api-server`. */
  readonly serviceName: string;
  readonly vpcId: string;
  /**
   * Seconds resolvers cache the answer: how long a stopped task's IP may still be returned.
   * @default 10
   */
  readonly ttlSeconds?: number;
}

export class PrivateServiceName extends Construct {
  /** `<serviceName>.<namespace>` */
  readonly hostname: string;
  /** What the ECS service's `serviceRegistries` names; ECS registers and deregisters the tasks. */
  readonly registryArn: string;

  constructor(scope: Construct, id: string, props: PrivateServiceNameProps) {
    super(scope, id);
    const namespace = new ServiceDiscoveryPrivateDnsNamespace(this, "namespace", {
      name: props.namespace,
      vpc: props.vpcId,
      description: `Private names of the ${props.namespace} services`,
    });
    const service = new ServiceDiscoveryService(this, "service", {
      name: props.serviceName,
      dnsConfig: {
        namespaceId: namespace.id,
        // One A record per task (awsvpc gives each its own IP); MULTIVALUE returns up to eight
        // healthy ones, so the callers spread over the tasks.
        dnsRecords: [{ type: "A", ttl: props.ttlSeconds ?? 10 }],
        routingPolicy: "MULTIVALUE",
      },
      // ECS reports each task's health (running, container health check passing) to Cloud Map:
      // a task that is starting or failing is not answered. AWS always stores and returns a
      // FailureThreshold of 1 (the field is otherwise unsupported), so the config says 1 too: an
      // empty block reads back different and forces a new service on every plan (found by
      // make e2e; the same on AWS, hashicorp/terraform-provider-aws#44285). The cost is the
      // provider's deprecation warning on failure_threshold in validate and plan.
      healthCheckCustomConfig: { failureThreshold: 1 },
      // A service that still has instances cannot be deleted; ECS deregisters them on destroy.
      forceDestroy: true,
    });
    this.hostname = `${props.serviceName}.${props.namespace}`;
    this.registryArn = service.arn;
  }
}
