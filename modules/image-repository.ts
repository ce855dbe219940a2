import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Construct } from "constructs";
import { LATEST_TAG } from "./container-image";
import type { PolicyStatement } from "./service-role";

export interface ImageRepositoryProps {
  readonly name: string;
  /** Older images (and their tags) expire. */
  readonly keptImages: number;
  /**
   * Let `destroy` delete the repository while it still holds images. Safe when every image can
   * be rebuilt by a deploy; not when images are pushed from elsewhere.
   */
  readonly forceDelete: boolean;
}

/**
 * A private ECR repository for one system's image: scanned on push, encrypted, the newest
 * `keptImages` kept, and tags immutable except `latest`, which moves with every build, so a
 * timestamp tag always names the same image and a rollback to it gets exactly that image.
 */
export class ImageRepository extends Construct {
  readonly repository: EcrRepository;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    this.repository = new EcrRepository(this, "repository", {
      name: props.name,
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      imageTagMutabilityExclusionFilter: [{ filter: LATEST_TAG, filterType: "WILDCARD" }],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
      forceDelete: props.forceDelete,
    });
    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the last ${props.keptImages} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: props.keptImages },
            action: { type: "expire" },
          },
        ],
      }),
    });
  }

  /** What an ECS execution role needs to pull from this repository. */
  pullStatements(): PolicyStatement[] {
    return [
      // GetAuthorizationToken is registry-wide and supports no resource: the one "*" of a pull.
      { sid: "EcrAuthorizationToken", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      {
        sid: "PullImage",
        actions: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        resources: [this.repository.arn],
      },
    ];
  }
}
