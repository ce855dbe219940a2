/**
 * The SNS topic a system's CloudWatch alarms notify, with an optional e-mail subscription.
 */
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";

export interface AlarmTopicProps {
  readonly topicName: string;
  /**
   * Subscribed by e-mail; AWS sends a confirmation message that must be accepted before any
   * alarm arrives. @default - no subscription
   */
  readonly email?: string;
  /**
   * Customer-managed KMS key to encrypt the topic with; its key policy must let
   * cloudwatch.amazonaws.com use it.
   * @default - not encrypted at rest
   */
  readonly kmsKeyArn?: string;
}

/** Alarm and OK both notify the topic, so a recovery is announced as well as the failure. */
export function notifying(topicArn: string) {
  return { alarmActions: [topicArn], okActions: [topicArn] };
}

/**
 * "Down for five minutes": alarm when a metric that something healthy always reports (a
 * healthy-host minimum, a running task's data points) is below 1 in each of five one-minute
 * periods, or missing, since missing is exactly what a dead service reports.
 */
export const BELOW_ONE_FOR_FIVE_MINUTES = {
  period: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 5,
  comparisonOperator: "LessThanThreshold",
  threshold: 1,
  treatMissingData: "breaching",
} as const;

/**
 * Unencrypted by default, on purpose: CloudWatch cannot publish to a topic encrypted with the
 * AWS-managed `aws/sns` key (its key policy cannot be changed to let CloudWatch use it), and a
 * customer-managed key costs $1 a month per key plus requests. The messages are alarm state
 * changes (alarm name, metric, threshold), not incident data.
 */
export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", {
      name: props.topicName,
      ...(props.kmsKeyArn ? { kmsMasterKeyId: props.kmsKeyArn } : {}),
    });
    this.arn = this.topic.arn;
    if (props.email) {
      new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });
    }
  }
}
