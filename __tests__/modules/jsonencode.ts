/**
 * Reads back a value that cdktf synthesized as `${jsonencode(...)}` (container definitions,
 * IAM policies), so tests can assert on it as data. Terraform references inside it (bare or
 * interpolated) come back as strings: `aws_x.y.arn`, `${aws_x.y.arn}/index/*`.
 */
export function decodeJsonencode(expression: string): unknown {
  const match = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(expression);
  if (!match) throw new Error(`not a jsonencode expression: ${expression.slice(0, 80)}`);
  const hcl = match[1];
  let json = "";
  let i = 0;
  const readString = (): string => {
    // From an opening quote to its closing quote, skipping over ${...} interpolations.
    let out = '"';
    i += 1;
    while (i < hcl.length) {
      const c = hcl[i];
      if (c === "\\") {
        out += hcl.slice(i, i + 2);
        i += 2;
      } else if (c === "$" && hcl[i + 1] === "{") {
        let depth = 0;
        const start = i;
        i += 1; // past the "$": the braces from here on decide where the interpolation ends
        do {
          if (hcl[i] === "{") depth += 1;
          else if (hcl[i] === "}") depth -= 1;
          i += 1;
        } while (depth > 0 && i < hcl.length);
        out += hcl.slice(start, i).replace(/\\?"/g, '\\"');
      } else if (c === '"') {
        i += 1;
        return `${out}"`;
      } else {
        out += c;
        i += 1;
      }
    }
    throw new Error("unterminated string");
  };
  while (i < hcl.length) {
    const c = hcl[i];
    if (c === '"') {
      json += readString();
    } else if (c === "=") {
      json += ":";
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      // A bare reference or function call: up to the next top-level delimiter.
      let depth = 0;
      let quoted = false;
      const start = i;
      while (i < hcl.length && (quoted || depth > 0 || !/[\s,}\]]/.test(hcl[i]))) {
        const ch = hcl[i];
        if (quoted) {
          if (ch === "\\") i += 1;
          else if (ch === '"') quoted = false;
        } else if (ch === '"') quoted = true;
        else if (ch === "[" || ch === "(") depth += 1;
        else if (ch === "]" || ch === ")") depth -= 1;
        i += 1;
      }
      const word = hcl.slice(start, i);
      json += ["true", "false", "null"].includes(word) ? word : JSON.stringify(word);
    } else {
      json += c;
      i += 1;
    }
  }
  return JSON.parse(json);
}
