/**
 * `make review` on known changes. Each head revision is the committed environment with one config
 * field or one construct prop changed in-process and synthesized; the base is the committed
 * environment as bin/app.js synthesizes it. Each test reads the rendered Markdown, the section a
 * reviewer would read it in.
 */
import type { Config, EnvironmentName } from "../../config/schema";
import type { SecurityRule } from "../../modules/security-group-matrix";
import type { ServiceRoleProps } from "../../modules/service-role";
import { renderEnvironment } from "../../tools/review/render";
import { type EnvironmentReview, type Revision, reviewEnvironment } from "../../tools/review/review";
import { type SynthesizedEnvironment, synthEnvironment } from "../helpers";

// Prop changes a config cannot express: one more action in a role's first statement, one more
// rule in the security-group matrix. Off (undefined) unless a test sets them.
let mockExtraAction: { role: string; action: string } | undefined;
let mockExtraRules: SecurityRule[] = [];

jest.mock("../../modules/service-role", () => {
  const actual = jest.requireActual("../../modules/service-role");
  class ServiceRole extends actual.ServiceRole {
    constructor(scope: unknown, id: string, props: ServiceRoleProps) {
      const extra = mockExtraAction;
      const edited =
        extra && props.name === extra.role && props.statements
          ? {
              ...props,
              statements: props.statements.map((s, i) => (i === 0 ? { ...s, actions: [...s.actions, extra.action] } : s)),
            }
          : props;
      super(scope, id, edited);
    }
  }
  return { ...actual, ServiceRole };
});

jest.mock("../../stacks/security-matrix", () => {
  const actual = jest.requireActual("../../stacks/security-matrix");
  return { ...actual, securityRules: (options: unknown) => [...actual.securityRules(options), ...mockExtraRules] };
});

const revision = (env: SynthesizedEnvironment): Revision => ({
  config: env.config,
  stacks: Object.fromEntries(env.stackIds.map((id) => [id, env.stack(id)])),
});

// The base is synthesized in-process too, unedited and with the mocks off: a synthesized path
// (the image's build context) is relative to the output folder, which differs from bin/app.js's.
const bases = new Map<EnvironmentName, Revision>();

/** The committed environment against itself after `edit`, reviewed and rendered. */
function review(environment: EnvironmentName, edit: (config: Config) => void): { review: EnvironmentReview; markdown: string } {
  if (!bases.has(environment)) {
    const [action, rules] = [mockExtraAction, mockExtraRules];
    [mockExtraAction, mockExtraRules] = [undefined, []];
    bases.set(environment, revision(synthEnvironment(environment, () => {})));
    [mockExtraAction, mockExtraRules] = [action, rules];
  }
  const base = bases.get(environment) as Revision;
  const head = revision(synthEnvironment(environment, edit));
  const result = reviewEnvironment({ environment, base, head });
  return { review: result, markdown: renderEnvironment(result) };
}

/** The body of the `### <title>` section of a rendered environment. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`### ${title}`);
  if (start < 0) throw new Error(`no section "${title}" in:\n${markdown}`);
  const end = markdown.indexOf("\n### ", start + 4);
  return markdown.slice(start, end < 0 ? undefined : end);
}

afterEach(() => {
  mockExtraAction = undefined;
  mockExtraRules = [];
});

describe("make review", () => {
  it("reports no change, nothing to attend to and no cost difference for an unchanged revision", () => {
    const { review: r, markdown } = review("hackathon", () => {});
    expect(r.changes).toEqual([]);
    expect(section(markdown, "What needs attention")).toContain("Nothing.");
    expect(section(markdown, "Resources")).toContain("No change.");
    expect(section(markdown, "IAM")).toContain("No role gains or loses a permission.");
    expect(section(markdown, "Security groups")).toContain("No rule of the matrix opened or closed.");
    expect(section(markdown, "Cost per week")).toContain("**+$0.00**");
  });

  it("shows a bigger webserver as its task definition's new revision with the cost difference, and nothing stateful", () => {
    const { review: r, markdown } = review("hackathon", (c) => {
      c.airflow.webserver.cpu = 1024;
      c.airflow.webserver.memoryMiB = 2048;
    });
    expect(section(markdown, "What needs attention")).toContain("Nothing.");
    const resources = section(markdown, "Resources");
    expect(resources).toMatch(
      /aws_ecs_task_definition\.[^`]+` \(alerta-utec-airflow-webserver\): \*\*replaced\*\*: cpu, memory forces it/,
    );
    expect(resources).toContain('`cpu`: `"512"` → `"1024"`');
    expect(resources).toContain('`memory`: `"1024"` → `"2048"`');
    expect(r.changes.filter((c) => c.stateful)).toEqual([]);
    // One webserver task at minimum capacity: twice the vCPU and GB, the Fargate line doubles.
    expect(section(markdown, "Cost per week")).toMatch(/\| Compute \| \$[\d.]+ \| \$[\d.]+ \| \+\$[1-9][\d.]* \|/);
  });

  it("flags a renamed table's replacement first, before any other change", () => {
    const { markdown } = review("hackathon", (c) => {
      c.data.incidentsTable.name = "IncidentsV2";
    });
    const attention = section(markdown, "What needs attention")
      .split("\n")
      .filter((l) => l.startsWith("- "));
    expect(attention[0]).toMatch(/^- \*\*replaced\*\* .*aws_dynamodb_table\.incidents` \(IncidentsV2\), because name changed/);
    expect(markdown.indexOf("IncidentsV2")).toBe(markdown.indexOf(attention[0]) + attention[0].indexOf("IncidentsV2"));
  });

  it("flags a renamed queue's replacement as data loss", () => {
    const { markdown } = review("hackathon", (c) => {
      c.data.videoQueue.name = "cola-nube-v2";
    });
    expect(section(markdown, "What needs attention")).toMatch(
      /\*\*replaced\*\* .*aws_sqs_queue\.[^`]+` \(cola-nube-v2\), because name changed/,
    );
  });

  it("lists an action added to a task role as gained by that role alone, on the statement's resources", () => {
    mockExtraAction = { role: "alerta-utec-airflow-scheduler-task", action: "elasticfilesystem:DeleteAccessPoint" };
    const { review: r, markdown } = review("hackathon", () => {});
    expect(r.roles.map((role) => role.role)).toEqual(["alerta-utec-airflow-scheduler-task"]);
    const iam = section(markdown, "IAM");
    expect(iam).toContain("- role `alerta-utec-airflow-scheduler-task` (stack airflow)");
    expect(iam).toMatch(/ {2}- gains `elasticfilesystem:DeleteAccessPoint` on `data\/aws_efs_file_system\.[^`.]+\.arn` when /);
    expect(iam).not.toContain("loses");
    expect(section(markdown, "Resources")).toMatch(
      /aws_iam_role_policy\.[^`]+` \(alerta-utec-airflow-scheduler-task-policy\): updated in place/,
    );
  });

  it("flags a wildcard action gained", () => {
    mockExtraAction = { role: "proyecto-nube-worker-task", action: "s3:*" };
    const { markdown } = review("hackathon", () => {});
    expect(section(markdown, "What needs attention")).toContain("wildcard gained by `proyecto-nube-worker-task`: `s3:*`");
  });

  it("names a rule added to the security-group matrix as opened, and an internet ingress as newly public", () => {
    mockExtraRules = [
      { from: "airflow-tasks", to: "video-db", port: 5432, description: "Airflow reads the video database" },
      { from: "internet", to: "video-alb", port: 443, description: "HTTPS from anywhere" },
    ];
    const { markdown } = review("hackathon", () => {});
    const groups = section(markdown, "Security groups");
    expect(groups).toContain("- opened `airflow-tasks->video-db:5432`: Airflow reads the video database");
    expect(groups).toContain("- opened `internet->video-alb:443`: HTTPS from anywhere");
    const attention = section(markdown, "What needs attention");
    expect(attention).toContain("ingress from the internet opened: `internet->video-alb:443`");
    expect(attention).not.toContain("airflow-tasks->video-db");
  });

  it("takes update versus replace from a plan, and lists what the plan changes through a reference without flagging it", () => {
    const base = revision(synthEnvironment("hackathon"));
    const service = Object.keys(base.stacks.airflow.resource?.aws_ecs_service ?? {})[0];
    const result = reviewEnvironment({
      environment: "hackathon",
      base,
      head: base,
      plan: [{ address: `airflow/aws_ecs_service.${service}`, actions: ["update"] }],
    });
    const markdown = renderEnvironment(result);
    expect(section(markdown, "What needs attention")).toContain("Nothing.");
    expect(section(markdown, "Resources")).toContain(`- \`aws_ecs_service.${service}\`: updated in place (plan)`);
  });

  it("flags force-destroy turned on for every bucket, the state bucket included", () => {
    const { review: r, markdown } = review("production", (c) => {
      c.data.forceDestroyBuckets = true;
    });
    const buckets = r.changes.filter((c) => c.type === "aws_s3_bucket");
    expect(buckets.map((b) => b.stack)).toContain("state");
    const attention = section(markdown, "What needs attention");
    for (const bucket of buckets) {
      expect(attention).toContain(`**weakened**: force-destroy (deletes every object with the bucket) of \`${bucket.address}\``);
      expect(bucket.replacement).toEqual({ kind: "in-place" });
    }
  });
});
