import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Testing } from "cdktf";
import { QueueDepthScaling, type QueueDepthScalingProps, scaleOutSteps } from "../../modules/queue-depth-scaling";
import { onlyResource, type Resource } from "../../tools/synthesized/tf-json";

const target = { serviceNamespace: "ecs", resourceId: "service/cluster/worker", scalableDimension: "ecs:service:DesiredCount" };
const base: QueueDepthScalingProps = {
  name: "worker",
  scalableTarget: target,
  queueName: "jobs",
  minCapacity: 1,
  maxCapacity: 4,
  backlogPerTask: 2,
  cooldownSeconds: 60,
};

function synth(props: QueueDepthScalingProps) {
  const json = Testing.synthScope((scope) => new QueueDepthScaling(scope, "scaling", props));
  return {
    json,
    /** The alarm and the policy as data, for the simulation below. */
    alarm: (name: string) => onlyResource(json, CloudwatchMetricAlarm, "alarm_name", name),
    policy: (name: string) => onlyResource(json, AppautoscalingPolicy, "name", name),
  };
}

/**
 * What Application Auto Scaling does with an alarm datapoint: breach = value - threshold, and the
 * step whose [lower, upper) interval holds it (values sit half a message off every bound).
 */
function adjustmentFor(alarm: Resource, policy: Resource, value: number): number | undefined {
  const breaching = alarm.comparison_operator === "GreaterThanThreshold" ? value > alarm.threshold : value < alarm.threshold;
  if (!breaching) return undefined;
  const breach = value - alarm.threshold;
  const step = policy.step_scaling_policy_configuration.step_adjustment.find(
    (s: Resource) =>
      (s.metric_interval_lower_bound === undefined || breach > Number(s.metric_interval_lower_bound)) &&
      (s.metric_interval_upper_bound === undefined || breach < Number(s.metric_interval_upper_bound)),
  );
  if (!step) throw new Error(`no step for value ${value} (breach ${breach})`);
  return step.scaling_adjustment;
}

describe("QueueDepthScaling", () => {
  let scaling: ReturnType<typeof synth>;
  beforeAll(() => {
    scaling = synth(base);
  });

  it("adds one task per backlogPerTask waiting messages, up to maxCapacity - minCapacity at once", () => {
    const alarm = scaling.alarm("worker-queue-backlog");
    const policy = scaling.policy("worker-queue-backlog-scale-out");
    const added = [0, 1, 2, 3, 4, 5, 6, 7, 50].map((visible) => adjustmentFor(alarm, policy, visible));
    expect(added).toEqual([undefined, undefined, 1, 1, 2, 2, 3, 3, 3]);
  });

  it("scales out on the visible messages only, after two minutes, never on missing data, with ChangeInCapacity", () => {
    expect(scaling.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "worker-queue-backlog",
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "jobs" },
      statistic: "Maximum",
      period: 60,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      comparison_operator: "GreaterThanThreshold",
      threshold: 1.5,
      treat_missing_data: "notBreaching",
      alarm_actions: [expect.stringMatching(/^\$\{aws_appautoscaling_policy\.scaling_scale-out_\w+\.arn\}$/)],
    });
    expect(scaling.json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "worker-queue-backlog-scale-out",
      policy_type: "StepScaling",
      service_namespace: "ecs",
      resource_id: "service/cluster/worker",
      scalable_dimension: "ecs:service:DesiredCount",
      step_scaling_policy_configuration: {
        adjustment_type: "ChangeInCapacity",
        cooldown: 60,
        metric_aggregation_type: "Maximum",
        step_adjustment: [
          { metric_interval_lower_bound: "0", metric_interval_upper_bound: "2", scaling_adjustment: 1 },
          { metric_interval_lower_bound: "2", metric_interval_upper_bound: "4", scaling_adjustment: 2 },
          { metric_interval_lower_bound: "4", scaling_adjustment: 3 },
        ],
      },
    });
  });

  it("scales in to minCapacity only after ten minutes with nothing waiting and nothing in flight", () => {
    expect(scaling.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "worker-queue-idle",
      evaluation_periods: 10,
      datapoints_to_alarm: 10,
      comparison_operator: "LessThanThreshold",
      threshold: 0.5,
      treat_missing_data: "notBreaching",
      alarm_actions: [expect.stringMatching(/^\$\{aws_appautoscaling_policy\.scaling_scale-in_\w+\.arn\}$/)],
      metric_query: [
        {
          id: "visible",
          return_data: false,
          metric: {
            namespace: "AWS/SQS",
            metric_name: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: "jobs" },
            stat: "Maximum",
            period: 60,
          },
        },
        {
          id: "inFlight",
          return_data: false,
          metric: {
            namespace: "AWS/SQS",
            metric_name: "ApproximateNumberOfMessagesNotVisible",
            dimensions: { QueueName: "jobs" },
            stat: "Maximum",
            period: 60,
          },
        },
        { id: "pending", expression: "visible + inFlight", label: "Messages waiting or in flight", return_data: true },
      ],
    });
    expect(scaling.json).not.toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "worker-queue-idle",
      metric_name: expect.anything(),
    });
    expect(scaling.json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "worker-queue-idle-scale-in",
      step_scaling_policy_configuration: {
        adjustment_type: "ExactCapacity",
        cooldown: 60,
        metric_aggregation_type: "Maximum",
        step_adjustment: [{ metric_interval_upper_bound: "0", scaling_adjustment: 1 }],
      },
    });
    const [alarm, policy] = [scaling.alarm("worker-queue-idle"), scaling.policy("worker-queue-idle-scale-in")];
    // One job in flight (or one waiting) keeps every task.
    expect([0, 1, 2].map((pending) => adjustmentFor(alarm, policy, pending))).toEqual([1, undefined, undefined]);
  });

  it("takes its evaluation windows and cooldown from the props", () => {
    const custom = synth({ ...base, cooldownSeconds: 120, scaleOutMinutes: 3, scaleInIdleMinutes: 15 });
    expect(custom.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "worker-queue-backlog",
      evaluation_periods: 3,
    });
    expect(custom.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "worker-queue-idle",
      datapoints_to_alarm: 15,
    });
    expect(custom.json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "worker-queue-backlog-scale-out",
      step_scaling_policy_configuration: expect.objectContaining({ cooldown: 120 }),
    });
  });

  it("uses a 300 s cooldown unless told otherwise", () => {
    const defaults = synth({ ...base, cooldownSeconds: undefined });
    expect(defaults.json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "worker-queue-idle-scale-in",
      step_scaling_policy_configuration: expect.objectContaining({ cooldown: 300 }),
    });
  });

  it("keeps one step when the bounds leave no room, and scales a service with minCapacity 0 back to 0", () => {
    expect(scaleOutSteps(2, 2, 3)).toEqual([{ fromMessages: 3, addTasks: 1 }]);
    const toZero = synth({ ...base, minCapacity: 0, maxCapacity: 2, backlogPerTask: 1 });
    expect(toZero.json).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "worker-queue-idle-scale-in",
      step_scaling_policy_configuration: expect.objectContaining({
        step_adjustment: [{ metric_interval_upper_bound: "0", scaling_adjustment: 0 }],
      }),
    });
    const alarm = toZero.alarm("worker-queue-backlog");
    const policy = toZero.policy("worker-queue-backlog-scale-out");
    expect([0, 1, 2, 3].map((v) => adjustmentFor(alarm, policy, v))).toEqual([undefined, 1, 2, 2]);
  });

  it("refuses impossible props, naming each one in a single error", () => {
    let message = "";
    try {
      synth({ ...base, minCapacity: 5, backlogPerTask: 0, scaleInIdleMinutes: 2000 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("backlogPerTask: 0 (expected an integer of at least 1)");
    expect(message).toContain("minCapacity: 5 exceeds maxCapacity 4");
    expect(message).toContain("scaleInIdleMinutes: 2000 (expected at most 1440)");
  });
});
