import { STACK_IDS } from "../stacks/app-stack";
import { type SynthesizedEnvironment, synthEnvironment } from "./helpers";

describe("the app", () => {
  let env: SynthesizedEnvironment;
  beforeAll(() => {
    env = synthEnvironment("hackathon");
  });

  it("tags every resource with project, environment, system and managed-by through default tags", () => {
    for (const stack of ["state", "network", "data"] as const) {
      const provider = env.stack(stack).provider as { aws: [{ default_tags: [{ tags: Record<string, string> }] }] };
      expect(provider.aws[0].default_tags[0].tags).toEqual({
        project: "alerta-utec",
        environment: "hackathon",
        system: "shared",
        "managed-by": "cdktf",
      });
    }
  });

  it("bootstraps the state bucket on a local backend: versioned, encrypted, private, TLS-only", () => {
    const state = env.stack("state");
    expect(state.terraform?.backend).toEqual({ local: { path: "../../../terraform.hackathon.state.tfstate" } });
    expect(Object.values(env.resources<Record<string, unknown>>("state", "aws_s3_bucket"))).toEqual([
      expect.objectContaining({ bucket: "alerta-utec-tfstate-hack01", force_destroy: true }),
    ]);
    expect(Object.values(env.resources("state", "aws_s3_bucket_versioning"))).toEqual([
      expect.objectContaining({ versioning_configuration: { status: "Enabled" } }),
    ]);
    expect(Object.keys(env.resources("state", "aws_s3_bucket_public_access_block"))).toHaveLength(1);
    const [lifecycle] = Object.values(env.resources<Record<string, any>>("state", "aws_s3_bucket_lifecycle_configuration"));
    expect(lifecycle.rule).toContainEqual(
      expect.objectContaining({ id: "expire-noncurrent-versions", noncurrent_version_expiration: [{ noncurrent_days: 90 }] }),
    );
    expect(Object.keys(env.resources("state", "aws_s3_bucket_server_side_encryption_configuration"))).toHaveLength(1);
    expect(JSON.stringify(state.data)).toContain('"variable":"aws:SecureTransport"');
  });

  it("makes every stack require the Terraform the data stack's write-only arguments need", () => {
    for (const stack of STACK_IDS) expect(env.stack(stack).terraform?.required_version).toBe(">= 1.11.0");
  });

  it("declares the stack ids the README documents, in deployment order", () => {
    expect(STACK_IDS).toEqual(["state", "network", "data", "airflow", "video-pipeline"]);
  });
});
