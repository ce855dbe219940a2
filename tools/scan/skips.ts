/**
 * The checkov skip list (security/checkov-skips.json): every check `make scan` lets fail, where,
 * and why. Validated before a scan, applied to its findings afterwards, and rendered into the
 * docs/review.md. An entry skips a check in the environments it names, on every resource or only on
 * those its patterns match; one without a reason, or one that skips nothing, fails the scan.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../config/load";
import { ENVIRONMENTS } from "../../config/schema";

export const SKIPS_FILE = join(PROJECT_ROOT, "security", "checkov-skips.json");

export interface SkipEntry {
  /** checkov check id, e.g. `CKV_AWS_2`. */
  readonly check: string;
  readonly environments: readonly string[];
  /**
   * `<stack>/<resource type>.<name>` patterns, `*` matching any run of characters, e.g.
   * `airflow/aws_lb_listener.*`. @default - every resource
   */
  readonly resources?: readonly string[];
  /** Why the check may fail here: a written reason, never a placeholder. */
  readonly reason: string;
}

/** One failed check, as the scan reports it. */
export interface Finding {
  readonly environment: string;
  readonly check: string;
  readonly checkName: string;
  /** `<stack>/<resource type>.<name>` */
  readonly resource: string;
}

const CHECK_ID = /^CKV2?_[A-Z0-9]+_\d+$/;
const PATTERN = /^[A-Za-z0-9*_-]+\/[a-z0-9*_]+\.[A-Za-z0-9*_-]+$/;

/** Reads the skip list and its problems (empty when it is sound), each naming the entry. */
export function loadSkips(file = SKIPS_FILE): { skips: SkipEntry[]; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return { skips: [], problems: [`${file}: ${(error as Error).message}`] };
  }
  const entries = (raw as { skips?: unknown })?.skips;
  if (!Array.isArray(entries)) return { skips: [], problems: [`${file}: expected {"skips": [...]}`] };
  return { skips: entries as SkipEntry[], problems: skipListProblems(entries) };
}

export function describeSkip(skip: SkipEntry, index: number): string {
  const where = skip.resources?.length ? `, ${skip.resources.join(" ")}` : "";
  return `skips[${index}] (${skip.check} in ${(skip.environments ?? []).join(", ")}${where})`;
}

/** Every problem of the list at once: shape, check id, environments, patterns, reason, duplicates. */
export function skipListProblems(entries: readonly unknown[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  entries.forEach((value, i) => {
    const entry = value as Partial<Record<keyof SkipEntry, unknown>>;
    const at = `skips[${i}]`;
    const known = new Set(["check", "environments", "resources", "reason"]);
    for (const key of Object.keys(entry ?? {})) if (!known.has(key)) problems.push(`${at}: unknown field "${key}"`);
    if (typeof entry?.check !== "string" || !CHECK_ID.test(entry.check)) {
      problems.push(`${at}.check: not a checkov check id (got ${JSON.stringify(entry?.check)}; expected e.g. CKV_AWS_2)`);
    }
    const environments = entry?.environments;
    if (!Array.isArray(environments) || environments.length === 0) {
      problems.push(`${at}.environments: expected a non-empty list of ${ENVIRONMENTS.join(", ")}`);
    } else {
      for (const env of environments) {
        if (!(ENVIRONMENTS as readonly unknown[]).includes(env)) {
          problems.push(`${at}.environments: unknown environment ${JSON.stringify(env)} (expected ${ENVIRONMENTS.join(", ")})`);
        }
      }
    }
    if (entry?.resources !== undefined) {
      if (!Array.isArray(entry.resources) || entry.resources.length === 0) {
        problems.push(`${at}.resources: expected a non-empty list of <stack>/<type>.<name> patterns, or no field`);
      } else {
        for (const pattern of entry.resources) {
          if (typeof pattern !== "string" || !PATTERN.test(pattern)) {
            problems.push(`${at}.resources: ${JSON.stringify(pattern)} is not a <stack>/<type>.<name> pattern`);
          }
        }
      }
    }
    if (typeof entry?.reason !== "string" || entry.reason.trim().length < 10) {
      problems.push(`${at}.reason: every skip needs its reason (got ${JSON.stringify(entry?.reason)})`);
    }
    if (Array.isArray(environments)) {
      for (const env of environments) {
        const key = `${String(entry?.check)}\0${String(env)}\0${JSON.stringify(entry?.resources ?? null)}`;
        const first = seen.get(key);
        if (first !== undefined) problems.push(`${at}: repeats skips[${first}] for ${String(env)}`);
        else seen.set(key, i);
      }
    }
  });
  return problems;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
  );
}

export function skipMatches(skip: SkipEntry, finding: Finding): boolean {
  return (
    skip.check === finding.check &&
    skip.environments.includes(finding.environment) &&
    (skip.resources === undefined || skip.resources.some((p) => globToRegExp(p).test(finding.resource)))
  );
}

export interface AppliedSkips {
  /** Findings no entry skips: the scan fails on them. */
  readonly failed: Finding[];
  /** Findings an entry skips, with the index of the first entry that does. */
  readonly skipped: { finding: Finding; entry: number }[];
  /** Entries that skipped nothing in an environment they name: the scan fails on them too. */
  readonly stale: string[];
}

/** Sorts the findings of the scanned environments into failed and skipped, and finds stale entries. */
export function applySkips(skips: readonly SkipEntry[], findings: readonly Finding[], scanned: readonly string[]): AppliedSkips {
  const failed: Finding[] = [];
  const skipped: { finding: Finding; entry: number }[] = [];
  const used = new Set<string>();
  for (const finding of findings) {
    const entry = skips.findIndex((s) => skipMatches(s, finding));
    if (entry < 0) {
      failed.push(finding);
      continue;
    }
    skipped.push({ finding, entry });
    // Every entry that matches counts as used, so overlapping entries are not reported stale.
    skips.forEach((s, i) => {
      if (skipMatches(s, finding)) used.add(`${i}\0${finding.environment}`);
    });
  }
  const stale: string[] = [];
  skips.forEach((skip, i) => {
    const idle = skip.environments.filter((env) => scanned.includes(env) && !used.has(`${i}\0${env}`));
    if (idle.length > 0) stale.push(`${describeSkip(skip, i)}: skipped nothing in ${idle.join(", ")}; remove it there`);
  });
  return { failed, skipped, stale };
}

/** The section of docs/review.md: what `make scan` and the tests check, and every skip with its reason. */
export function renderSecuritySection(skips: readonly SkipEntry[] = loadSkips().skips): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const scanned = [
    "| what | checked by | where |",
    "|---|---|---|",
    "| every synthesized stack of every environment (`cdktf.out/env/<environment>/stacks/*/cdk.tf.json`) | checkov, `terraform_json` framework, every check, findings filtered by the skip list below | `make scan` |",
    "| `docker/airflow/Dockerfile` | hadolint (registry allow-list in `.hadolint.yaml`) | `make lint-image`, part of `make scan` |",
    "| the image's shell scripts | shellcheck | `make lint-image` |",
    "| literal passwords, keys and credentialed URLs in every synthesized stack | Jest, `__tests__/secrets.test.ts` | `make jest` |",
    "| container definitions: no secret in a plain `environment`, secrets only as ECS `secrets` from SSM | Jest, `__tests__/stacks/*-stack.test.ts` | `make jest` |",
    "",
    "checkov reads `container_definitions` as one opaque `jsonencode(...)` string: its ECS container",
    "checks pass without looking inside, and it has no check for secrets in a task's environment. The",
    "Jest tests above cover both.",
  ];
  const rows = skips.map((s) => {
    const resources = s.resources?.length ? s.resources.map((r) => `\`${r}\``).join(", ") : "all";
    return `| ${s.check} | ${s.environments.join(", ")} | ${cell(resources)} | ${cell(s.reason)} |`;
  });
  return [
    ...scanned,
    "",
    "Skipped checks (`security/checkov-skips.json`; `make scan` fails on an entry without a reason or one that",
    "skips nothing):",
    "",
    "| check | environments | resources | why |",
    "|---|---|---|---|",
    ...rows,
  ].join("\n");
}
