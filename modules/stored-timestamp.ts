/**
 * A time Terraform records once and keeps until a trigger changes: a `terraform_data` resource
 * whose input is `timestamp()`, with later changes of the input ignored.
 *
 * Written on cdktf's TerraformResource, not its DataResource: DataResource adds a validation that
 * runs `terraform version` during synthesis, so synthesizing failed on any machine without a
 * Terraform binary (CI, a reviewer reading the JSON) and cost ~65 ms where there is one. The
 * version is enforced where it matters: every stack declares `required_version`
 * (stacks/app-stack.ts), which Terraform checks before it plans.
 */
import { AnyMap, anyToHclTerraform, anyToTerraform, Fn, hashMapper, hashMapperHcl, TerraformResource } from "cdktf";
import type { Construct } from "constructs";

export interface StoredTimestampProps {
  /** Values whose change records a new time (replaces the resource). */
  readonly replaceWhen: Readonly<Record<string, string>>;
}

export class StoredTimestamp extends TerraformResource {
  /** Terraform's built-in type, named as the provider classes name theirs (cdktf's matchers read it). */
  static readonly tfResourceType = "terraform_data";

  /** The recorded time, RFC 3339 in UTC (`2026-11-23T17:30:00Z`), known after apply. */
  readonly time: string;
  private readonly replaceWhen: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: StoredTimestampProps) {
    super(scope, id, {
      terraformResourceType: StoredTimestamp.tfResourceType,
      terraformGeneratorMetadata: { providerName: "terraform" },
      lifecycle: { ignoreChanges: ["input"] },
    });
    this.replaceWhen = props.replaceWhen;
    this.time = new AnyMap(this, "output").lookup("time");
  }

  private get input() {
    return { time: Fn.timestamp() };
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      input: hashMapper(anyToTerraform)(this.input),
      triggers_replace: hashMapper(anyToTerraform)(this.replaceWhen),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return {
      input: hashMapperHcl(anyToHclTerraform)(this.input),
      triggers_replace: hashMapperHcl(anyToHclTerraform)(this.replaceWhen),
    };
  }
}
