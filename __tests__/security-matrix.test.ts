import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { matrixProblems, ruleName, type SecurityRule } from "../modules/security-group-matrix";
import { SECURITY_GROUPS, securityRules } from "../stacks/security-matrix";
import { type Resource, resourcesOf, type TerraformType } from "../tools/synthesized/tf-json";
import { type SynthesizedEnvironment, synthEnvironment } from "./helpers";

// The rule set is checked as a whole (exactly these flows, nothing else), which is beyond
// cdktf's matchers: they answer whether one resource with given properties exists.

/** Reads a synthesized rule back as `from->to:port` using the group names in the ids. */
function groupName(reference: string, groups: Record<string, Resource>): string {
  const logicalId = /aws_security_group\.([^.]+)\.id/.exec(reference)?.[1];
  const group = logicalId ? groups[logicalId] : undefined;
  if (!group) throw new Error(`not a security group reference: ${reference}`);
  return group.name.replace(/^alerta-utec-/, "");
}

function synthesizedRules(env: SynthesizedEnvironment): { ingress: string[]; egress: string[] } {
  const json = env.json("network");
  const groups = Object.fromEntries(resourcesOf(json, SecurityGroup).map((g) => [g["//"].metadata.uniqueId, g]));
  const read = (type: TerraformType, own: "to" | "from") =>
    resourcesOf(json, type)
      .map((rule) => {
        const self = groupName(rule.security_group_id, groups);
        const peer = rule.cidr_ipv4 === "0.0.0.0/0" ? "internet" : groupName(rule.referenced_security_group_id, groups);
        const [from, to] = own === "to" ? [peer, self] : [self, peer];
        expect(rule.from_port).toBe(rule.to_port);
        return `${from}->${to}:${rule.from_port}`;
      })
      .sort();
  return {
    ingress: read(VpcSecurityGroupIngressRule, "to"),
    egress: read(VpcSecurityGroupEgressRule, "from"),
  };
}

describe("the security-group matrix as synthesized", () => {
  let hackathon: SynthesizedEnvironment;
  beforeAll(() => {
    hackathon = synthEnvironment("hackathon");
  });

  it("creates exactly one group per matrix group", () => {
    const names = resourcesOf(hackathon.json("network"), SecurityGroup).map((g) => g.name);
    expect(names.sort()).toEqual(
      Object.keys(SECURITY_GROUPS)
        .map((g) => `alerta-utec-${g}`)
        .sort(),
    );
  });

  it("opens exactly the seeds' flows, each on both ends, and nothing else", () => {
    const { ingress, egress } = synthesizedRules(hackathon);
    expect(ingress).toEqual(
      [
        "internet->airflow-alb:80",
        "airflow-alb->airflow-tasks:8080",
        "airflow-tasks->airflow-db:5432",
        "airflow-tasks->efs:2049",
        "internet->video-alb:80",
        "video-alb->video-tasks:8000",
        "video-tasks->video-db:5432",
      ].sort(),
    );
    expect(egress).toEqual(
      [
        "airflow-alb->airflow-tasks:8080",
        "airflow-tasks->airflow-db:5432",
        "airflow-tasks->efs:2049",
        "airflow-tasks->internet:443",
        "video-alb->video-tasks:8000",
        "video-tasks->video-db:5432",
        "video-tasks->internet:443",
      ].sort(),
    );
  });

  it("opens the databases only to their own system's tasks", () => {
    const { ingress } = synthesizedRules(hackathon);
    expect(ingress.filter((r) => r.includes("-db:"))).toEqual(["airflow-tasks->airflow-db:5432", "video-tasks->video-db:5432"]);
  });

  it("lets no group send everywhere: every egress rule names one port", () => {
    const json = hackathon.json("network");
    for (const rule of resourcesOf(json, VpcSecurityGroupEgressRule)) {
      expect(rule.ip_protocol).toBe("tcp");
      expect(rule.from_port).toBeGreaterThan(0);
    }
    // Inline rules would bypass the matrix: the groups carry none.
    expect(json).toHaveResource(SecurityGroup);
    expect(json).not.toHaveResourceWithProperties(SecurityGroup, { egress: expect.anything() });
    expect(json).not.toHaveResourceWithProperties(SecurityGroup, { ingress: expect.anything() });
  });

  it("adds internet 443 to a load balancer only when it has a certificate", () => {
    const https = synthEnvironment("hackathon", (c) => {
      c.airflow.certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123";
    });
    const added = synthesizedRules(https).ingress.filter((r) => !synthesizedRules(hackathon).ingress.includes(r));
    expect(added).toEqual(["internet->airflow-alb:443"]);
  });
});

describe("matrix validation", () => {
  const groups = { a: "group a", b: "group b" };
  const rule = (r: Partial<SecurityRule>): SecurityRule => ({ from: "a", to: "b", port: 5432, description: "d", ...r });

  it("accepts the system's matrix in every HTTPS combination", () => {
    for (const airflowHttps of [false, true]) {
      for (const videoHttps of [false, true]) {
        expect(matrixProblems({ groups: SECURITY_GROUPS, rules: securityRules({ airflowHttps, videoHttps }) })).toEqual([]);
      }
    }
  });

  it("rejects a rule naming an unknown group", () => {
    expect(matrixProblems({ groups, rules: [rule({ to: "c" })] })).toEqual([
      'rule a->c:5432: unknown group "c" (expected one of internet, a, b)',
    ]);
  });

  it("rejects a port outside 1-65535", () => {
    expect(matrixProblems({ groups, rules: [rule({ port: 70000 })] })).toEqual(["rule a->b:70000: port 70000 outside 1-65535"]);
  });

  it("rejects a duplicate rule", () => {
    expect(matrixProblems({ groups, rules: [rule({}), rule({ description: "again" })] })).toEqual([
      "rule a->b:5432: declared twice",
    ]);
  });

  it("rejects internet ingress on anything but 80 and 443", () => {
    expect(matrixProblems({ groups, rules: [rule({ from: "internet", port: 22 })] })).toEqual([
      "rule internet->b:22: internet ingress on port 22 (expected one of 80, 443)",
    ]);
  });

  it("names rules stably, marking only non-TCP protocols", () => {
    expect(ruleName(rule({}))).toBe("a->b:5432");
    expect(ruleName(rule({ protocol: "udp", port: 53 }))).toBe("a->b:53/udp");
  });
});
