import { DataAwsIamRole } from "@cdktf/provider-aws/lib/data-aws-iam-role";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Fn } from "cdktf";
import { Construct } from "constructs";

/** One statement of an IAM policy; `resources` never defaults to "*". */
export interface PolicyStatement {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** IAM condition block, e.g. `{ StringEquals: { "cloudwatch:namespace": "X" } }`. */
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface ServiceRoleProps {
  /** Role name; also the prefix of its inline policy's name. */
  readonly name: string;
  /** Service principal that assumes the role, e.g. `ecs-tasks.amazonaws.com`. */
  readonly assumedBy: string;
  /** Inline permissions. @default - none */
  readonly statements?: readonly PolicyStatement[];
  /** AWS managed policies to attach. @default - none */
  readonly managedPolicyArns?: readonly string[];
  /**
   * Use this existing role instead of creating one (AWS Academy's `LabRole`): then no IAM
   * resource is created and `statements` document what the existing role must allow.
   * @default - a new role is created
   */
  readonly existingRoleName?: string;
}

/** A role for an AWS service, created with least privilege or borrowed from the account. */
export class ServiceRole extends Construct {
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    if (props.existingRoleName) {
      const existing = new DataAwsIamRole(this, "existing", { name: props.existingRoleName });
      this.arn = existing.arn;
      this.name = existing.name;
      return;
    }
    const role = new IamRole(this, "role", {
      name: props.name,
      assumeRolePolicy: Fn.jsonencode({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: props.assumedBy }, Action: "sts:AssumeRole" }],
      }),
    });
    this.arn = role.arn;
    this.name = role.name;
    if (props.statements && props.statements.length > 0) {
      new IamRolePolicy(this, "policy", {
        name: `${props.name}-policy`,
        role: role.id,
        policy: Fn.jsonencode({
          Version: "2012-10-17",
          Statement: props.statements.map((s) => ({
            Sid: s.sid,
            Effect: "Allow",
            Action: s.actions,
            Resource: s.resources,
            ...(s.condition ? { Condition: s.condition } : {}),
          })),
        }),
      });
    }
    for (const [i, policyArn] of (props.managedPolicyArns ?? []).entries()) {
      new IamRolePolicyAttachment(this, `managed-${i}`, { role: role.name, policyArn });
    }
  }
}
