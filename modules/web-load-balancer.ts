/**
 * An internet-facing Application Load Balancer in front of one ECS service: a target group of
 * task IPs and an HTTP listener, or, with a certificate, an HTTPS listener and an HTTP listener
 * that only redirects to it.
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { BELOW_ONE_FOR_FIVE_MINUTES, notifying } from "./alarm-topic";

/** TLS 1.3 and 1.2 only, forward secrecy only: AWS's recommended policy for new listeners. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

// AWS limits load balancer and target group names to 32 characters.
const MAX_NAME_LENGTH = 32;
const MAX_TARGET_GROUP_NAME_LENGTH = 32;

export interface TargetHealthCheck {
  /** Path the load balancer requests on each target. */
  readonly path: string;
  /** @default 30 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** Consecutive successes before a target is healthy. @default 5 */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a target is unhealthy. @default 2 */
  readonly unhealthyThreshold?: number;
  /** HTTP codes that mean healthy. @default "200" */
  readonly matcher?: string;
}

/** Where the load balancer writes its access logs; the bucket's policy must let ELB write there. */
export interface AccessLogsDestination {
  readonly bucket: string;
  /** Key prefix, without slashes at either end. */
  readonly prefix: string;
}

export interface WebLoadBalancerProps {
  /** @default - no access logs */
  readonly accessLogs?: AccessLogsDestination;
  /** Name of the load balancer (at most 32 characters; 29 when the target group takes the default `<name>-tg`). */
  readonly name: string;
  /** Name of the target group (at most 32 characters). @default - `<name>-tg` */
  readonly targetGroupName?: string;
  readonly vpcId: string;
  /** Public subnets, in at least two availability zones. */
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** Port the targets (tasks) listen on. */
  readonly targetPort: number;
  /** Port of the HTTP listener (PORTS.http). */
  readonly httpPort: number;
  /** Port of the HTTPS listener (PORTS.https); used only with `certificateArn`. */
  readonly httpsPort: number;
  /** ACM certificate: adds an HTTPS listener and makes HTTP redirect to it. @default - HTTP only */
  readonly certificateArn?: string;
  readonly healthCheck: TargetHealthCheck;
  /** Sticky sessions (lb_cookie) for this many seconds. @default - no stickiness */
  readonly stickinessSeconds?: number;
  /** Seconds a deregistering target keeps its in-flight requests. @default 300 */
  readonly deregistrationDelaySeconds?: number;
  /** @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Refuse deletion through the API (and so `terraform destroy`). @default false */
  readonly deletionProtection?: boolean;
  /**
   * Path patterns the load balancer answers 404 itself, never forwarding them: routes the
   * targets serve to callers inside the VPC only (at most 5 patterns, an ALB condition's limit).
   * @default - every path is forwarded
   */
  readonly blockedPathPatterns?: readonly string[];
}

export class WebLoadBalancer extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  /** The listener that forwards to the target group; a service attached to it must depend on it. */
  readonly forwardingListener: LbListener;
  /** `http://` or `https://` + the load balancer's DNS name. */
  readonly url: string;
  readonly dnsName: string;
  /** `app/<name>/<id>`: the LoadBalancer dimension of AWS/ApplicationELB metrics. */
  readonly arnSuffix: string;
  /** `targetgroup/<name>/<id>`: the TargetGroup dimension of AWS/ApplicationELB metrics. */
  readonly targetGroupArnSuffix: string;
  readonly targetGroupArn: string;

  constructor(scope: Construct, id: string, props: WebLoadBalancerProps) {
    super(scope, id);
    const problems: string[] = [];
    if (props.name.length > MAX_NAME_LENGTH) {
      problems.push(`name: "${props.name}" is ${props.name.length} characters (expected at most ${MAX_NAME_LENGTH})`);
    }
    const targetGroupName = props.targetGroupName ?? `${props.name}-tg`;
    if (targetGroupName.length > MAX_TARGET_GROUP_NAME_LENGTH) {
      problems.push(
        `targetGroupName: "${targetGroupName}" is ${targetGroupName.length} characters (expected at most ${MAX_TARGET_GROUP_NAME_LENGTH})`,
      );
    }
    if ((props.blockedPathPatterns?.length ?? 0) > 5) {
      problems.push(`blockedPathPatterns: ${props.blockedPathPatterns?.length} patterns (expected at most 5)`);
    }
    if (!Token.isUnresolved(props.subnetIds) && props.subnetIds.length < 2) {
      problems.push(`subnetIds: ${props.subnetIds.length} subnet(s) (expected at least 2, in different availability zones)`);
    }
    if (problems.length > 0) throw new Error(`WebLoadBalancer ${id}:\n  ${problems.join("\n  ")}`);

    this.loadBalancer = new Lb(this, "alb", {
      name: props.name,
      loadBalancerType: "application",
      internal: false,
      subnets: [...props.subnetIds],
      securityGroups: [...props.securityGroupIds],
      // Requests with header names that are not valid HTTP never reach the targets.
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? false,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      accessLogs: props.accessLogs
        ? { bucket: props.accessLogs.bucket, prefix: props.accessLogs.prefix, enabled: true }
        : undefined,
    });

    const hc = props.healthCheck;
    this.targetGroup = new LbTargetGroup(this, "target-group", {
      name: targetGroupName,
      // awsvpc tasks register by IP.
      targetType: "ip",
      port: props.targetPort,
      protocol: "HTTP",
      vpcId: props.vpcId,
      deregistrationDelay: String(props.deregistrationDelaySeconds ?? 300),
      healthCheck: {
        enabled: true,
        path: hc.path,
        protocol: "HTTP",
        port: "traffic-port",
        interval: hc.intervalSeconds ?? 30,
        timeout: hc.timeoutSeconds ?? 5,
        healthyThreshold: hc.healthyThreshold ?? 5,
        unhealthyThreshold: hc.unhealthyThreshold ?? 2,
        matcher: hc.matcher ?? "200",
      },
      stickiness:
        props.stickinessSeconds === undefined
          ? { type: "lb_cookie", enabled: false }
          : { type: "lb_cookie", enabled: true, cookieDuration: props.stickinessSeconds },
    });

    const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];
    if (props.certificateArn) {
      this.forwardingListener = new LbListener(this, "https", {
        loadBalancerArn: this.loadBalancer.arn,
        port: props.httpsPort,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: props.certificateArn,
        defaultAction: forward,
      });
      new LbListener(this, "http", {
        loadBalancerArn: this.loadBalancer.arn,
        port: props.httpPort,
        protocol: "HTTP",
        defaultAction: [
          {
            type: "redirect",
            redirect: { protocol: "HTTPS", port: String(props.httpsPort), statusCode: "HTTP_301" },
          },
        ],
      });
    } else {
      this.forwardingListener = new LbListener(this, "http", {
        loadBalancerArn: this.loadBalancer.arn,
        port: props.httpPort,
        protocol: "HTTP",
        defaultAction: forward,
      });
    }

    const blocked = props.blockedPathPatterns ?? [];
    if (blocked.length > 0) {
      new LbListenerRule(this, "blocked-paths", {
        listenerArn: this.forwardingListener.arn,
        priority: 1,
        condition: [{ pathPattern: { values: [...blocked] } }],
        action: [
          { type: "fixed-response", fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "Not Found" } },
        ],
      });
    }

    this.dnsName = this.loadBalancer.dnsName;
    this.url = `${props.certificateArn ? "https" : "http"}://${this.loadBalancer.dnsName}`;
    this.arnSuffix = this.loadBalancer.arnSuffix;
    this.targetGroupArn = this.targetGroup.arn;
    this.targetGroupArnSuffix = this.targetGroup.arnSuffix;
  }

  /**
   * The alarms an operator of a web service needs, sent to `topicArn`: no healthy target for 5
   * minutes, and 5XX answers from the load balancer or from the targets.
   */
  addAlarms(props: WebLoadBalancerAlarmsProps): void {
    const serverErrors = props.serverErrorsPer5Minutes ?? 10;
    const actions = notifying(props.topicArn);
    const target = { LoadBalancer: this.arnSuffix, TargetGroup: this.targetGroupArnSuffix };
    new CloudwatchMetricAlarm(this, "alarm-no-healthy-target", {
      alarmName: `${props.namePrefix}-no-healthy-${props.targetName}`,
      alarmDescription: `No ${props.targetName} task has passed the load balancer's health check for 5 minutes: the service is down`,
      namespace: "AWS/ApplicationELB",
      metricName: "HealthyHostCount",
      dimensions: target,
      statistic: "Minimum",
      ...BELOW_ONE_FOR_FIVE_MINUTES,
      ...actions,
    });
    for (const [key, metric, who, dimensions] of [
      ["alb-5xx", "HTTPCode_ELB_5XX_Count", "The load balancer", { LoadBalancer: this.arnSuffix }],
      [`${props.targetName}-5xx`, "HTTPCode_Target_5XX_Count", `The ${props.targetName}`, target],
    ] as const) {
      new CloudwatchMetricAlarm(this, `alarm-${key}`, {
        alarmName: `${props.namePrefix}-${key}`,
        alarmDescription: `${who} answered ${serverErrors} or more 5XX responses in 5 minutes`,
        namespace: "AWS/ApplicationELB",
        metricName: metric,
        dimensions,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: serverErrors,
        // No requests, no data points: that is not an error.
        treatMissingData: "notBreaching",
        ...actions,
      });
    }
  }
}

export interface WebLoadBalancerAlarmsProps {
  /** SNS topic the alarms notify, on alarm and on recovery. */
  readonly topicArn: string;
  /** Start of every alarm name, e.g. the system's name. */
  readonly namePrefix: string;
  /** What the targets are, in alarm names and descriptions, e.g. "webserver". */
  readonly targetName: string;
  /** @default 10 */
  readonly serverErrorsPer5Minutes?: number;
}
