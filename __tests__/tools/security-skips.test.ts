import { resourceAddress, scannableCopy } from "../../tools/scan/main";
import {
  applySkips,
  type Finding,
  loadSkips,
  renderSecuritySection,
  type SkipEntry,
  skipListProblems,
} from "../../tools/scan/skips";

const finding = (environment: string, check: string, resource: string): Finding => ({
  environment,
  check,
  checkName: `${check} name`,
  resource,
});

describe("the checkov skip list", () => {
  const { skips, problems } = loadSkips();

  it("is sound: every entry names a check, its environments and its reason", () => {
    expect(problems).toEqual([]);
    expect(skips.length).toBeGreaterThan(0);
  });

  it("gives every production skip a written reason, never a placeholder", () => {
    const production = skips.filter((s) => s.environments.includes("production"));
    expect(production.every((s) => s.reason.trim().length >= 10)).toBe(true);
    // A placeholder is not a reason: production has no finding without a written one.
    expect(production.filter((s) => /^(tracked|todo|tbd)\b/i.test(s.reason)).map((s) => s.check)).toEqual([]);
  });

  it("rejects an entry without a reason, an unknown environment, a bad check id or pattern, and a repeat", () => {
    const entries = [
      { check: "CKV_AWS_2", environments: ["hackathon"], reason: "" },
      { check: "CKV_AWS_2", environments: ["staging"], reason: "a reason long enough" },
      { check: "AWS_2", environments: ["hackathon"], reason: "a reason long enough" },
      { check: "CKV_AWS_3", environments: ["hackathon"], resources: ["aws_lb.x"], reason: "a reason long enough" },
      { check: "CKV_AWS_4", environments: ["hackathon"], reason: "a reason long enough" },
      { check: "CKV_AWS_4", environments: ["hackathon"], reason: "another reason, same skip" },
    ];
    expect(skipListProblems(entries)).toEqual([
      'skips[0].reason: every skip needs its reason (got "")',
      'skips[1].environments: unknown environment "staging" (expected hackathon, learner-lab, production)',
      'skips[2].check: not a checkov check id (got "AWS_2"; expected e.g. CKV_AWS_2)',
      'skips[3].resources: "aws_lb.x" is not a <stack>/<type>.<name> pattern',
      "skips[5]: repeats skips[4] for hackathon",
    ]);
  });
});

describe("applying the skip list to checkov's findings", () => {
  const skips: SkipEntry[] = [
    {
      check: "CKV_AWS_2",
      environments: ["hackathon"],
      resources: ["airflow/aws_lb_listener.*"],
      reason: "HTTP only, as the seed",
    },
    { check: "CKV_AWS_91", environments: ["hackathon", "production"], reason: "tracked: access logs" },
  ];

  it("skips a finding only in the environments and on the resources an entry names", () => {
    const findings = [
      finding("hackathon", "CKV_AWS_2", "airflow/aws_lb_listener.http"),
      finding("hackathon", "CKV_AWS_2", "video-pipeline/aws_lb_listener.http"),
      finding("production", "CKV_AWS_2", "airflow/aws_lb_listener.http"),
      finding("hackathon", "CKV_AWS_91", "airflow/aws_lb.alb"),
      finding("production", "CKV_AWS_91", "airflow/aws_lb.alb"),
    ];
    const result = applySkips(skips, findings, ["hackathon", "production"]);
    expect(result.failed.map((f) => `${f.environment} ${f.resource}`)).toEqual([
      "hackathon video-pipeline/aws_lb_listener.http",
      "production airflow/aws_lb_listener.http",
    ]);
    expect(result.skipped.map((s) => s.entry)).toEqual([0, 1, 1]);
    expect(result.stale).toEqual([]);
  });

  it("reports an entry that skipped nothing in an environment it names as stale", () => {
    const result = applySkips(skips, [finding("hackathon", "CKV_AWS_91", "airflow/aws_lb.alb")], ["hackathon", "production"]);
    expect(result.stale).toEqual([
      "skips[0] (CKV_AWS_2 in hackathon, airflow/aws_lb_listener.*): skipped nothing in hackathon; remove it there",
      "skips[1] (CKV_AWS_91 in hackathon, production): skipped nothing in production; remove it there",
    ]);
  });

  it("judges staleness only in the environments scanned", () => {
    const result = applySkips(skips, [finding("hackathon", "CKV_AWS_91", "airflow/aws_lb.alb")], ["learner-lab"]);
    expect(result.stale).toEqual([]);
  });
});

describe("reading checkov's report", () => {
  const stacks = { airflow: { resource: { aws_cloudwatch_log_group: { "log-group": {} }, aws_lb: { alb: {} } } } };

  it("finds the resource type checkov leaves out of some terraform_json results", () => {
    const check = { check_id: "CKV_AWS_158", check_name: "", file_path: "/airflow/cdk.tf.json" };
    expect(resourceAddress({ ...check, resource: "resource.log-group" }, stacks)).toBe(
      "airflow/aws_cloudwatch_log_group.log-group",
    );
    expect(resourceAddress({ ...check, resource: "aws_lb.alb" }, stacks)).toBe("airflow/aws_lb.alb");
  });

  it("leaves the terraform block's scalar settings out of the copy checkov scans, which its parser rejects", () => {
    const copy = scannableCopy({ terraform: { required_version: ">= 1.11.0", backend: { s3: {} } }, resource: {} });
    expect(copy.terraform).toEqual({ backend: { s3: {} } });
  });
});

describe("docs/review.md's security section", () => {
  it("lists what is scanned, what checkov cannot see, and every skip with its reason", () => {
    const { skips } = loadSkips();
    const text = renderSecuritySection(skips);
    expect(text).toContain("checkov reads `container_definitions` as one opaque");
    expect(text).toContain("`__tests__/secrets.test.ts`");
    for (const s of skips) expect(text).toContain(`| ${s.check} | ${s.environments.join(", ")} |`);
    expect(text.split("\n").filter((l) => /^\| CKV/.test(l))).toHaveLength(skips.length);
  });
});
