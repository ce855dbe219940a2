import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";

export interface PrivateBucketProps {
  /** Globally unique bucket name. */
  readonly bucketName: string;
  /**
   * Keep earlier versions of every object, for `noncurrentVersionDays`, so an overwrite or a
   * delete can be undone.
   * @default false
   */
  readonly versioned?: boolean;
  /** @default 90 */
  readonly noncurrentVersionDays?: number;
  /**
   * Delete every object this many days after it was written.
   * @default - objects are kept
   */
  readonly expirationDays?: number;
  /**
   * Let `terraform destroy` delete a bucket that still holds objects.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * Statements added to the bucket policy next to the TLS-only deny (a bucket has one policy), with
   * `resources` relative to the bucket's ARN, e.g. `/alb/AWSLogs/*`.
   * @default - none
   */
  readonly policyStatements?: readonly (Omit<DataAwsIamPolicyDocumentStatement, "resources"> & {
    readonly resourcesInBucket: readonly string[];
  })[];
  /** Resource tags beyond the provider's default tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An S3 bucket that is private by default: all public access blocked, objects owned by the
 * bucket owner (ACLs off), SSE-S3 encryption (free), a policy that denies plain HTTP, and a
 * lifecycle that aborts incomplete uploads after a day (and expires what the props say).
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
    const versioning = props.versioned
      ? new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } })
      : undefined;
    // S3 allows one lifecycle configuration per bucket, so every rule is declared here.
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
        ...(props.expirationDays === undefined
          ? []
          : [
              { id: "expire-objects", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ days: props.expirationDays }] },
            ]),
        ...(props.versioned
          ? [
              {
                id: "expire-noncurrent-versions",
                status: "Enabled",
                filter: [{ prefix: "" }],
                noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 90 }],
              },
            ]
          : []),
      ],
      dependsOn: versioning ? [versioning] : undefined,
    });
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
        ...(props.policyStatements ?? []).map(({ resourcesInBucket, ...statement }) => ({
          ...statement,
          resources: resourcesInBucket.map((path) => `${this.bucket.arn}${path}`),
        })),
      ],
    });
    new S3BucketPolicy(this, "policy", { bucket, policy: tlsOnly.json });
  }
}
