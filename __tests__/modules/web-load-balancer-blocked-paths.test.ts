import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { Testing } from "cdktf";
import { WebLoadBalancer, type WebLoadBalancerProps } from "../../modules/web-load-balancer";
import { resourcesOf } from "../tf-json";

const PROPS: WebLoadBalancerProps = {
  name: "app",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-alb"],
  targetPort: 8080,
  httpPort: 80,
  httpsPort: 443,
  healthCheck: { path: "/health" },
};
const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

const synth = (props: WebLoadBalancerProps): string => Testing.synthScope((scope) => new WebLoadBalancer(scope, "lb", props));

describe("WebLoadBalancer blockedPathPatterns", () => {
  it("adds no rule by default", () => {
    expect(synth(PROPS)).not.toHaveResource(LbListenerRule);
  });

  it.each([
    ["HTTP listener", undefined, "lb_http_"],
    ["HTTPS listener, HTTP only redirecting", CERTIFICATE, "lb_https_"],
  ])("answers the patterns with a 404 on the forwarding listener (%s), before any forward", (_, certificateArn, listener) => {
    const json = synth({ ...PROPS, certificateArn, blockedPathPatterns: ["/internal", "/internal/*"] });
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
