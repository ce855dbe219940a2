import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, TerraformStack, Testing } from "cdktf";
import { AlarmTopic, type AlarmTopicProps } from "../../modules/alarm-topic";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function synth(props: AlarmTopicProps): Resources {
  const stack = new TerraformStack(Testing.app() as App, "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new AlarmTopic(stack, "alarms", props);
  return (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
}

describe("AlarmTopic", () => {
  it("subscribes the alarm e-mail when one is configured", () => {
    const r = synth({ topicName: "app-alarms", email: "ops@example.com" });
    expect(Object.values(r.aws_sns_topic)).toEqual([expect.objectContaining({ name: "app-alarms" })]);
    expect(Object.values(r.aws_sns_topic_subscription)).toEqual([
      expect.objectContaining({ protocol: "email", endpoint: "ops@example.com" }),
    ]);
  });

  it("creates no subscription without an e-mail", () => {
    expect(synth({ topicName: "app-alarms" }).aws_sns_topic_subscription).toBeUndefined();
  });

  it("is not encrypted with the AWS-managed key, which CloudWatch cannot publish through", () => {
    const topic = Object.values(synth({ topicName: "app-alarms" }).aws_sns_topic)[0];
    expect(topic).not.toHaveProperty("kms_master_key_id");
    const withKey = Object.values(synth({ topicName: "t", kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" }).aws_sns_topic)[0];
    expect(withKey.kms_master_key_id).toBe("arn:aws:kms:us-east-1:1:key/k");
  });
});
