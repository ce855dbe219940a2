/**
 * Finds literal secrets in synthesized Terraform JSON: a value under a secret-sounding key that is
 * not a reference, and a connection string that carries a literal password.
 */
const SECRET_KEY =
  /(password|passwd|secret|token|private_key|api_key|access_key|credential|conn(ection)?_?(string|url)?$|database_url|_wo$)/i;
/** Keys that name, point at or configure a secret without holding one. */
const HARMLESS_KEY =
  /(creation_token|_arn|_id|_name|_version|_length|^name$|^arn$|_kms_key|kms_master_key_id|manage_master_user_password|exclude_)/i;
const REFERENCE_ONLY = /^(\$\{[^}]+\}|arn:aws[a-z-]*:[^\s]+)$/;
const URL_WITH_PASSWORD = /[a-z0-9+.-]+:\/\/[^/\s:@]+:([^@\s]+)@/gi;

export interface SecretFinding {
  readonly path: string;
  readonly value: string;
}

export function findLiteralSecrets(node: unknown, path = ""): SecretFinding[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => findLiteralSecrets(item, `${path}[${i}]`));
  if (node !== null && typeof node === "object") {
    // "//" holds cdktf's metadata (construct paths, unique ids): names, never values.
    return Object.entries(node).flatMap(([key, value]) => {
      if (key === "//") return [];
      const here = path ? `${path}.${key}` : key;
      const findings = findLiteralSecrets(value, here);
      if (typeof value === "string" && SECRET_KEY.test(key) && !HARMLESS_KEY.test(key) && value.length > 0) {
        const literal = value.replace(/\$\{[^}]+\}/g, "");
        // A value made only of references, or of references joined by URL punctuation, holds no secret.
        if (
          !REFERENCE_ONLY.test(value) &&
          /[A-Za-z0-9]{6,}/.test(literal.replace(/^[a-z0-9+.-]+:\/\//i, "").replace(/[?&][\w.]+=[\w-]+/g, ""))
        ) {
          findings.push({ path: here, value });
        }
      }
      return findings;
    });
  }
  if (typeof node === "string") {
    return [...node.matchAll(URL_WITH_PASSWORD)]
      .filter((match) => !/^\$\{[^}]+\}$/.test(match[1]))
      .map(() => ({ path, value: node }));
  }
  return [];
}
