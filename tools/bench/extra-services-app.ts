/**
 * Benchmark fixture (not a shipped environment): the hackathon app plus a stack of N extra
 * Fargate services, each with its target group and listener rule, log group, CPU scaling and
 * security rules, so `make bench` can measure what one more service costs at synth.
 * Usage: node .gen/bench/extra-services-app.js <N>            one synth, prints {"synthMs"}
 *        node .gen/bench/extra-services-app.js <N> <pairs>    warm, prints the ms per service
 *                                                             of each (0, N) pair: {"slopes"}
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { loadConfig } from "../../config/load";
import { buildApp } from "../../main";
import { FargateService } from "../../modules/fargate-service";
import { useLeanStackTraces } from "../../modules/lean-stack-traces";
import { INTERNET, SecurityGroupMatrix, type SecurityRule } from "../../modules/security-group-matrix";
import { ServiceRole } from "../../modules/service-role";

export function buildWithExtraServices(app: App, extra: number): App {
  const config = loadConfig("hackathon");
  buildApp(app, config);
  const stack = new TerraformStack(app, "bench-extra-services");
  new AwsProvider(stack, "aws", { region: config.region });
  const names = Array.from({ length: extra }, (_, i) => `svc-${i}`);
  const groups: Record<string, string> = { alb: "bench load balancer" };
  const rules: SecurityRule[] = [{ from: INTERNET, to: "alb", port: 80, description: "HTTP" }];
  for (const name of names) {
    groups[name] = `bench service ${name}`;
    rules.push({ from: "alb", to: name, port: 8000, description: "ALB to service" });
    rules.push({ from: name, to: INTERNET, port: 443, description: "AWS APIs" });
  }
  const matrix = new SecurityGroupMatrix(stack, "matrix", { vpcId: "vpc-0bench", namePrefix: "bench", groups, rules });
  const cluster = new EcsCluster(stack, "cluster", { name: "bench" });
  const listener = new LbListener(stack, "listener", {
    loadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/bench/0",
    port: 80,
    protocol: "HTTP",
    defaultAction: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404" } }],
  });
  const executionRole = new ServiceRole(stack, "execution", { name: "bench-execution", assumedBy: "ecs-tasks.amazonaws.com" });
  names.forEach((name, i) => {
    const logGroup = new CloudwatchLogGroup(stack, `${name}-logs`, { name: `/ecs/bench/${name}`, retentionInDays: 7 });
    const targetGroup = new LbTargetGroup(stack, `${name}-tg`, {
      name: `bench-${name}`,
      port: 8000,
      protocol: "HTTP",
      targetType: "ip",
      vpcId: "vpc-0bench",
      healthCheck: { path: "/health" },
    });
    new LbListenerRule(stack, `${name}-rule`, {
      listenerArn: listener.arn,
      priority: i + 1,
      condition: [{ pathPattern: { values: [`/${name}/*`] } }],
      action: [{ type: "forward", targetGroupArn: targetGroup.arn }],
    });
    new FargateService(stack, name, {
      family: `bench-${name}`,
      cluster: { arn: cluster.arn, name: cluster.name },
      containers: { name: "app", image: "public.ecr.aws/bench/app:1", port: 8000, environment: { SERVICE: name } },
      cpu: 256,
      memoryMiB: 512,
      logGroupName: logGroup.name,
      region: config.region,
      executionRole,
      taskRole: new ServiceRole(stack, `${name}-task`, { name: `bench-${name}-task`, assumedBy: "ecs-tasks.amazonaws.com" }),
      subnetIds: ["subnet-0bench"],
      securityGroupIds: [matrix.groupIds[name]],
      loadBalancer: { targetGroupArn: targetGroup.arn, containerName: "app", containerPort: 8000 },
      autoscaling: { minCapacity: 1, maxCapacity: 3, cpuTargetPercent: 50 },
    });
  });
  return app;
}

/** Milliseconds to build and synthesize the app with `extra` services, in this process. */
function timeSynth(extra: number): number {
  const started = performance.now();
  buildWithExtraServices(new App(), extra).synth();
  return performance.now() - started;
}

if (require.main === module) {
  useLeanStackTraces(); // as main() does for the app
  const extra = Number(process.argv[2] ?? "0");
  const pairs = Number(process.argv[3] ?? "0");
  if (pairs === 0) {
    process.stdout.write(`${JSON.stringify({ synthMs: timeSynth(extra) })}\n`);
  } else {
    // Warm: after one round, alternate the plain app and the one with `extra` services.
    timeSynth(0);
    timeSynth(extra);
    const slopes = Array.from({ length: pairs }, () => {
      const base = timeSynth(0);
      return (timeSynth(extra) - base) / extra;
    });
    process.stdout.write(`${JSON.stringify({ slopes })}\n`);
  }
}
