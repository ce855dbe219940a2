import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Testing } from "cdktf";
import { FargateCluster } from "../../modules/fargate-cluster";
import { ImageRepository } from "../../modules/image-repository";
import { ServiceRole } from "../../modules/service-role";
import { policyStatements, resourcesOf } from "../../tools/synthesized/tf-json";

describe("ImageRepository and FargateCluster", () => {
  let json: string;
  beforeAll(() => {
    json = Testing.synthScope((scope) => {
      const repository = new ImageRepository(scope, "repository", { name: "app", keptImages: 5, forceDelete: false });
      new ServiceRole(scope, "puller", {
        name: "puller",
        assumedBy: "ecs-tasks.amazonaws.com",
        statements: repository.pullStatements(),
      });
      new FargateCluster(scope, "cluster", { name: "app" });
    });
  });

  it("keeps tags immutable except latest, scans on push and encrypts", () => {
    expect(json).toHaveResourceWithProperties(EcrRepository, {
      name: "app",
      image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION",
      image_tag_mutability_exclusion_filter: [{ filter: "latest", filter_type: "WILDCARD" }],
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
      force_delete: false,
    });
    expect(resourcesOf(json, EcrRepository)).toHaveLength(1);
  });

  it("expires all but the newest images", () => {
    const [lifecycle] = resourcesOf(json, EcrLifecyclePolicy);
    // The lifecycle policy is a JSON string, which the matchers compare whole.
    expect(JSON.parse(lifecycle.policy).rules[0].selection).toEqual({
      tagStatus: "any",
      countType: "imageCountMoreThan",
      countNumber: 5,
    });
  });

  it("grants a pull on this repository only, with the registry-wide token the one wildcard", () => {
    const [policy] = resourcesOf(json, IamRolePolicy);
    expect(policyStatements(policy.policy).map((s) => [s.Action, s.Resource])).toEqual([
      [["ecr:GetAuthorizationToken"], ["*"]],
      [
        ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        [expect.stringMatching(/^aws_ecr_repository\.repository_\w+\.arn$/)],
      ],
    ]);
  });

  it("offers FARGATE and FARGATE_SPOT, FARGATE by default, without Container Insights", () => {
    expect(json).toHaveResourceWithProperties(EcsCluster, {
      name: "app",
      setting: [{ name: "containerInsights", value: "disabled" }],
    });
    expect(resourcesOf(json, EcsCluster)).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(EcsClusterCapacityProviders, {
      capacity_providers: ["FARGATE", "FARGATE_SPOT"],
      default_capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1, base: 0 }],
    });
    expect(resourcesOf(json, EcsClusterCapacityProviders)).toHaveLength(1);
  });
});
