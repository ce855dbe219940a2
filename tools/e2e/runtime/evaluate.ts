/**
 * Decides IAM requests with @cloud-copilot/iam-simulate, AWS's policy evaluation logic (identity and
 * resource policies, every condition operator), in Strict mode: a request is allowed only if the
 * policies as given allow it.
 *
 *   tsx tools/e2e/runtime/evaluate.ts <input.json>     (tools/e2e/runtime/iam_evaluation.py writes it)
 *
 * Input: { policies: { <key>: <policy document> }, requests: [EvaluationRequest] }; output on
 * stdout: one Decision per request, in order. A request the simulator refuses as invalid (an action
 * or resource it does not know) comes back as decision "Error" with its messages: never as allowed.
 */
import { readFileSync } from "node:fs";
import { runSimulation } from "@cloud-copilot/iam-simulate";

export interface EvaluationRequest {
  /** The caller: a role session's ARN. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly accountId: string;
  readonly context: Record<string, string | string[]>;
  /** Keys into `policies`: the role's inline and attached policies. */
  readonly identityPolicies: readonly string[];
  /** Key into `policies`: the resource's own policy (bucket, queue, topic), if it has one. */
  readonly resourcePolicy?: string;
}

export interface Decision {
  readonly decision: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error";
  readonly errors?: string;
}

export async function decide(policies: Record<string, unknown>, request: EvaluationRequest): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.accountId },
        contextVariables: request.context,
      },
      identityPolicies: request.identityPolicies.map((name) => ({ name, policy: policies[name] })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy === undefined ? undefined : policies[request.resourcePolicy],
    },
    { simulationMode: "Strict" },
  );
  if (result.resultType === "error") return { decision: "Error", errors: JSON.stringify(result.errors) };
  return { decision: result.overallResult };
}

async function main(path: string): Promise<void> {
  const input = JSON.parse(readFileSync(path, "utf8")) as {
    policies: Record<string, unknown>;
    requests: EvaluationRequest[];
  };
  const decisions: Decision[] = [];
  for (const request of input.requests) decisions.push(await decide(input.policies, request));
  process.stdout.write(`${JSON.stringify(decisions)}\n`);
}

if (require.main === module) {
  const [path] = process.argv.slice(2);
  if (!path) {
    process.stderr.write("usage: tsx tools/e2e/runtime/evaluate.ts <input.json>\n");
    process.exit(2);
  }
  main(path).catch((error: unknown) => {
    process.stderr.write(`evaluate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
