/**
 * Whether a changed resource is updated in place or replaced, as far as it can be known without a
 * plan, and which resources hold data whose replacement loses it.
 *
 * Terraform replaces a resource when an argument the provider marks ForceNew changes. The schema
 * `tofu providers schema -json` prints does not carry that mark, so the table below holds the
 * arguments of this project's resource types that AWS provider 6.x documents as "Forces new
 * resource" (REPLACED_BY) or as updated in place (IN_PLACE). A change to any other argument is
 * "unknown": the report says "run with PLAN=1", where the plan decides (tools/review/plan.py).
 * A wrong IN_PLACE entry would make the review claim "in place" for a replacement, so the table
 * only lists arguments whose behaviour PLAN=1 runs or the provider docs confirm.
 */
import type { Resource } from "../synthesized/synthesized";
import type { AttributeChange } from "./changes";

export type Replacement =
  | { readonly kind: "replace"; readonly because: readonly string[]; readonly fromPlan?: boolean }
  | { readonly kind: "in-place" }
  | { readonly kind: "unknown"; readonly arguments: readonly string[] };

/** Every argument of the type forces replacement, except those listed (ECS task definitions are immutable revisions). */
export const IMMUTABLE_EXCEPT: Readonly<Record<string, readonly string[]>> = {
  aws_ecs_task_definition: ["tags", "tags_all", "skip_destroy", "track_latest"],
};

/** Arguments whose change forces a new resource (provider docs: "Forces new resource"). */
export const REPLACED_BY: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ["identifier", "engine", "db_name", "username", "storage_encrypted", "kms_key_id", "character_set_name"],
  aws_dynamodb_table: ["name", "hash_key", "range_key"],
  aws_efs_file_system: ["creation_token", "encrypted", "kms_key_id", "performance_mode", "availability_zone_name"],
  aws_s3_bucket: ["bucket", "bucket_prefix", "object_lock_enabled"],
  aws_sqs_queue: ["name", "name_prefix", "fifo_queue"],
  aws_ssm_parameter: ["name"],
  aws_ecs_service: ["name", "cluster", "launch_type", "scheduling_strategy"],
  aws_iam_role: ["name", "name_prefix", "path"],
  aws_iam_role_policy: ["name", "name_prefix", "role"],
  aws_cloudwatch_log_group: ["name", "name_prefix"],
  aws_security_group: ["name", "name_prefix", "description", "vpc_id"],
  aws_lb: ["name", "name_prefix", "internal", "load_balancer_type"],
  aws_lb_target_group: ["name", "name_prefix", "port", "protocol", "vpc_id", "target_type"],
  aws_ecr_repository: ["name"],
  aws_vpc_security_group_ingress_rule: ["security_group_id"],
  aws_vpc_security_group_egress_rule: ["security_group_id"],
};

/** Arguments updated in place (provider docs; the ones this project changes, confirmed by plans). */
export const IN_PLACE: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: [
    "instance_class",
    "allocated_storage",
    "storage_type",
    "multi_az",
    "backup_retention_period",
    "deletion_protection",
    "skip_final_snapshot",
    "final_snapshot_identifier",
    "engine_version",
    "monitoring_interval",
    "monitoring_role_arn",
    "performance_insights_enabled",
    "apply_immediately",
    "password_wo",
    "password_wo_version",
  ],
  aws_dynamodb_table: ["billing_mode", "deletion_protection_enabled", "point_in_time_recovery", "ttl"],
  aws_efs_file_system: ["lifecycle_policy", "throughput_mode", "provisioned_throughput_in_mibps"],
  aws_s3_bucket: ["force_destroy"],
  aws_sqs_queue: [
    "visibility_timeout_seconds",
    "message_retention_seconds",
    "redrive_policy",
    "delay_seconds",
    "receive_wait_time_seconds",
    "max_message_size",
  ],
  aws_ssm_parameter: ["description", "value_wo", "value_wo_version"],
  aws_ecs_service: ["desired_count", "task_definition", "health_check_grace_period_seconds", "enable_execute_command"],
  aws_appautoscaling_target: ["min_capacity", "max_capacity"],
  aws_appautoscaling_policy: ["target_tracking_scaling_policy_configuration", "step_scaling_policy_configuration"],
  aws_iam_role: ["assume_role_policy", "description", "max_session_duration"],
  aws_iam_role_policy: ["policy"],
  aws_cloudwatch_log_group: ["retention_in_days"],
  aws_cloudwatch_metric_alarm: ["threshold", "evaluation_periods", "period", "alarm_actions", "ok_actions", "alarm_description"],
  aws_vpc_security_group_ingress_rule: ["description"],
  aws_vpc_security_group_egress_rule: ["description"],
};

/** Tags never replace anything. */
const ALWAYS_IN_PLACE = new Set(["tags", "tags_all"]);

/** Types whose loss loses data (or a secret nobody can regenerate the same), the SecureString parameters among the SSM ones. */
const STATEFUL_TYPES = new Set([
  "aws_db_instance",
  "aws_efs_file_system",
  "aws_s3_bucket",
  "aws_dynamodb_table",
  "aws_sqs_queue",
  "aws_ssm_parameter",
]);

export function isStateful(resource: Pick<Resource, "type" | "config">): boolean {
  if (resource.type === "aws_ssm_parameter") return resource.config.type === "SecureString";
  return STATEFUL_TYPES.has(resource.type);
}

/** The stateful types, for docs/review.md. */
export const STATEFUL_TYPE_NAMES: readonly string[] = [...STATEFUL_TYPES];

/** The top-level argument of an attribute path: `container_definitions[web].cpu` -> `container_definitions`. */
export const argumentOf = (path: string): string => path.split(/[.[]/, 1)[0];

/** Replaced, in place, or unknown, from the arguments that changed. */
export function replacementOf(type: string, attributes: readonly AttributeChange[]): Replacement {
  const changed = [...new Set(attributes.map((a) => argumentOf(a.path)))].filter((arg) => !ALWAYS_IN_PLACE.has(arg));
  if (changed.length === 0) return { kind: "in-place" };
  const except = IMMUTABLE_EXCEPT[type];
  const forcing = except
    ? changed.filter((arg) => !except.includes(arg))
    : changed.filter((arg) => REPLACED_BY[type]?.includes(arg));
  if (forcing.length > 0) return { kind: "replace", because: forcing };
  const unknown = changed.filter((arg) => !IN_PLACE[type]?.includes(arg) && !except?.includes(arg));
  return unknown.length === 0 ? { kind: "in-place" } : { kind: "unknown", arguments: unknown };
}
