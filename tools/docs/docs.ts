/**
 * Text generated from the code's own data: the JSON Schema of the config, and the sections of the
 * docs/ pages that restate code (security groups, configuration reference, security scan). `make docs`
 * writes them; tests fail when the committed copies drift.
 */
import { z } from "zod";
import { configSchema } from "../../config/schema";
import { INTERNET, ruleName } from "../../modules/security-group-matrix";
import { SECURITY_GROUPS, securityRules } from "../../stacks/security-matrix";
import { renderSecuritySection } from "../scan/skips";

export function renderSchemaJson(): string {
  const schema = z.toJSONSchema(configSchema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function renderMatrixTable(): string {
  const always = new Set(securityRules({ airflowHttps: false, videoHttps: false }).map(ruleName));
  const onLine3 = new Set(securityRules({ airflowHttps: false, videoHttps: false, airflowExecutionApi: true }).map(ruleName));
  const all = securityRules({ airflowHttps: true, videoHttps: true, airflowExecutionApi: true, airflowEcsWorkers: true });
  const rows = all.map((rule) => {
    const name = ruleName(rule);
    const https = rule.from === INTERNET && rule.port === 443 ? " (only with a certificate ARN)" : "";
    const when =
      always.has(name) || https ? "" : onLine3.has(name) ? " (only on the Airflow 3 line)" : " (only with the ECS executor)";
    return `| \`${name}\` | ${rule.from} | ${rule.to} | ${rule.port}/${rule.protocol ?? "tcp"} | ${rule.description}${https}${when} |`;
  });
  const groups = Object.entries(SECURITY_GROUPS).map(([name, description]) => `| \`${name}\` | ${description} |`);
  return [
    "| group | what it guards |",
    "|---|---|",
    ...groups,
    "",
    "| rule | from | to | port | why |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
};

function describeType(node: JsonSchema): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  const union = node.anyOf ?? node.oneOf;
  if (union) return union.map(describeType).join(" \\| ");
  if (node.type === "array" && node.items) return `array of ${describeType(node.items)}`;
  const bounds = [
    // Zod states every integer's safe-integer range; only real bounds are worth a reader's time.
    node.minimum !== undefined && node.minimum > Number.MIN_SAFE_INTEGER ? `≥ ${node.minimum}` : "",
    node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${node.maximum}` : "",
    node.format ? node.format : "",
  ].filter(Boolean);
  return `${node.type ?? "any"}${bounds.length ? ` (${bounds.join(", ")})` : ""}`;
}

function referenceRows(node: JsonSchema, path: string, required: boolean, rows: string[]): void {
  const union = node.oneOf ?? node.anyOf;
  if (node.type === "object" && node.properties) {
    if (path) rows.push(`| \`${path}\` | object | ${required ? "yes" : "no"} | ${node.description ?? ""} |`);
    for (const [key, child] of Object.entries(node.properties)) {
      if (key === "$schema") continue;
      referenceRows(child, path ? `${path}.${key}` : key, node.required?.includes(key) ?? false, rows);
    }
  } else if (union?.every((option) => option.type === "object")) {
    rows.push(`| \`${path}\` | one of the forms below | ${required ? "yes" : "no"} | ${node.description ?? ""} |`);
    for (const option of union) {
      const variant = Object.entries(option.properties ?? {}).find(([, v]) => v.const !== undefined);
      const label = variant ? `${path}{${variant[0]}=${JSON.stringify(variant[1].const)}}` : path;
      for (const [key, child] of Object.entries(option.properties ?? {})) {
        referenceRows(child, `${label}.${key}`, option.required?.includes(key) ?? false, rows);
      }
    }
  } else {
    rows.push(`| \`${path}\` | ${describeType(node)} | ${required ? "yes" : "no"} | ${node.description ?? ""} |`);
  }
}

export function renderConfigReference(): string {
  const schema = JSON.parse(renderSchemaJson()) as JsonSchema;
  const rows: string[] = [];
  referenceRows(schema, "", true, rows);
  return ["| field | type | required | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/**
 * Replaces the text between `<!-- BEGIN generated:NAME -->` and `<!-- END generated:NAME -->`.
 * `file` names the document in the error when the markers are missing.
 */
export function replaceGenerated(document: string, name: string, content: string, file: string): string {
  const begin = `<!-- BEGIN generated:${name} -->`;
  const end = `<!-- END generated:${name} -->`;
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${file} lacks the markers ${begin} ... ${end}`);
  return `${document.slice(0, start + begin.length)}\n${content}\n${document.slice(stop)}`;
}

/** A generated section: the page that holds it (relative to the repository root) and its source. */
export interface GeneratedSection {
  readonly file: string;
  readonly render: () => string;
}

/** Every generated section, by the name its markers carry. */
export const GENERATED_SECTIONS: Readonly<Record<string, GeneratedSection>> = {
  "security-matrix": { file: "docs/security-groups.md", render: renderMatrixTable },
  "config-reference": { file: "docs/configuration.md", render: renderConfigReference },
  "security-skips": { file: "docs/review.md", render: renderSecuritySection },
};

/** The names of the generated sections a document holds, in order (the markers `replaceGenerated` fills). */
export function generatedNames(document: string): string[] {
  return [...document.matchAll(/<!-- BEGIN generated:([\w-]+) -->/g)].map((match) => match[1]);
}
