/**
 * What a reviewer must not miss, found in the resource changes, the IAM changes and the matrix:
 * data lost (a stateful resource destroyed or replaced, or possibly replaced), protection against
 * deletion changed, something newly reachable from the internet, an IAM wildcard gained, and
 * encryption or TLS weakened. Ordered by that list, so data loss comes first.
 */
import type { ResourceChange } from "./changes";
import { isWildcard, type RoleChange } from "./iam";
import type { MatrixChange } from "./security-groups";

export type AttentionKind = "data" | "protection" | "public" | "iam" | "encryption";
export const ATTENTION_ORDER: readonly AttentionKind[] = ["data", "protection", "public", "iam", "encryption"];

export interface AttentionItem {
  readonly kind: AttentionKind;
  readonly text: string;
}

type Config = Readonly<Record<string, unknown>>;
const at = (config: Config | undefined, path: string): unknown =>
  path.split(".").reduce<unknown>((value, key) => {
    const v = Array.isArray(value) ? value[0] : value;
    return v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  }, config);
const show = (value: unknown): string => (value === undefined ? "unset" : JSON.stringify(value));

/** An argument whose change a reviewer must see, and the value that is the weaker one. */
interface Watched {
  readonly type: string;
  readonly path: string;
  readonly kind: AttentionKind;
  /** Is this value the weak side (the change toward it is called "weakened")? */
  readonly weak: (value: unknown) => boolean;
  readonly what: string;
}

const isTrue = (v: unknown) => v === true;
const notTrue = (v: unknown) => v !== true;

/** Deletion protection, force-destroy, encryption and TLS settings, by type and argument. */
export const WATCHED: readonly Watched[] = [
  { type: "aws_db_instance", path: "deletion_protection", kind: "protection", weak: notTrue, what: "deletion protection" },
  { type: "aws_db_instance", path: "skip_final_snapshot", kind: "protection", weak: isTrue, what: "skip final snapshot" },
  {
    type: "aws_dynamodb_table",
    path: "deletion_protection_enabled",
    kind: "protection",
    weak: notTrue,
    what: "deletion protection",
  },
  {
    type: "aws_dynamodb_table",
    path: "point_in_time_recovery.enabled",
    kind: "protection",
    weak: notTrue,
    what: "point-in-time recovery",
  },
  {
    type: "aws_s3_bucket",
    path: "force_destroy",
    kind: "protection",
    weak: isTrue,
    what: "force-destroy (deletes every object with the bucket)",
  },
  { type: "aws_ecr_repository", path: "force_delete", kind: "protection", weak: isTrue, what: "force-delete" },
  { type: "aws_lb", path: "enable_deletion_protection", kind: "protection", weak: notTrue, what: "deletion protection" },
  {
    type: "aws_s3_bucket_versioning",
    path: "versioning_configuration.status",
    kind: "protection",
    weak: (v) => v !== "Enabled",
    what: "versioning",
  },
  { type: "aws_db_instance", path: "storage_encrypted", kind: "encryption", weak: notTrue, what: "storage encryption" },
  { type: "aws_efs_file_system", path: "encrypted", kind: "encryption", weak: notTrue, what: "encryption at rest" },
  { type: "aws_sqs_queue", path: "sqs_managed_sse_enabled", kind: "encryption", weak: notTrue, what: "server-side encryption" },
  {
    type: "aws_ssm_parameter",
    path: "type",
    kind: "encryption",
    weak: (v) => v !== "SecureString",
    what: "parameter type (SecureString is encrypted)",
  },
  { type: "aws_lb_listener", path: "protocol", kind: "encryption", weak: (v) => v !== "HTTPS", what: "listener protocol" },
  { type: "aws_lb_listener", path: "ssl_policy", kind: "encryption", weak: () => true, what: "TLS policy" },
  {
    type: "aws_lb_listener",
    path: "default_action.type",
    kind: "encryption",
    weak: (v) => v !== "redirect",
    what: "default action (redirect to HTTPS or not)",
  },
  { type: "aws_db_instance", path: "publicly_accessible", kind: "public", weak: isTrue, what: "public accessibility" },
  { type: "aws_lb", path: "internal", kind: "public", weak: (v) => v !== true, what: "internet-facing (internal false)" },
  {
    type: "aws_ecs_service",
    path: "network_configuration.assign_public_ip",
    kind: "public",
    weak: isTrue,
    what: "public IP on its tasks",
  },
  { type: "aws_subnet", path: "map_public_ip_on_launch", kind: "public", weak: isTrue, what: "public IP on launch" },
  ...["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].map(
    (flag): Watched => ({ type: "aws_s3_bucket_public_access_block", path: flag, kind: "public", weak: notTrue, what: flag }),
  ),
];

/** Resources whose removal weakens encryption or TLS (the bucket policy is the TLS-only policy). */
const GUARDS: Readonly<Record<string, string>> = {
  aws_s3_bucket_server_side_encryption_configuration: "a bucket's default encryption removed",
  aws_s3_bucket_policy: "a bucket policy removed (the buckets' policies deny requests without TLS)",
  aws_s3_bucket_public_access_block: "a bucket's public access block removed",
};

const name = (c: ResourceChange) => `\`${c.address}\`${c.label ? ` (${c.label})` : ""}`;

function dataItems(c: ResourceChange): AttentionItem[] {
  if (!c.stateful) return [];
  if (c.action === "delete") return [{ kind: "data", text: `**destroyed**: ${name(c)}, with its data` }];
  const r = c.replacement;
  if (r?.kind === "replace") {
    return [
      {
        kind: "data",
        text: `**replaced** (destroyed and created anew, its data lost): ${name(c)}, because ${r.because.join(", ")} changed${r.fromPlan ? " (the plan says so)" : ""}`,
      },
    ];
  }
  if (r?.kind === "unknown") {
    return [{ kind: "data", text: `**may be replaced**: ${name(c)} (${r.arguments.join(", ")} changed): run with PLAN=1` }];
  }
  return [];
}

function watchedItems(c: ResourceChange): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const w of WATCHED.filter((x) => x.type === c.type)) {
    const before = at(c.before?.config, w.path);
    const after = at(c.after?.config, w.path);
    // A new resource counts only when it starts weak on a public or protection setting worth noting.
    if (c.action === "create" && w.kind === "public" && w.weak(after) && after !== undefined) {
      items.push({ kind: w.kind, text: `new ${name(c)}: ${w.what} (${show(after)})` });
    } else if (c.action === "update" && JSON.stringify(before) !== JSON.stringify(after)) {
      const weakened = w.weak(after) && !w.weak(before);
      items.push({
        kind: w.kind,
        text: `${weakened ? "**weakened**: " : ""}${w.what} of ${name(c)}: ${show(before)} → ${show(after)}`,
      });
    }
  }
  if (c.action === "delete" && GUARDS[c.type]) items.push({ kind: "encryption", text: `${GUARDS[c.type]}: ${name(c)}` });
  if (c.type === "aws_lb_listener" && c.action === "create") {
    const cfg = c.after?.config ?? {};
    items.push({
      kind: "public",
      text: `new listener ${name(c)}: ${String(cfg.protocol ?? "?")} port ${String(cfg.port ?? "?")}`,
    });
  }
  return items;
}

export function attentionItems(
  changes: readonly ResourceChange[],
  roles: readonly RoleChange[],
  matrix: MatrixChange,
): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const c of changes) items.push(...dataItems(c), ...watchedItems(c));
  for (const rule of matrix.opened.filter((r) => r.fromInternet)) {
    items.push({ kind: "public", text: `ingress from the internet opened: \`${rule.name}\` (${rule.description})` });
  }
  for (const role of roles) {
    for (const g of role.gained.filter(isWildcard)) {
      items.push({ kind: "iam", text: `wildcard gained by \`${role.role}\`: \`${g.action}\` on \`${g.resource}\`` });
    }
  }
  return items.sort((a, b) => ATTENTION_ORDER.indexOf(a.kind) - ATTENTION_ORDER.indexOf(b.kind));
}
