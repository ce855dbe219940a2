import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Testing } from "cdktf";
import { AlarmTopic, type AlarmTopicProps } from "../../modules/alarm-topic";
import { resourcesOf } from "../../tools/synthesized/tf-json";

const synth = (props: AlarmTopicProps): string => Testing.synthScope((scope) => new AlarmTopic(scope, "alarms", props));

describe("AlarmTopic", () => {
  it("subscribes the alarm e-mail when one is configured", () => {
    const json = synth({ topicName: "app-alarms", email: "ops@example.com" });
    expect(json).toHaveResourceWithProperties(SnsTopic, { name: "app-alarms" });
    expect(resourcesOf(json, SnsTopic)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "ops@example.com" });
    expect(resourcesOf(json, SnsTopicSubscription)).toHaveLength(1);
  });

  it("creates no subscription without an e-mail", () => {
    expect(synth({ topicName: "app-alarms" })).not.toHaveResource(SnsTopicSubscription);
  });

  it("is not encrypted with the AWS-managed key, which CloudWatch cannot publish through", () => {
    const json = synth({ topicName: "app-alarms" });
    expect(json).toHaveResource(SnsTopic);
    expect(json).not.toHaveResourceWithProperties(SnsTopic, { kms_master_key_id: expect.anything() });
    expect(synth({ topicName: "t", kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" })).toHaveResourceWithProperties(SnsTopic, {
      kms_master_key_id: "arn:aws:kms:us-east-1:1:key/k",
    });
  });
});
