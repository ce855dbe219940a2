import { synthEnvironment } from "../helpers";

type Resource = Record<string, unknown>;

// Destroying `state` comes last, when the bucket still holds every other stack's state file and
// all their earlier versions: S3 refuses to delete it (409 BucketNotEmpty) unless force_destroy.
describe.each([
  ["hackathon", true],
  ["learner-lab", true],
  ["production", false],
] as const)("state stack in %s", (environment, forceDestroy) => {
  const env = synthEnvironment(environment);

  it("keeps every version of the state files", () => {
    const versioning = Object.values(env.resources<Resource>("state", "aws_s3_bucket_versioning"));
    expect(versioning).toEqual([expect.objectContaining({ versioning_configuration: { status: "Enabled" } })]);
  });

  it(`${forceDestroy ? "deletes" : "keeps"} the state files with the bucket on destroy, as data.forceDestroyBuckets says`, () => {
    expect(env.config.data.forceDestroyBuckets).toBe(forceDestroy);
    expect(Object.values(env.resources<Resource>("state", "aws_s3_bucket"))).toEqual([
      expect.objectContaining({ bucket: env.config.state.bucket, force_destroy: forceDestroy }),
    ]);
  });
});
