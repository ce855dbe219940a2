import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { resourcesOf } from "../../tools/synthesized/tf-json";
import { synthEnvironment } from "../helpers";

// Destroying `state` comes last, when the bucket still holds every other stack's state file and
// all their earlier versions: S3 refuses to delete it (409 BucketNotEmpty) unless force_destroy.
describe.each([
  ["hackathon", true],
  ["learner-lab", true],
  ["production", false],
] as const)("state stack in %s", (environment, forceDestroy) => {
  const env = synthEnvironment(environment);

  it("keeps every version of the state files", () => {
    expect(env.json("state")).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: "Enabled" },
    });
  });

  it(`${forceDestroy ? "deletes" : "keeps"} the state files with the bucket on destroy, as data.forceDestroyBuckets says`, () => {
    expect(env.config.data.forceDestroyBuckets).toBe(forceDestroy);
    const json = env.json("state");
    expect(resourcesOf(json, S3Bucket)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: env.config.state.bucket, force_destroy: forceDestroy });
  });
});
