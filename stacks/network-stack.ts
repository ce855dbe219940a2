import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import type { Construct } from "constructs";
import { AIRFLOW_LINES } from "../config/airflow-lines";
import type { Config } from "../config/schema";
import { SecurityGroupMatrix } from "../modules/security-group-matrix";
import { ServiceRole } from "../modules/service-role";
import { AppStack } from "./app-stack";
import { SECURITY_GROUPS, type SecurityGroupName, securityRules } from "./security-matrix";

/** What the network stack gives the stacks after it. */
export interface NetworkOutputs {
  readonly vpcId: string;
  /** One per availability zone, in config order. */
  readonly publicSubnetIds: string[];
  /** One per availability zone, in config order. */
  readonly privateSubnetIds: string[];
  readonly securityGroupIds: Readonly<Record<SecurityGroupName, string>>;
}

export interface NetworkStackProps {
  readonly config: Config;
}

/**
 * The VPC both systems share (seed 000's layout): public subnets for load balancers and NAT,
 * private subnets for databases, EFS and private tasks, and the security-group matrix.
 */
export class NetworkStack extends AppStack {
  readonly outputs: NetworkOutputs;

  constructor(scope: Construct, id: "network", props: NetworkStackProps) {
    super(scope, id, { config: props.config, system: "shared" });
    const { network, project } = props.config;
    const name = (suffix: string) => ({ Name: `${project}-${suffix}` });

    const vpc = new Vpc(this, "vpc", {
      cidrBlock: network.vpcCidr,
      // EFS mount targets and RDS endpoints are reached by DNS name.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: name("vpc"),
    });
    // The default group is attached to anything created without one: leave it with no rules.
    new DefaultSecurityGroup(this, "default-security-group", { vpcId: vpc.id, tags: name("default-deny-all") });

    const internetGateway = new InternetGateway(this, "internet-gateway", { vpcId: vpc.id, tags: name("igw") });
    const publicRoutes = new RouteTable(this, "public-routes", { vpcId: vpc.id, tags: name("public") });
    new Route(this, "public-default-route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: internetGateway.id,
    });

    const publicSubnets = network.availabilityZones.map((az, i) => {
      const subnet = new Subnet(this, `public-${az}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: network.publicSubnetCidrs[i],
        // Tasks that need a public IP ask for one (assignPublicIp); nothing gets one by accident.
        mapPublicIpOnLaunch: false,
        tags: name(`public-${az}`),
      });
      new RouteTableAssociation(this, `public-${az}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });

    const natGateways = this.natGateways(network.natGateways, network.availabilityZones, publicSubnets, internetGateway);
    const privateRouteTables: RouteTable[] = [];
    const privateSubnets = network.availabilityZones.map((az, i) => {
      const subnet = new Subnet(this, `private-${az}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: network.privateSubnetCidrs[i],
        tags: name(`private-${az}`),
      });
      const routes = new RouteTable(this, `private-${az}-routes`, { vpcId: vpc.id, tags: name(`private-${az}`) });
      privateRouteTables.push(routes);
      new RouteTableAssociation(this, `private-${az}-association`, { subnetId: subnet.id, routeTableId: routes.id });
      const nat = natGateways[Math.min(i, natGateways.length - 1)];
      if (nat) {
        new Route(this, `private-${az}-default-route`, {
          routeTableId: routes.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: nat.id,
        });
      }
      return subnet;
    });

    // Gateway endpoints are free and keep S3 and DynamoDB traffic off the NAT gateway
    // (seed 000's own cost advice), for tasks in either kind of subnet.
    for (const service of ["s3", "dynamodb"]) {
      new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${props.config.region}.${service}`,
        vpcEndpointType: "Gateway",
        routeTableIds: [publicRoutes.id, ...privateRouteTables.map((t) => t.id)],
        tags: name(`${service}-endpoint`),
      });
    }

    if (network.flowLogs.enabled) this.flowLogs(vpc, props.config);

    const matrix = new SecurityGroupMatrix(this, "security-groups", {
      vpcId: vpc.id,
      namePrefix: project,
      groups: SECURITY_GROUPS,
      rules: securityRules({
        airflowHttps: props.config.airflow.certificateArn !== undefined,
        videoHttps: props.config.videoPipeline.certificateArn !== undefined,
        airflowExecutionApi: AIRFLOW_LINES[props.config.airflow.line].uiCommand === "api-server",
        airflowEcsWorkers: props.config.airflow.executor === "AwsEcsExecutor",
      }),
    });

    this.outputs = {
      vpcId: vpc.id,
      publicSubnetIds: publicSubnets.map((s) => s.id),
      privateSubnetIds: privateSubnets.map((s) => s.id),
      securityGroupIds: matrix.groupIds as Record<SecurityGroupName, string>,
    };
  }

  private natGateways(
    mode: Config["network"]["natGateways"],
    zones: readonly string[],
    publicSubnets: readonly Subnet[],
    internetGateway: InternetGateway,
  ): NatGateway[] {
    // "single": one NAT for both AZs, the seed's trade of AZ independence for about $32 a month.
    const count = mode === "none" ? 0 : mode === "single" ? 1 : zones.length;
    return zones.slice(0, count).map((az, i) => {
      const ip = new Eip(this, `nat-${az}-ip`, { domain: "vpc", tags: { Name: `${this.config.project}-nat-${az}` } });
      return new NatGateway(this, `nat-${az}`, {
        allocationId: ip.id,
        subnetId: publicSubnets[i].id,
        tags: { Name: `${this.config.project}-nat-${az}` },
        dependsOn: [internetGateway],
      });
    });
  }

  private flowLogs(vpc: Vpc, config: Config): void {
    const logGroup = new CloudwatchLogGroup(this, "flow-logs", {
      name: `/vpc/${config.project}/flow-logs`,
      retentionInDays: config.network.flowLogs.retentionDays,
    });
    const role = new ServiceRole(this, "flow-logs-role", {
      name: `${config.project}-vpc-flow-logs`,
      assumedBy: "vpc-flow-logs.amazonaws.com",
      existingRoleName: config.iam.mode === "existing-role" ? config.iam.roleName : undefined,
      statements: [
        {
          sid: "WriteFlowLogs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [`${logGroup.arn}:*`],
        },
      ],
    });
    new FlowLog(this, "flow-log", {
      vpcId: vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
    });
  }
}
