import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { STACK_IDS } from "../stacks/app-stack";
import { resourcesOf } from "../tools/synthesized/tf-json";
import { type SynthesizedEnvironment, synthEnvironment } from "./helpers";

/** A list that holds an element with these properties (the matchers compare nested lists whole). */
const holding = (properties: Record<string, unknown>) => expect.arrayContaining([expect.objectContaining(properties)]);

describe("the app", () => {
  let env: SynthesizedEnvironment;
  beforeAll(() => {
    env = synthEnvironment("hackathon");
  });

  it("tags every resource with project, environment, system and managed-by through default tags", () => {
    for (const stack of ["state", "network", "data"] as const) {
      expect(env.json(stack)).toHaveProviderWithProperties(AwsProvider, {
        default_tags: [{ tags: { project: "alerta-utec", environment: "hackathon", system: "shared", "managed-by": "cdktf" } }],
      });
    }
  });

  it("bootstraps the state bucket on a local backend: versioned, encrypted, private, TLS-only", () => {
    // The terraform block is beyond the matchers, which look at resources, data sources and providers.
    expect(env.stack("state").terraform?.backend).toEqual({ local: { path: "../../../terraform.hackathon.state.tfstate" } });
    const json = env.json("state");
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: "alerta-utec-tfstate-hack01", force_destroy: true });
    expect(resourcesOf(json, S3Bucket)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(resourcesOf(json, S3BucketVersioningA)).toHaveLength(1);
    expect(resourcesOf(json, S3BucketPublicAccessBlock)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: holding({ id: "expire-noncurrent-versions", noncurrent_version_expiration: [{ noncurrent_days: 90 }] }),
    });
    expect(resourcesOf(json, S3BucketServerSideEncryptionConfigurationA)).toHaveLength(1);
    expect(json).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: holding({ condition: holding({ variable: "aws:SecureTransport" }) }),
    });
  });

  it("makes every stack require the Terraform the data stack's write-only arguments need", () => {
    for (const stack of STACK_IDS) expect(env.stack(stack).terraform?.required_version).toBe(">= 1.11.0");
  });

  it("declares the stack ids the README documents, in deployment order", () => {
    expect(STACK_IDS).toEqual(["state", "network", "data", "airflow", "video-pipeline"]);
  });
});
