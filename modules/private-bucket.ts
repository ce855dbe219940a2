import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";

export interface PrivateBucketProps {
  /** Globally unique bucket name. */
  readonly bucketName: string;
  /** Keep every version of every object. @default false */
  readonly versioned?: boolean;
  /**
   * Let `terraform destroy` delete a bucket that still holds objects.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /** Resource tags beyond the provider's default tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An S3 bucket that is private by default: all public access blocked, objects owned by the
 * bucket owner (ACLs off), SSE-S3 encryption (free), and a policy that denies plain HTTP.
 */
export class PrivateBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    const bucket = this.bucket.id;
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });
    if (props.versioned) {
      new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    }
    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          actions: ["s3:*"],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          principals: [{ type: "*", identifiers: ["*"] }],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new S3BucketPolicy(this, "policy", { bucket, policy: tlsOnly.json });
  }
}
