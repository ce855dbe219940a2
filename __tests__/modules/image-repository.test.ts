import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, TerraformStack, Testing } from "cdktf";
import { FargateCluster } from "../../modules/fargate-cluster";
import { ImageRepository } from "../../modules/image-repository";
import { ServiceRole } from "../../modules/service-role";
import { decodeJsonencode } from "../tf-json";

type Resources = Record<string, Record<string, Record<string, any>>>;

describe("ImageRepository and FargateCluster", () => {
  let resources: Resources;
  beforeAll(() => {
    const stack = new TerraformStack(Testing.app() as App, "test");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    const repository = new ImageRepository(stack, "repository", { name: "app", keptImages: 5, forceDelete: false });
    new ServiceRole(stack, "puller", {
      name: "puller",
      assumedBy: "ecs-tasks.amazonaws.com",
      statements: repository.pullStatements(),
    });
    new FargateCluster(stack, "cluster", { name: "app" });
    resources = (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
  });

  it("keeps tags immutable except latest, scans on push and encrypts", () => {
    expect(Object.values(resources.aws_ecr_repository)).toEqual([
      expect.objectContaining({
        name: "app",
        image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION",
        image_tag_mutability_exclusion_filter: [{ filter: "latest", filter_type: "WILDCARD" }],
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [{ encryption_type: "AES256" }],
        force_delete: false,
      }),
    ]);
  });

  it("expires all but the newest images", () => {
    const [lifecycle] = Object.values(resources.aws_ecr_lifecycle_policy);
    expect(JSON.parse(lifecycle.policy).rules[0].selection).toEqual({
      tagStatus: "any",
      countType: "imageCountMoreThan",
      countNumber: 5,
    });
  });

  it("grants a pull on this repository only, with the registry-wide token the one wildcard", () => {
    const [policy] = Object.values(resources.aws_iam_role_policy);
    const statements = (decodeJsonencode(policy.policy) as { Statement: { Action: string[]; Resource: string[] }[] }).Statement;
    expect(statements.map((s) => [s.Action, s.Resource])).toEqual([
      [["ecr:GetAuthorizationToken"], ["*"]],
      [
        ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        [expect.stringMatching(/^aws_ecr_repository\.repository_\w+\.arn$/)],
      ],
    ]);
  });

  it("offers FARGATE and FARGATE_SPOT, FARGATE by default, without Container Insights", () => {
    expect(Object.values(resources.aws_ecs_cluster)).toEqual([
      expect.objectContaining({ name: "app", setting: [{ name: "containerInsights", value: "disabled" }] }),
    ]);
    expect(Object.values(resources.aws_ecs_cluster_capacity_providers)).toEqual([
      expect.objectContaining({
        capacity_providers: ["FARGATE", "FARGATE_SPOT"],
        default_capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1, base: 0 }],
      }),
    ]);
  });
});
