import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type App, TerraformStack, Testing } from "cdktf";
import { WebLoadBalancer, type WebLoadBalancerProps } from "../../modules/web-load-balancer";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

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

function synth(props: WebLoadBalancerProps): Resources {
  const stack = new TerraformStack(Testing.app() as App, "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new WebLoadBalancer(stack, "lb", props);
  return (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
}

describe("WebLoadBalancer blockedPathPatterns", () => {
  it("adds no rule by default", () => {
    expect(synth(PROPS).aws_lb_listener_rule).toBeUndefined();
  });

  it.each([
    ["HTTP listener", undefined, "lb_http_"],
    ["HTTPS listener, HTTP only redirecting", CERTIFICATE, "lb_https_"],
  ])("answers the patterns with a 404 on the forwarding listener (%s), before any forward", (_, certificateArn, listener) => {
    const rules = Object.values(
      synth({ ...PROPS, certificateArn, blockedPathPatterns: ["/internal", "/internal/*"] }).aws_lb_listener_rule,
    );
    expect(rules).toEqual([
      expect.objectContaining({
        listener_arn: expect.stringContaining(`aws_lb_listener.${listener}`),
        priority: 1,
        condition: [{ path_pattern: { values: ["/internal", "/internal/*"] } }],
        action: [
          {
            type: "fixed-response",
            fixed_response: { status_code: "404", content_type: "text/plain", message_body: "Not Found" },
          },
        ],
      }),
    ]);
  });

  it("refuses more patterns than one ALB condition holds", () => {
    expect(() => synth({ ...PROPS, blockedPathPatterns: ["/a", "/b", "/c", "/d", "/e", "/f"] })).toThrow(
      "blockedPathPatterns: 6 patterns (expected at most 5)",
    );
  });
});
