import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { resourcesOf } from "../../tools/synthesized/tf-json";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

describe.each([
  ["hackathon", 1],
  ["learner-lab", 0],
  ["production", 2],
] as const)("network stack in %s", (environment, natCount) => {
  let env: SynthesizedEnvironment;
  let json: string;
  beforeAll(() => {
    env = synthEnvironment(environment);
    json = env.json("network");
  });

  it("creates the seeds' VPC with DNS, and subnets in two AZs", () => {
    expect(json).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.0.0.0/16",
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
    expect(resourcesOf(json, Vpc)).toHaveLength(1);
    const zones = env.config.network.availabilityZones;
    for (const [cidr, zone] of [
      ["10.0.1.0/24", zones[0]],
      ["10.0.2.0/24", zones[1]],
      ["10.0.10.0/24", zones[0]],
      ["10.0.11.0/24", zones[1]],
    ]) {
      expect(json).toHaveResourceWithProperties(Subnet, { cidr_block: cidr, availability_zone: zone });
    }
    expect(resourcesOf(json, Subnet)).toHaveLength(4);
    expect(json).not.toHaveResourceWithProperties(Subnet, { map_public_ip_on_launch: true });
  });

  it(`has ${natCount} NAT gateway(s), each private route table routing through one in its own AZ when there is one`, () => {
    expect(resourcesOf(json, NatGateway)).toHaveLength(natCount);
    const routes = resourcesOf(json, Route);
    const natRoutes = routes.filter((r) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(natCount === 0 ? 0 : 2);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(natCount);
    expect(routes.filter((r) => r.gateway_id?.includes("aws_internet_gateway"))).toHaveLength(1);
  });

  it("adds the free S3 and DynamoDB gateway endpoints to every route table", () => {
    for (const service of ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]) {
      expect(json).toHaveResourceWithProperties(VpcEndpoint, {
        service_name: service,
        vpc_endpoint_type: "Gateway",
        route_table_ids: [expect.any(String), expect.any(String), expect.any(String)],
      });
    }
    expect(resourcesOf(json, VpcEndpoint)).toHaveLength(2);
  });

  it("leaves the VPC's default security group without rules", () => {
    expect(json).toHaveResource(DefaultSecurityGroup);
    expect(json).not.toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: expect.anything() });
    expect(json).not.toHaveResourceWithProperties(DefaultSecurityGroup, { egress: expect.anything() });
  });

  it("keeps its state in the environment's key of the state bucket, with native locking", () => {
    // The terraform block is beyond the matchers, which look at resources, data sources and providers.
    expect(env.stack("network").terraform?.backend).toEqual({
      s3: {
        bucket: env.config.state.bucket,
        key: `${environment}/network.tfstate`,
        region: "us-east-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });
});

describe("VPC flow logs", () => {
  it("are written to CloudWatch where the environment asks (production)", () => {
    const json = synthEnvironment("production").json("network");
    expect(json).toHaveResourceWithProperties(FlowLog, { traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
    expect(resourcesOf(json, FlowLog)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 90 });
    expect(resourcesOf(json, CloudwatchLogGroup)).toHaveLength(1);
  });

  it("are absent where it does not (hackathon)", () => {
    expect(synthEnvironment("hackathon").json("network")).not.toHaveResource(FlowLog);
  });
});
