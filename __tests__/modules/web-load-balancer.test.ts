import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Testing } from "cdktf";
import { TLS_POLICY, WebLoadBalancer, type WebLoadBalancerProps } from "../../modules/web-load-balancer";
import { resourcesOf } from "../../tools/synthesized/tf-json";

const PROPS: WebLoadBalancerProps = {
  name: "app",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-alb"],
  targetPort: 8080,
  httpPort: 80,
  httpsPort: 443,
  healthCheck: { path: "/health", intervalSeconds: 30, timeoutSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 3 },
  stickinessSeconds: 86400,
};

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123";

function synth(props: WebLoadBalancerProps): { json: string; lb: WebLoadBalancer } {
  let lb: WebLoadBalancer | undefined;
  const json = Testing.synthScope((scope) => {
    lb = new WebLoadBalancer(scope, "lb", props);
  });
  return { json, lb: lb as WebLoadBalancer };
}

describe("WebLoadBalancer", () => {
  describe("without a certificate", () => {
    const { json, lb } = synth(PROPS);

    it("is internet-facing in the given subnets and drops invalid header fields", () => {
      expect(json).toHaveResourceWithProperties(Lb, {
        name: "app",
        load_balancer_type: "application",
        internal: false,
        subnets: ["subnet-a", "subnet-b"],
        security_groups: ["sg-alb"],
        drop_invalid_header_fields: true,
        enable_deletion_protection: false,
      });
      expect(resourcesOf(json, Lb)).toHaveLength(1);
    });

    it("checks the targets' health by IP on the target port, with stickiness", () => {
      expect(json).toHaveResourceWithProperties(LbTargetGroup, {
        name: "app-tg",
        target_type: "ip",
        port: 8080,
        protocol: "HTTP",
        vpc_id: "vpc-1",
        health_check: expect.objectContaining({
          path: "/health",
          interval: 30,
          timeout: 10,
          healthy_threshold: 2,
          unhealthy_threshold: 3,
          matcher: "200",
        }),
        stickiness: { type: "lb_cookie", enabled: true, cookie_duration: 86400 },
      });
      expect(resourcesOf(json, LbTargetGroup)).toHaveLength(1);
    });

    it("forwards HTTP to the target group and has no HTTPS listener", () => {
      expect(json).toHaveResourceWithProperties(LbListener, {
        port: 80,
        protocol: "HTTP",
        default_action: [{ type: "forward", target_group_arn: expect.stringContaining("aws_lb_target_group.") }],
      });
      expect(resourcesOf(json, LbListener)).toHaveLength(1);
    });

    it("exposes an http:// URL", () => {
      expect(lb.url).toMatch(/^http:\/\/\$\{TfToken/);
    });
  });

  describe("with a certificate", () => {
    const certificateArn = CERTIFICATE;
    const { json, lb } = synth({ ...PROPS, certificateArn });

    it("forwards HTTPS with the TLS 1.3 policy and redirects HTTP to it", () => {
      expect(json).toHaveResourceWithProperties(LbListener, {
        port: 443,
        protocol: "HTTPS",
        ssl_policy: TLS_POLICY,
        certificate_arn: certificateArn,
        default_action: [expect.objectContaining({ type: "forward" })],
      });
      expect(json).toHaveResourceWithProperties(LbListener, {
        port: 80,
        protocol: "HTTP",
        default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
      });
      expect(resourcesOf(json, LbListener)).toHaveLength(2);
      expect(TLS_POLICY).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    });

    it("exposes an https:// URL", () => {
      expect(lb.url).toMatch(/^https:\/\//);
    });
  });

  it("refuses a name too long for the target group and fewer than two subnets", () => {
    const build = () => synth({ ...PROPS, name: "a-name-that-is-far-too-long-for-alb", subnetIds: ["subnet-a"] });
    expect(build).toThrow(/name: "a-name-that-is-far-too-long-for-alb" is 35 characters \(expected at most 32\)/);
    expect(build).toThrow(/targetGroupName: "a-name-that-is-far-too-long-for-alb-tg" is 38 characters/);
    expect(build).toThrow(/subnetIds: 1 subnet\(s\) \(expected at least 2/);
  });

  it("turns stickiness off without a duration", () => {
    expect(synth({ ...PROPS, stickinessSeconds: undefined }).json).toHaveResourceWithProperties(LbTargetGroup, {
      stickiness: { type: "lb_cookie", enabled: false },
    });
  });
});

describe("WebLoadBalancer blockedPathPatterns", () => {
  it("adds no rule by default", () => {
    expect(synth(PROPS).json).not.toHaveResource(LbListenerRule);
  });

  it.each([
    ["HTTP listener", undefined, "lb_http_"],
    ["HTTPS listener, HTTP only redirecting", CERTIFICATE, "lb_https_"],
  ])("answers the patterns with a 404 on the forwarding listener (%s), before any forward", (_, certificateArn, listener) => {
    const { json } = synth({ ...PROPS, certificateArn, blockedPathPatterns: ["/internal", "/internal/*"] });
    expect(json).toHaveResourceWithProperties(LbListenerRule, {
      listener_arn: expect.stringContaining(`aws_lb_listener.${listener}`),
      priority: 1,
      condition: [{ path_pattern: { values: ["/internal", "/internal/*"] } }],
      action: [
        {
          type: "fixed-response",
          fixed_response: { status_code: "404", content_type: "text/plain", message_body: "Not Found" },
        },
      ],
    });
    expect(resourcesOf(json, LbListenerRule)).toHaveLength(1);
  });

  it("refuses more patterns than one ALB condition holds", () => {
    expect(() => synth({ ...PROPS, blockedPathPatterns: ["/a", "/b", "/c", "/d", "/e", "/f"] })).toThrow(
      "blockedPathPatterns: 6 patterns (expected at most 5)",
    );
  });
});
