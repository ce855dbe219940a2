import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { decodeJsonencode, onlyResource, resourcesOf } from "../../tools/synthesized/tf-json";

describe("decodeJsonencode", () => {
  it("reads bare references and interpolations back as strings", () => {
    expect(
      decodeJsonencode('${jsonencode({"Resource" = [aws_x.y.arn, "${aws_x.y.arn}/index/*"], "n" = 1, "b" = true})}'),
    ).toEqual({
      Resource: ["aws_x.y.arn", "${aws_x.y.arn}/index/*"],
      n: 1,
      b: true,
    });
  });

  it("keeps quotes inside an interpolation in the string", () => {
    expect(decodeJsonencode('${jsonencode({"a" = "${replace(x, ":cluster/", "/")}/y"})}')).toEqual({
      a: '${replace(x, ":cluster/", "/")}/y',
    });
  });

  it("refuses what is not a jsonencode expression", () => {
    expect(() => decodeJsonencode("plain")).toThrow(/not a jsonencode expression/);
  });
});

describe("onlyResource", () => {
  const json = JSON.stringify({
    resource: { aws_ecs_service: { a: { name: "web" }, b: { name: "web" }, c: { name: "worker" } } },
  });

  it("returns the one resource with the value, and says how many it found otherwise", () => {
    expect(onlyResource(json, EcsService, "name", "worker")).toEqual({ name: "worker" });
    expect(() => onlyResource(json, EcsService, "name", "web")).toThrow(
      'expected one aws_ecs_service with name = "web", found 2',
    );
    expect(() => onlyResource(json, EcsService)).toThrow("expected one aws_ecs_service, found 3");
    expect(resourcesOf(json, EcsService)).toHaveLength(3);
  });
});
