/**
 * Turns a config image source into the image reference of a task definition. For `build`, the
 * Docker provider builds the image on the machine that runs `cdktf deploy` (Docker must be
 * running there) and pushes it to the system's ECR repository as `latest` and `vYYYYMMDD-HHMMSS`;
 * the task definition then names the pushed digest, so a new image rolls the service and an
 * unchanged one changes nothing.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, posix, relative, resolve, sep } from "node:path";
import { Image } from "@cdktf/provider-docker/lib/image";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image";
import { App, Fn, ref, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import type { ImageSourceConfig } from "../config/schema";
import { StoredTimestamp } from "./stored-timestamp";

/** Fargate tasks run on X86_64 (modules/fargate-service.ts); build for it on any machine. */
export const IMAGE_PLATFORM = "linux/amd64";

/** The moving tag; every other tag of a built image is a timestamp and never moves. */
export const LATEST_TAG = "latest";

export interface EcrRepositoryReference {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`, in the deploying account's registry. */
  readonly repositoryUrl: string;
}

/**
 * Name of the ephemeral `aws_ecr_authorization_token` of a stack that builds images. The provider
 * (>= 6.22) offers it as an ephemeral resource; the bindings of cdktf 0.21 have no class for it.
 */
const ECR_TOKEN = "ecr_token";

export interface ContainerImageProps {
  readonly source: ImageSourceConfig;
  /** Where `ecr` images live and `build` images are pushed. */
  readonly repository: EcrRepositoryReference;
  /** Absolute directory that the config's `context` and `dockerfile` are relative to (the repository root). */
  readonly basePath: string;
  /**
   * Files and folders, relative to the build context, that the image is built from; the content
   * hash that decides when to rebuild covers only them (still filtered by `.dockerignore`).
   * @default - every file the context's `.dockerignore` lets Docker send
   */
  readonly inputPaths?: readonly string[];
  /**
   * `--build-arg`s of a `build` source (e.g. the Airflow line and version). They are part of the
   * content hash: another value builds, tags and rolls out another image.
   * @default - none
   */
  readonly buildArgs?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Build inputs: the files Docker would send as the context, and their hash.

interface IgnoreRule {
  readonly negated: boolean;
  readonly regex: RegExp;
  /** Pattern text before its first wildcard: which directories a negation can reach into. */
  readonly literalPrefix: string;
}

function globToRegExp(pattern: string): RegExp {
  let re = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (pattern.startsWith("**/", i)) {
      re += "(?:.*/)?";
      i += 3;
    } else if (pattern.startsWith("**", i)) {
      re += ".*";
      i += 2;
    } else if (c === "*") {
      re += "[^/]*";
      i += 1;
    } else if (c === "?") {
      re += "[^/]";
      i += 1;
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) {
        re += "\\[";
        i += 1;
      } else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^[!^]/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end + 1;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += pattern[i + 1].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i += 2;
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i += 1;
    }
  }
  return new RegExp(`^${re}$`);
}

/** Parses `.dockerignore` text the way Docker does: later lines win, `!` re-includes. */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    if (negated) line = line.slice(1).trim();
    let pattern = posix.normalize(line.replace(/^\/+/, ""));
    pattern = pattern.replace(/\/+$/, "");
    if (pattern === "" || pattern === ".") continue;
    const wildcard = pattern.search(/[*?[\\]/);
    rules.push({ negated, regex: globToRegExp(pattern), literalPrefix: wildcard < 0 ? pattern : pattern.slice(0, wildcard) });
  }
  return rules;
}

/** Whether Docker leaves `path` (relative, `/`-separated) out of the context: a rule matches it or a parent. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negated;
  }
  return ignored;
}

/** An ignored directory can be skipped unless a `!` rule may re-include something inside it. */
function canPrune(rules: readonly IgnoreRule[], dir: string): boolean {
  return (
    isIgnored(rules, dir) &&
    !rules.some((r) => r.negated && (r.literalPrefix.startsWith(`${dir}/`) || `${dir}/`.startsWith(r.literalPrefix)))
  );
}

/** The files of the build context Docker would send, relative to it, sorted. */
export function buildContextFiles(contextDir: string, inputPaths?: readonly string[]): string[] {
  let rules: IgnoreRule[] = [];
  try {
    rules = parseDockerignore(readFileSync(join(contextDir, ".dockerignore"), "utf8"));
  } catch {
    // No .dockerignore: Docker sends everything.
  }
  const files: string[] = [];
  const visit = (rel: string): void => {
    const stat = lstatSync(join(contextDir, rel));
    if (stat.isDirectory()) {
      if (rel !== "" && canPrune(rules, rel)) return;
      for (const entry of readdirSync(join(contextDir, rel)).sort()) visit(rel === "" ? entry : `${rel}/${entry}`);
    } else if (!isIgnored(rules, rel)) {
      files.push(rel);
    }
  };
  const roots = inputPaths ? inputPaths.map((p) => posix.normalize(p.split(sep).join("/")).replace(/\/+$/, "")) : [""];
  for (const root of roots) visit(root === "." ? "" : root);
  return [...new Set(files)].sort();
}

/**
 * SHA-256 over the build inputs: each file's path, executable bit and content, plus the
 * Dockerfile, plus the build args when there are any. Paths are relative and no timestamp is
 * read, so every checkout of the same commit gets the same hash and triggers no rebuild.
 */
export function buildContentHash(
  contextDir: string,
  dockerfile: string,
  inputPaths?: readonly string[],
  buildArgs?: Readonly<Record<string, string>>,
): string {
  const hash = createHash("sha256");
  const entries = [...buildContextFiles(contextDir, inputPaths), dockerfile];
  for (const rel of [...new Set(entries)].sort()) {
    const path = join(contextDir, rel);
    const stat = lstatSync(path);
    const content = stat.isSymbolicLink() ? Buffer.from(`symlink:${readlinkSync(path)}`) : readFileSync(path);
    const executable = (stat.mode & 0o111) !== 0 ? "x" : "-";
    hash.update(`${rel}\0${executable}\0${createHash("sha256").update(content).digest("hex")}\n`);
  }
  // After the files, under a name no relative path can have: no args hash as before.
  for (const [name, value] of Object.entries(buildArgs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`\0build-arg\0${name}\0${value}\n`);
  }
  return hash.digest("hex");
}

// ---------------------------------------------------------------------------------------------

// One Docker provider per stack: a second built image in the same stack reuses it.
const dockerProviders = new WeakMap<TerraformStack, DockerProvider>();

/** An image reference for a task definition, built and pushed by Terraform or taken as given. */
export class ContainerImage extends Construct {
  /** What the task definition's `image` should be. */
  readonly imageUri: string;
  /** Hash of the build inputs (build source only). */
  readonly contentHash?: string;
  /** The `vYYYYMMDD-HHMMSS` tag pushed with this build (build source only). */
  readonly versionTag?: string;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    const source = props.source;
    const repositoryUrl = props.repository.repositoryUrl;
    if (source.source === "ecr") {
      // A moving tag here does not roll the service; push a new tag and change the config.
      this.imageUri = `${repositoryUrl}:${source.tag}`;
      return;
    }
    if (source.source === "uri") {
      this.imageUri = `${source.uri}:${source.tag}`;
      return;
    }

    const contextDir = resolve(props.basePath, source.context);
    const dockerfile = relative(contextDir, resolve(props.basePath, source.dockerfile)).split(sep).join("/");
    if (dockerfile.startsWith("../")) {
      throw new Error(
        `ContainerImage ${id}: source.dockerfile "${source.dockerfile}" is outside source.context "${source.context}"`,
      );
    }
    const buildArgs = props.buildArgs ?? {};
    const contentHash = buildContentHash(contextDir, dockerfile, props.inputPaths, buildArgs);
    this.contentHash = contentHash;

    const stack = TerraformStack.of(this);
    let docker = dockerProviders.get(stack);
    if (!docker) {
      // The 12-hour registry credential is read as an ephemeral resource, like the generated
      // passwords (modules/generated-secret.ts, the same addOverride escape hatch): Terraform
      // reads it anew in every run and writes it into neither the plan nor the state, and a
      // provider block may reference it. The data source it replaces was stored in the state.
      // It takes no registry id: the token is the caller's, for the account's default registry,
      // where the stack creates the repository.
      stack.addOverride(`ephemeral.aws_ecr_authorization_token.${ECR_TOKEN}`, {});
      const token = (attribute: string) =>
        Token.asString(ref(`ephemeral.aws_ecr_authorization_token.${ECR_TOKEN}.${attribute}`, stack));
      docker = new DockerProvider(stack, "docker", {
        registryAuth: [
          {
            // proxy_endpoint is `https://<registry host>`; image names carry the bare host.
            address: Fn.replace(token("proxy_endpoint"), "https://", ""),
            username: token("user_name"),
            password: token("password"),
          },
        ],
      });
      dockerProviders.set(stack, docker);
    }

    // Build time, fixed when the inputs change: `timestamp()` is stored once and ignored after,
    // so plans without changes stay empty instead of retagging on every run.
    const builtAt = new StoredTimestamp(this, "built-at", { replaceWhen: { contentHash } });
    const versionTag = `v${Fn.formatdate("YYYYMMDD-hhmmss", builtAt.time)}`;
    this.versionTag = versionTag;

    // Terraform runs in <outdir>/stacks/<stack>; a relative context keeps the plan identical on
    // every machine (an absolute path would rebuild the image wherever the checkout lives elsewhere).
    const workingDirectory = resolve(App.of(this).outdir, "stacks", stack.node.id);
    const image = new Image(this, "image", {
      provider: docker,
      name: `${repositoryUrl}:${versionTag}`,
      platform: IMAGE_PLATFORM,
      buildAttribute: {
        context: relative(workingDirectory, contextDir).split(sep).join("/") || ".",
        dockerfile,
        platform: IMAGE_PLATFORM,
        ...(Object.keys(buildArgs).length > 0 ? { buildArgs: { ...buildArgs } } : {}),
        tag: [`${repositoryUrl}:${LATEST_TAG}`],
      },
      // Rebuilt when the hashed inputs change, not on every plan.
      triggers: { contentHash },
      keepLocally: true,
    });

    // Pushes are keyed on the content hash, not the local image id: deploying the same commit
    // from another machine rebuilds locally but pushes nothing (the timestamp tag is immutable).
    // keep_remotely: replaced images stay in ECR for rollback; its lifecycle policy prunes them.
    const pushed = new RegistryImage(this, "push-version", {
      provider: docker,
      name: image.name,
      keepRemotely: true,
      triggers: { contentHash },
    });
    new RegistryImage(this, "push-latest", {
      provider: docker,
      name: `${repositoryUrl}:${LATEST_TAG}`,
      keepRemotely: true,
      triggers: { contentHash },
      dependsOn: [image],
    });
    this.imageUri = `${repositoryUrl}@${pushed.sha256Digest}`;
  }
}
