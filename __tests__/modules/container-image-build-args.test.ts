import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Testing } from "cdktf";
import { airflowBuildArgs } from "../../config/airflow-lines";
import { buildContentHash, ContainerImage } from "../../modules/container-image";
import { resourcesOf } from "../../tools/synthesized/tf-json";

/** A build context with a Dockerfile that takes the args, and nothing else. */
function context(): string {
  const dir = mkdtempSync(join(tmpdir(), "build-args-"));
  mkdirSync(join(dir, "docker"));
  writeFileSync(join(dir, "docker", "Dockerfile"), "ARG AIRFLOW_VERSION\nFROM apache/airflow:${AIRFLOW_VERSION}\n");
  return dir;
}

describe("ContainerImage build args", () => {
  const dir = context();
  const hash = (args?: Record<string, string>) => buildContentHash(dir, "docker/Dockerfile", undefined, args);

  it("are part of the content hash: another value builds another image", () => {
    expect(hash(airflowBuildArgs("2.8"))).not.toBe(hash(airflowBuildArgs("3.3")));
    expect(hash({ AIRFLOW_VERSION: "3.3.2" })).not.toBe(hash({ AIRFLOW_VERSION: "3.3.3" }));
    expect(hash(airflowBuildArgs("2.8"))).not.toBe(hash());
  });

  it("hash the same whatever order they are given in, and none hashes like before", () => {
    expect(hash({ A: "1", B: "2" })).toBe(hash({ B: "2", A: "1" }));
    expect(hash({})).toBe(hash());
  });

  it("reach docker build, and the hash that retags and pushes the image", () => {
    let image: ContainerImage | undefined;
    const json = Testing.synthScope((scope) => {
      image = new ContainerImage(scope, "image", {
        source: { source: "build", context: ".", dockerfile: "docker/Dockerfile" },
        repository: { repositoryUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/a", registryId: "123456789012" },
        basePath: dir,
        buildArgs: airflowBuildArgs("3.3"),
      });
    });
    expect(json).toHaveResourceWithProperties(Image, {
      build: expect.objectContaining({ build_args: { AIRFLOW_LINE: "3.3", AIRFLOW_VERSION: "3.3.2" } }),
      triggers: { contentHash: hash(airflowBuildArgs("3.3")) },
    });
    expect(resourcesOf(json, Image)).toHaveLength(1);
    expect(image?.contentHash).toBe(hash(airflowBuildArgs("3.3")));
  });
});
