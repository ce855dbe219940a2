import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

type Resource = Record<string, any>;

describe.each([
  ["hackathon", 1],
  ["learner-lab", 0],
  ["production", 2],
] as const)("network stack in %s", (environment, natCount) => {
  let env: SynthesizedEnvironment;
  beforeAll(() => {
    env = synthEnvironment(environment);
  });

  it("creates the seeds' VPC with DNS, and subnets in two AZs", () => {
    expect(Object.values(env.resources<Resource>("network", "aws_vpc"))).toEqual([
      expect.objectContaining({ cidr_block: "10.0.0.0/16", enable_dns_support: true, enable_dns_hostnames: true }),
    ]);
    const subnets = Object.values(env.resources<Resource>("network", "aws_subnet"));
    const zones = env.config.network.availabilityZones;
    expect(subnets.map((s) => [s.cidr_block, s.availability_zone]).sort()).toEqual(
      [
        ["10.0.1.0/24", zones[0]],
        ["10.0.2.0/24", zones[1]],
        ["10.0.10.0/24", zones[0]],
        ["10.0.11.0/24", zones[1]],
      ].sort(),
    );
    expect(subnets.every((s) => s.map_public_ip_on_launch !== true)).toBe(true);
  });

  it(`has ${natCount} NAT gateway(s), each private route table routing through one in its own AZ when there is one`, () => {
    const nats = env.resources<Resource>("network", "aws_nat_gateway");
    expect(Object.keys(nats)).toHaveLength(natCount);
    const routes = Object.values(env.resources<Resource>("network", "aws_route"));
    const natRoutes = routes.filter((r) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(natCount === 0 ? 0 : 2);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(natCount);
    expect(routes.filter((r) => r.gateway_id?.includes("aws_internet_gateway"))).toHaveLength(1);
  });

  it("adds the free S3 and DynamoDB gateway endpoints to every route table", () => {
    const endpoints = Object.values(env.resources<Resource>("network", "aws_vpc_endpoint"));
    expect(endpoints.map((e) => e.service_name).sort()).toEqual([
      "com.amazonaws.us-east-1.dynamodb",
      "com.amazonaws.us-east-1.s3",
    ]);
    for (const endpoint of endpoints) {
      expect(endpoint.vpc_endpoint_type).toBe("Gateway");
      expect(endpoint.route_table_ids).toHaveLength(3);
    }
  });

  it("leaves the VPC's default security group without rules", () => {
    const [group] = Object.values(env.resources<Resource>("network", "aws_default_security_group"));
    expect(group.ingress).toBeUndefined();
    expect(group.egress).toBeUndefined();
  });

  it("keeps its state in the environment's key of the state bucket, with native locking", () => {
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
    const production = synthEnvironment("production");
    expect(Object.values(production.resources<Resource>("network", "aws_flow_log"))).toEqual([
      expect.objectContaining({ traffic_type: "ALL", log_destination_type: "cloud-watch-logs" }),
    ]);
    expect(Object.values(production.resources<Resource>("network", "aws_cloudwatch_log_group"))).toEqual([
      expect.objectContaining({ retention_in_days: 90 }),
    ]);
  });

  it("are absent where it does not (hackathon)", () => {
    const hackathon = synthEnvironment("hackathon");
    expect(hackathon.resources("network", "aws_flow_log")).toEqual({});
  });
});
