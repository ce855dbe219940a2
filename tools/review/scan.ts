/**
 * checkov findings of synthesized stacks, for the review: every stack not seen before is scanned
 * in one checkov run (tools/scan's invocation and parsing), and each stack's findings are kept
 * under the hash of its content, so an unchanged stack, in the base or in an environment the
 * change does not touch, is never scanned twice (cdktf.out/review/checkov-cache/).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkovReports, resourceAddress, scannableCopy } from "../scan/main";
import type { Finding } from "../scan/skips";
import type { TfJson } from "../synthesized/synthesized";

/** A finding within one stack: `resource` is `<type>.<name>`. */
type StackFinding = Omit<Finding, "environment" | "resource"> & { readonly resource: string };

export interface ScanTarget {
  /** Names the environment and revision, for the findings and for errors. */
  readonly environment: string;
  readonly stacks: Readonly<Record<string, TfJson>>;
}

export interface ScanResult {
  /** Findings per target, in the order given. */
  readonly findings: Finding[][];
  readonly scanned: number;
  readonly cached: number;
}

export async function scanStacks(checkov: string, workDir: string, targets: readonly ScanTarget[]): Promise<ScanResult> {
  const cacheDir = join(workDir, "checkov-cache");
  const scanDir = join(workDir, "scan");
  mkdirSync(cacheDir, { recursive: true });
  rmSync(scanDir, { recursive: true, force: true });
  const hashOf = (stack: TfJson) =>
    createHash("sha256")
      .update(`${checkov}\0${JSON.stringify(scannableCopy(stack))}`)
      .digest("hex")
      .slice(0, 24);
  const cached = (hash: string) => join(cacheDir, `${hash}.json`);

  const pending: Record<string, TfJson> = {};
  let hits = 0;
  for (const target of targets) {
    for (const stack of Object.values(target.stacks)) {
      const hash = hashOf(stack);
      if (existsSync(cached(hash))) hits += 1;
      else if (!pending[hash]) {
        pending[hash] = scannableCopy(stack);
        mkdirSync(join(scanDir, hash), { recursive: true });
        writeFileSync(join(scanDir, hash, "cdk.tf.json"), JSON.stringify(pending[hash]));
      }
    }
  }
  const hashes = Object.keys(pending);
  if (hashes.length > 0) {
    const byHash: Record<string, StackFinding[]> = Object.fromEntries(hashes.map((h) => [h, []]));
    for (const report of await checkovReports(checkov, scanDir, `${hashes.length} changed stacks`)) {
      for (const check of report.results?.failed_checks ?? []) {
        const address = resourceAddress(check, pending);
        const slash = address.indexOf("/");
        byHash[address.slice(0, slash)]?.push({
          check: check.check_id,
          checkName: check.check_name,
          resource: address.slice(slash + 1),
        });
      }
    }
    for (const hash of hashes) writeFileSync(cached(hash), JSON.stringify(byHash[hash]));
  }

  const findings = targets.map((target) =>
    Object.entries(target.stacks).flatMap(([stackId, stack]) =>
      (JSON.parse(readFileSync(cached(hashOf(stack)), "utf8")) as StackFinding[]).map((f) => ({
        ...f,
        environment: target.environment,
        resource: `${stackId}/${f.resource}`,
      })),
    ),
  );
  return { findings, scanned: hashes.length, cached: hits };
}
