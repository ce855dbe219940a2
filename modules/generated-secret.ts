import type { TerraformStack } from "cdktf";

export interface GeneratedSecretProps {
  /** Terraform name of the ephemeral resource; unique in the stack. */
  readonly name: string;
  /** @default 32 */
  readonly length?: number;
}

/**
 * A random secret that exists only while Terraform runs: an `ephemeral` AWS Secrets Manager
 * random password, which Terraform (>= 1.11) neither plans nor stores. Feed `value` only to
 * write-only arguments (`password_wo`, `value_wo`), which are not stored either.
 *
 * cdktf 0.21 has no construct for ephemeral resources, so the block is written with the stack's
 * `addOverride`, cdktf's documented escape hatch; a later cdktf (or fork) construct replaces it
 * one-for-one.
 */
export class GeneratedSecret {
  /** Reference to the generated value, for write-only arguments only. */
  readonly value: string;

  constructor(stack: TerraformStack, props: GeneratedSecretProps) {
    stack.addOverride(`ephemeral.aws_secretsmanager_random_password.${props.name}`, {
      password_length: props.length ?? 32,
      // Letters and digits only: the value is embedded in connection URLs without escaping.
      exclude_punctuation: true,
    });
    this.value = `\${ephemeral.aws_secretsmanager_random_password.${props.name}.random_password}`;
  }
}
