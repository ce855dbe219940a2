/** The generated section of docs/review.md: what `make review` flags, and what it knows without a plan. */
import { WATCHED } from "./attention";
import { IMMUTABLE_EXCEPT, IN_PLACE, REPLACED_BY, STATEFUL_TYPE_NAMES } from "./replacement";

const list = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(", ");

export function renderReviewRules(): string {
  const types = [...new Set([...Object.keys(REPLACED_BY), ...Object.keys(IN_PLACE), ...Object.keys(IMMUTABLE_EXCEPT)])].sort();
  const replacement = types.map((type) => {
    const replaced = IMMUTABLE_EXCEPT[type]
      ? `every argument but ${list(IMMUTABLE_EXCEPT[type])}`
      : list(REPLACED_BY[type] ?? []);
    return `| \`${type}\` | ${replaced || "–"} | ${list(IN_PLACE[type] ?? []) || "–"} |`;
  });
  const watched = WATCHED.map((w) => `| ${w.kind} | \`${w.type}\` | \`${w.path}\` | ${w.what} |`);
  return [
    `Stateful (destroyed or replaced comes first in the report): ${list(STATEFUL_TYPE_NAMES)} (SSM parameters only of type`,
    "`SecureString`); the state bucket is the `state` stack's `aws_s3_bucket`.",
    "",
    "Without a plan, a changed resource is replaced when an argument of the second column changed, updated in",
    "place when only arguments of the third column (and tags) changed, and otherwise reported as",
    '"in place or replaced: run with PLAN=1":',
    "",
    "| type | replaced when it changes | updated in place |",
    "|---|---|---|",
    ...replacement,
    "",
    "Arguments whose change is always listed under *What needs attention* (and called **weakened** when it goes",
    "toward the weaker value); besides these: a new listener, an ingress rule from the internet opened, a",
    "role gaining an action with `*` or a resource `*`, and a bucket's encryption, policy or public access",
    "block removed:",
    "",
    "| kind | type | argument | what |",
    "|---|---|---|---|",
    ...watched,
  ].join("\n");
}
