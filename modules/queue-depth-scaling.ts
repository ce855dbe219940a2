/**
 * Step scaling of a queue consumer (an ECS service's desired count) on the depth of its SQS queue:
 * out in proportion to the messages waiting, in only when nothing is waiting and nothing is being
 * worked on. Two CloudWatch alarms drive two step scaling policies.
 *
 * Why not target tracking on "backlog per task": that divides the queue depth by the running task
 * count, which CloudWatch has only with Container Insights (a paid per-metric feature). Without it
 * the service's size is unknown to the alarm, so scale-out uses the absolute backlog (every
 * `backlogPerTask` waiting messages ask for one more task) and scale-in waits for an idle queue.
 *
 * How the alarms behave (Application Auto Scaling and CloudWatch, as documented):
 * - SQS publishes its queue metrics once a minute while the queue is active, late by a minute or
 *   more, and stops after six hours without activity (a consumer that long-polls keeps the queue
 *   active; after a quiet spell the first metrics may take up to 15 minutes to return). Periods
 *   are therefore 60 s and every decision needs several consecutive periods.
 * - Missing data is `notBreaching` for both alarms: a gap never scales out (no backlog seen) and
 *   never scales in (no proof of idleness).
 * - An alarm that stays in ALARM invokes its scaling policy again every minute. The scale-out
 *   policy therefore keeps adding tasks while the backlog lasts, at most one step per cooldown
 *   (during the cooldown, the tasks the last step added count towards the next step).
 * - Thresholds sit halfway between integers (message counts are integers), so no value lands on
 *   a step boundary, where AWS's inclusive/exclusive rule differs above and below the threshold.
 */
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";

/** SQS queue metrics have one-minute resolution: a shorter period only adds missing data. */
export const SQS_METRIC_PERIOD_SECONDS = 60;

/** The Application Auto Scaling target to scale (FargateService.scalableTarget fits). */
export interface ScalableTargetReference {
  readonly serviceNamespace: string;
  readonly resourceId: string;
  readonly scalableDimension: string;
}

/** One step of the scale-out policy, in messages waiting (ApproximateNumberOfMessagesVisible). */
export interface ScaleOutStep {
  /** Smallest number of waiting messages of the step. */
  readonly fromMessages: number;
  /** First number of waiting messages above the step. @default - no upper bound (last step) */
  readonly toMessages?: number;
  /** Tasks added to the current desired count. */
  readonly addTasks: number;
}

export interface QueueDepthScalingProps {
  /** Prefix of the policy and alarm names, e.g. the service name. */
  readonly name: string;
  readonly scalableTarget: ScalableTargetReference;
  /** Name of the SQS queue the service consumes (the `QueueName` metric dimension). */
  readonly queueName: string;
  /** Same bounds as the scalable target: scale-in sets the desired count to `minCapacity`. */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /**
   * Waiting messages per task added: from `backlogPerTask` waiting messages one task is added,
   * from twice as many two, and so on, up to `maxCapacity - minCapacity` at once.
   */
  readonly backlogPerTask: number;
  /** Cooldown of both policies. @default 300 */
  readonly cooldownSeconds?: number;
  /** Consecutive minutes with a backlog of at least `backlogPerTask` before scaling out. @default 2 */
  readonly scaleOutMinutes?: number;
  /** Consecutive minutes with no message waiting and none in flight before scaling in. @default 10 */
  readonly scaleInIdleMinutes?: number;
}

/** The scale-out steps for these bounds: `maxCapacity - minCapacity` steps (at least one). */
export function scaleOutSteps(minCapacity: number, maxCapacity: number, backlogPerTask: number): ScaleOutStep[] {
  const count = Math.max(1, maxCapacity - minCapacity);
  return Array.from({ length: count }, (_, i) => ({
    fromMessages: (i + 1) * backlogPerTask,
    ...(i < count - 1 ? { toMessages: (i + 2) * backlogPerTask } : {}),
    addTasks: i + 1,
  }));
}

/** Problems with the props, each naming the prop; empty when the scaling can be built. */
export function queueDepthScalingProblems(props: QueueDepthScalingProps): string[] {
  const problems: string[] = [];
  const integer = (name: string, value: number | undefined, min: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      problems.push(`${name}: ${value} (expected an integer of at least ${min})`);
    }
  };
  integer("minCapacity", props.minCapacity, 0);
  integer("maxCapacity", props.maxCapacity, 1);
  integer("backlogPerTask", props.backlogPerTask, 1);
  integer("cooldownSeconds", props.cooldownSeconds, 0);
  integer("scaleOutMinutes", props.scaleOutMinutes, 1);
  integer("scaleInIdleMinutes", props.scaleInIdleMinutes, 1);
  if (props.minCapacity > props.maxCapacity) {
    problems.push(`minCapacity: ${props.minCapacity} exceeds maxCapacity ${props.maxCapacity}`);
  }
  // CloudWatch evaluates at most one day of one-minute periods.
  for (const key of ["scaleOutMinutes", "scaleInIdleMinutes"] as const) {
    const minutes = props[key];
    if (minutes !== undefined && minutes > 1440) problems.push(`${key}: ${minutes} (expected at most 1440)`);
  }
  return problems;
}

/**
 * Two alarms on the queue and two step scaling policies on the service:
 *
 * - scale-out: `ApproximateNumberOfMessagesVisible` (Maximum per minute) at or above
 *   `backlogPerTask` for `scaleOutMinutes` minutes adds tasks in proportion to the backlog
 *   (ChangeInCapacity: never removes a task, whatever the backlog).
 * - scale-in: `ApproximateNumberOfMessagesVisible + ApproximateNumberOfMessagesNotVisible` equal
 *   to 0 for `scaleInIdleMinutes` minutes sets the count to `minCapacity` (ExactCapacity). A
 *   message in flight is a job some task is working on, so the service only shrinks when every
 *   task is idle. This holds only if the consumer deletes a message when its job ends (Celery's
 *   `task_acks_late`); a consumer that deletes on receipt hides its running jobs from the metric.
 */
export class QueueDepthScaling extends Construct {
  readonly scaleOutPolicy: AppautoscalingPolicy;
  readonly scaleInPolicy: AppautoscalingPolicy;
  readonly scaleOutAlarm: CloudwatchMetricAlarm;
  readonly scaleInAlarm: CloudwatchMetricAlarm;
  readonly steps: readonly ScaleOutStep[];

  constructor(scope: Construct, id: string, props: QueueDepthScalingProps) {
    super(scope, id);
    const problems = queueDepthScalingProblems(props);
    if (problems.length > 0) throw new Error(`QueueDepthScaling ${id}:\n  ${problems.join("\n  ")}`);

    const cooldown = props.cooldownSeconds ?? 300;
    const scaleOutMinutes = props.scaleOutMinutes ?? 2;
    const scaleInIdleMinutes = props.scaleInIdleMinutes ?? 10;
    const target = props.scalableTarget;
    const dimensions = { QueueName: props.queueName };
    const period = SQS_METRIC_PERIOD_SECONDS;

    // Half a message below the first step: "visible >= backlogPerTask" for integer counts.
    const scaleOutThreshold = props.backlogPerTask - 0.5;
    this.steps = scaleOutSteps(props.minCapacity, props.maxCapacity, props.backlogPerTask);
    this.scaleOutPolicy = new AppautoscalingPolicy(this, "scale-out", {
      name: `${props.name}-queue-backlog-scale-out`,
      policyType: "StepScaling",
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      stepScalingPolicyConfiguration: {
        adjustmentType: "ChangeInCapacity",
        cooldown,
        metricAggregationType: "Maximum",
        // Bounds are relative to the threshold: visible - (backlogPerTask - 0.5). Counting from
        // backlogPerTask puts them at 0, backlogPerTask, 2 x backlogPerTask, ... and every count
        // half a message inside one step.
        stepAdjustment: this.steps.map((step) => ({
          metricIntervalLowerBound: String(step.fromMessages - props.backlogPerTask),
          ...(step.toMessages === undefined ? {} : { metricIntervalUpperBound: String(step.toMessages - props.backlogPerTask) }),
          scalingAdjustment: step.addTasks,
        })),
      },
    });
    this.scaleOutAlarm = new CloudwatchMetricAlarm(this, "scale-out-alarm", {
      alarmName: `${props.name}-queue-backlog`,
      alarmDescription: `${props.queueName}: ${props.backlogPerTask} or more messages waiting for ${scaleOutMinutes} minutes; adds one task per ${props.backlogPerTask} waiting (scale-out)`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions,
      statistic: "Maximum",
      period,
      evaluationPeriods: scaleOutMinutes,
      datapointsToAlarm: scaleOutMinutes,
      comparisonOperator: "GreaterThanThreshold",
      threshold: scaleOutThreshold,
      treatMissingData: "notBreaching",
      alarmActions: [this.scaleOutPolicy.arn],
    });

    this.scaleInPolicy = new AppautoscalingPolicy(this, "scale-in", {
      name: `${props.name}-queue-idle-scale-in`,
      policyType: "StepScaling",
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      stepScalingPolicyConfiguration: {
        adjustmentType: "ExactCapacity",
        cooldown,
        metricAggregationType: "Maximum",
        // One step below the threshold (0.5): the only value that alarms is 0.
        stepAdjustment: [{ metricIntervalUpperBound: "0", scalingAdjustment: props.minCapacity }],
      },
    });
    const queueMetric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace: "AWS/SQS", metricName, dimensions, stat: "Maximum", period },
    });
    this.scaleInAlarm = new CloudwatchMetricAlarm(this, "scale-in-alarm", {
      alarmName: `${props.name}-queue-idle`,
      alarmDescription: `${props.queueName}: no message waiting and none in flight for ${scaleInIdleMinutes} minutes; sets the task count to ${props.minCapacity} (scale-in)`,
      metricQuery: [
        queueMetric("visible", "ApproximateNumberOfMessagesVisible"),
        queueMetric("inFlight", "ApproximateNumberOfMessagesNotVisible"),
        { id: "pending", expression: "visible + inFlight", label: "Messages waiting or in flight", returnData: true },
      ],
      evaluationPeriods: scaleInIdleMinutes,
      datapointsToAlarm: scaleInIdleMinutes,
      comparisonOperator: "LessThanThreshold",
      threshold: 0.5,
      treatMissingData: "notBreaching",
      alarmActions: [this.scaleInPolicy.arn],
    });
  }
}
