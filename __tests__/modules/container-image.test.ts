import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DataAwsEcrAuthorizationToken } from "@cdktf/provider-aws/lib/data-aws-ecr-authorization-token";
import { Image } from "@cdktf/provider-docker/lib/image";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image";
import { Testing } from "cdktf";
import type { ImageSourceConfig } from "../../config/schema";
import { buildContentHash, buildContextFiles, ContainerImage, isIgnored, parseDockerignore } from "../../modules/container-image";
import { StoredTimestamp } from "../../modules/stored-timestamp";
import { dataSourcesOf, resourcesOf } from "../../tools/synthesized/tf-json";

const REPOSITORY = { repositoryUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", registryId: "123456789012" };

/** A build context on disk: the repository's allow-list .dockerignore and a few files. */
function fixtureContext(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "context-"));
  const all: Record<string, string> = {
    ".dockerignore": "*\n!docker/app/\n!dags/\n!requirements/constraints.txt\n**/__pycache__\ndocker/app/tests/\n",
    "docker/app/Dockerfile": "FROM scratch\n",
    "docker/app/entrypoint.sh": "#!/bin/sh\n",
    "docker/app/tests/test.sh": "echo test\n",
    "dags/a.py": "a = 1\n",
    "dags/__pycache__/a.cpython-311.pyc": "bytecode",
    "requirements/constraints.txt": "x==1\n",
    "requirements/dev.txt": "y==2\n",
    "node_modules/lib/index.js": "module.exports = 1;\n",
    "README.md": "readme\n",
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function synth(source: ImageSourceConfig, basePath = fixtureContext({})): { json: string; image: ContainerImage } {
  let image: ContainerImage | undefined;
  const json = Testing.synthScope((scope) => {
    image = new ContainerImage(scope, "image", { source, repository: REPOSITORY, basePath });
  });
  return { json, image: image as ContainerImage };
}

const BUILD: ImageSourceConfig = { source: "build", context: ".", dockerfile: "docker/app/Dockerfile" };

describe(".dockerignore handling", () => {
  it("follows Docker's rules: later lines win, ! re-includes, a match on a parent folder covers its files", () => {
    const rules = parseDockerignore("# comment\n*\n!docker/app/\n**/__pycache__\ndocker/app/tests/\n");
    expect(isIgnored(rules, "README.md")).toBe(true);
    expect(isIgnored(rules, "docker/app/Dockerfile")).toBe(false);
    expect(isIgnored(rules, "docker/app/tests/test.sh")).toBe(true);
    expect(isIgnored(rules, "docker/app/__pycache__/x.pyc")).toBe(true);
    expect(isIgnored(rules, "docker/other/file")).toBe(true);
  });

  it("lists exactly the files of the allow-list, without caches or the image's tests", () => {
    expect(buildContextFiles(fixtureContext({}))).toEqual([
      "dags/a.py",
      "docker/app/Dockerfile",
      "docker/app/entrypoint.sh",
      "requirements/constraints.txt",
    ]);
  });

  it("narrows the inputs to explicit paths when given", () => {
    expect(buildContextFiles(fixtureContext({}), ["dags"])).toEqual(["dags/a.py"]);
  });

  it("lists the repository's real Airflow build inputs", () => {
    const files = buildContextFiles(join(__dirname, "..", ".."));
    expect(files).toContain("docker/airflow/Dockerfile");
    expect(files).toContain("requirements/airflow-2.8/constraints.txt");
    expect(files).toContain("requirements/airflow-3.3/constraints.txt");
    expect(files).toContain("requirements/airflow-3.3/image.in");
    expect(files.some((f) => f.startsWith("dags/"))).toBe(true);
    expect(
      files.every((f) => /^(docker\/airflow\/|dags\/|requirements\/airflow-[0-9.]+\/(constraints\.txt|image\.in)$)/.test(f)),
    ).toBe(true);
    expect(files.some((f) => f.startsWith("docker/airflow/tests/") || f.includes("__pycache__"))).toBe(false);
  });
});

describe("the content hash", () => {
  const hash = (dir: string) => buildContentHash(dir, "docker/app/Dockerfile");

  it("is the same for two checkouts with the same inputs", () => {
    expect(hash(fixtureContext({}))).toBe(hash(fixtureContext({})));
  });

  it("changes when a build input changes, or when a script becomes executable", () => {
    const base = hash(fixtureContext({}));
    expect(hash(fixtureContext({ "dags/a.py": "a = 2\n" }))).not.toBe(base);
    expect(hash(fixtureContext({ "dags/b.py": "b = 1\n" }))).not.toBe(base);
    const dir = fixtureContext({});
    chmodSync(join(dir, "docker/app/entrypoint.sh"), 0o755);
    expect(hash(dir)).not.toBe(base);
  });

  it("ignores what Docker does not send", () => {
    const base = hash(fixtureContext({}));
    expect(hash(fixtureContext({ "README.md": "changed\n", "dags/__pycache__/b.pyc": "x", "docker/app/tests/t2.sh": "" }))).toBe(
      base,
    );
  });
});

describe("ContainerImage", () => {
  describe("build source", () => {
    const basePath = fixtureContext({});
    const { json, image } = synth(BUILD, basePath);
    const contentHash = buildContentHash(basePath, "docker/app/Dockerfile");

    it("builds for linux/amd64, tagged latest too, rebuilt when the content hash changes", () => {
      expect(json).toHaveResourceWithProperties(Image, {
        platform: "linux/amd64",
        build: expect.objectContaining({
          dockerfile: "docker/app/Dockerfile",
          platform: "linux/amd64",
          tag: [`${REPOSITORY.repositoryUrl}:latest`],
        }),
        triggers: { contentHash },
        keep_locally: true,
        name: expect.stringMatching(/:v\$\{formatdate\("YYYYMMDD-hhmmss", terraform_data\..*\.output\["time"\]\)\}$/),
      });
      expect(resourcesOf(json, Image)).toHaveLength(1);
    });

    it("fixes the timestamp tag when the inputs change, not on every plan", () => {
      expect(json).toHaveResourceWithProperties(StoredTimestamp, {
        input: { time: "${timestamp()}" },
        triggers_replace: { contentHash },
        lifecycle: { ignore_changes: ["input"] },
      });
      expect(resourcesOf(json, StoredTimestamp)).toHaveLength(1);
    });

    it("pushes the timestamp tag and latest, keeping replaced images in ECR", () => {
      expect(resourcesOf(json, RegistryImage)).toHaveLength(2);
      for (const push of resourcesOf(json, RegistryImage))
        expect(push).toMatchObject({ keep_remotely: true, triggers: { contentHash } });
      expect(json).toHaveResourceWithProperties(RegistryImage, { name: `${REPOSITORY.repositoryUrl}:latest` });
    });

    it("gives the task definition the pushed digest, so a new image rolls the service", () => {
      expect(image.imageUri).toMatch(new RegExp(`^${REPOSITORY.repositoryUrl.replace(/\./g, "\\.")}@\\$\\{TfToken`));
      expect(image.contentHash).toBe(contentHash);
    });

    it("authenticates to ECR with a token read at plan time, never a literal", () => {
      expect(dataSourcesOf(json, DataAwsEcrAuthorizationToken)).toHaveLength(1);
      expect(json).toHaveProviderWithProperties(DockerProvider, {
        registry_auth: [
          expect.objectContaining({
            username: expect.stringMatching(/^\$\{data\.aws_ecr_authorization_token\..*\.user_name\}$/),
            password: expect.stringMatching(/^\$\{data\.aws_ecr_authorization_token\..*\.password\}$/),
            address: expect.stringMatching(/proxy_endpoint/),
          }),
        ],
      });
    });
  });

  it.each([
    [{ source: "ecr", tag: "v1" } as ImageSourceConfig, `${REPOSITORY.repositoryUrl}:v1`],
    [{ source: "uri", uri: "public.ecr.aws/x/app", tag: "2.0" } as ImageSourceConfig, "public.ecr.aws/x/app:2.0"],
  ])("takes a %j image as given, with no Docker provider", (source, uri) => {
    const { json, image } = synth(source);
    expect(image.imageUri).toBe(uri);
    expect(json).not.toHaveProvider(DockerProvider);
    expect(json).not.toHaveResource(Image);
  });

  it("refuses a Dockerfile outside the build context", () => {
    expect(() => synth({ source: "build", context: "dags", dockerfile: "docker/app/Dockerfile" })).toThrow(
      /source.dockerfile "docker\/app\/Dockerfile" is outside source.context "dags"/,
    );
  });
});
