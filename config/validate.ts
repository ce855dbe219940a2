/**
 * Checks that span several fields (CIDR arithmetic, Fargate sizes, placement vs NAT) and that a
 * JSON Schema cannot express. Each problem names its path, the value given and what is allowed.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import ipaddr from "ipaddr.js";
import { fargateSizeProblem } from "../modules/fargate-sizes";
import { AIRFLOW_LINES } from "./airflow-lines";
import type { Config } from "./schema";

export interface ConfigProblem {
  readonly path: string;
  readonly problem: string;
  readonly got: unknown;
  readonly expected: string;
}

type Cidr = { readonly text: string; readonly address: ipaddr.IPv4; readonly prefix: number };

function parseCidr(text: string): Cidr | string {
  if (!ipaddr.IPv4.isValidCIDR(text)) return "not an IPv4 CIDR block";
  const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== address.toString()) return `host bits are set (the network is ${network}/${prefix})`;
  return { text, address, prefix };
}

const contains = (outer: Cidr, inner: Cidr): boolean =>
  inner.prefix >= outer.prefix && inner.address.match(outer.address, outer.prefix);
const overlaps = (a: Cidr, b: Cidr): boolean => contains(a, b) || contains(b, a);

type Report = (path: string, problem: string, got: unknown, expected: string) => void;

/** An image that provider-docker builds needs its build context and Dockerfile on this machine. */
function checkImageSources(config: Config, report: Report, projectRoot: string): void {
  for (const system of ["airflow", "videoPipeline"] as const) {
    const image = config[system].image;
    if (image.source !== "build") continue;
    const context = resolve(projectRoot, image.context);
    if (!existsSync(context) || !statSync(context).isDirectory()) {
      report(`${system}.image.context`, "no such folder", image.context, "a folder, relative to the repository root");
    }
    if (!existsSync(resolve(projectRoot, image.dockerfile))) {
      report(`${system}.image.dockerfile`, "no such file", image.dockerfile, "a Dockerfile, relative to the repository root");
    }
  }
}

/**
 * Runs every cross-field check on a config that may still hold schema errors elsewhere, so that
 * one run reports all mistakes. A check whose inputs are malformed is skipped: the schema already
 * reported those fields.
 */
export function crossFieldProblems(config: Config, projectRoot: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const report: Report = (path, problem, got, expected) => problems.push({ path, problem, got, expected });
  const checks = [
    checkNetwork,
    checkPlacement,
    checkTaskSizes,
    checkCapacities,
    checkQueue,
    checkIam,
    checkImageSources,
    checkAirflowLine,
    checkEcsExecutor,
  ];
  for (const check of checks) {
    try {
      check(config, report, projectRoot);
    } catch {
      // A field this check reads has the wrong shape; the schema's own message covers it.
    }
  }
  return problems;
}

function checkNetwork(config: Config, report: Report): void {
  const { network } = config;
  const azCount = network.availabilityZones.length;
  if (azCount < 2) {
    report("network.availabilityZones", "fewer than two availability zones", network.availabilityZones, "at least 2");
  }
  if (new Set(network.availabilityZones).size !== azCount) {
    report("network.availabilityZones", "an availability zone is listed twice", network.availabilityZones, "distinct zones");
  }
  network.availabilityZones.forEach((az, i) => {
    if (typeof config.region === "string" && !az.startsWith(config.region)) {
      report(`network.availabilityZones[${i}]`, `not in region ${config.region}`, az, `a zone of ${config.region}`);
    }
  });

  const vpc = parseCidr(network.vpcCidr);
  if (typeof vpc === "string") report("network.vpcCidr", vpc, network.vpcCidr, "an IPv4 network such as 10.0.0.0/16");
  else if (vpc.prefix < 16 || vpc.prefix > 28) report("network.vpcCidr", "prefix out of range", network.vpcCidr, "/16 to /28");

  const subnets: { path: string; cidr: Cidr }[] = [];
  for (const key of ["publicSubnetCidrs", "privateSubnetCidrs"] as const) {
    const list = network[key];
    if (azCount >= 2 && list.length !== azCount) {
      report(`network.${key}`, "one subnet per availability zone is required", list, `${azCount} CIDR blocks`);
    }
    for (const [i, text] of list.entries()) {
      const path = `network.${key}[${i}]`;
      const parsed = parseCidr(text);
      const clash = typeof parsed === "string" ? undefined : subnets.find((other) => overlaps(other.cidr, parsed));
      if (typeof parsed === "string") report(path, parsed, text, "an IPv4 network such as 10.0.1.0/24");
      else if (typeof vpc !== "string" && !contains(vpc, parsed)) {
        report(path, "outside the VPC", text, `a block inside ${network.vpcCidr}`);
      } else if (clash) report(path, `overlaps ${clash.path}`, text, `a block disjoint from ${clash.cidr.text}`);
      else subnets.push({ path, cidr: parsed });
    }
  }
}

function checkPlacement(config: Config, report: Report): void {
  const { network } = config;
  const systems = [
    ["airflow", config.airflow.taskSubnets],
    ["videoPipeline", config.videoPipeline.taskSubnets],
  ] as const;
  for (const [system, placement] of systems) {
    if (placement === "private" && network.natGateways === "none") {
      report(
        `${system}.taskSubnets`,
        "private subnets have no route to ECR or AWS APIs without a NAT gateway",
        placement,
        'network.natGateways "single" or "one-per-az", or taskSubnets "public"',
      );
    }
  }
}

function checkTaskSizes(config: Config, report: Report): void {
  const sizes = [
    ["airflow.webserver", config.airflow.webserver],
    ["airflow.scheduler", config.airflow.scheduler],
    ["airflow.dagProcessor", config.airflow.dagProcessor],
    ["airflow.triggerer", config.airflow.triggerer],
    ["airflow.ecsExecutor.worker", config.airflow.ecsExecutor?.worker],
    ["videoPipeline.web", config.videoPipeline.web],
    ["videoPipeline.worker", config.videoPipeline.worker],
  ] as const;
  for (const [path, size] of sizes) {
    if (size === undefined) continue;
    const problem = fargateSizeProblem(size.cpu, size.memoryMiB);
    if (problem?.startsWith("memory")) {
      const expected = problem.slice(problem.indexOf("(expected ") + 10, -1);
      report(`${path}.memoryMiB`, `not valid with cpu ${size.cpu}`, size.memoryMiB, expected);
    }
  }
}

/** The 3.x-only processes are sized exactly when the line runs them. */
function checkAirflowLine(config: Config, report: Report): void {
  const { line } = config.airflow;
  const spec = AIRFLOW_LINES[line];
  if (!spec) return; // the schema names the allowed lines
  const components = [
    ["dagProcessor", "dag-processor"],
    ["triggerer", "triggerer"],
  ] as const;
  for (const [key, component] of components) {
    const runs = (spec.extraComponents as readonly string[]).includes(component);
    const size = config.airflow[key];
    if (runs && size === undefined) {
      report(`airflow.${key}`, `missing: the ${line} line runs a ${component}`, size, "{ cpu, memoryMiB, capacityProvider }");
    } else if (!runs && size !== undefined) {
      report(
        `airflow.${key}`,
        `the ${line} line runs no ${component}`,
        size,
        `no airflow.${key}, or airflow.line ${Object.entries(AIRFLOW_LINES)
          .filter(([, s]) => (s.extraComponents as readonly string[]).includes(component))
          .map(([l]) => `"${l}"`)
          .join(" or ")}`,
      );
    }
  }
}

function checkCapacities(config: Config, report: Report): void {
  const capacities = [
    ["airflow.webserver.autoscaling", config.airflow.webserver.autoscaling],
    ["videoPipeline.web.autoscaling", config.videoPipeline.web.autoscaling],
    ["videoPipeline.worker", config.videoPipeline.worker],
  ] as const;
  for (const [path, c] of capacities) {
    if (c.minCapacity > c.maxCapacity) {
      report(`${path}.minCapacity`, "greater than maxCapacity", c.minCapacity, `at most ${c.maxCapacity}`);
    }
  }
}

function checkQueue(config: Config, report: Report): void {
  const queue = config.data.videoQueue;
  const job = config.videoPipeline.worker.jobTimeoutSeconds;
  if (queue.visibilityTimeoutSeconds < job) {
    report(
      "data.videoQueue.visibilityTimeoutSeconds",
      "shorter than the worker's longest job: a message would reappear while its video is still processing",
      queue.visibilityTimeoutSeconds,
      `at least videoPipeline.worker.jobTimeoutSeconds (${job})`,
    );
  }
}

function checkIam(config: Config, report: Report): void {
  if (config.environment === "learner-lab" && config.iam.mode !== "existing-role") {
    report("iam.mode", "AWS Academy Learner Lab forbids creating IAM roles", config.iam.mode, '"existing-role"');
  }
  for (const db of ["airflowDatabase", "videoDatabase"] as const) {
    if (config.data[db].monitoring && config.iam.mode !== "create") {
      report(
        `data.${db}.monitoring`,
        "Enhanced Monitoring needs a role this project creates, and iam.mode forbids creating one",
        true,
        'false, or iam.mode "create"',
      );
    }
  }
}

/**
 * The ECS executor's workers run `airflow.sdk.execution_time.execute_workload` and report to the
 * Execution API, which only the 3.x api-server serves; on 2.x the provider would start them with
 * the `airflow tasks run` command, which needs the metadata database in every worker.
 */
function checkEcsExecutor(config: Config, report: Report): void {
  const { executor, line } = config.airflow;
  if (executor !== "AwsEcsExecutor" || AIRFLOW_LINES[line] === undefined) return;
  if (AIRFLOW_LINES[line].uiCommand !== "api-server") {
    const lines = Object.entries(AIRFLOW_LINES)
      .filter(([, spec]) => spec.uiCommand === "api-server")
      .map(([name]) => `"${name}"`)
      .join(" or ");
    report(
      "airflow.executor",
      `the ECS executor needs the Airflow 3 line (Execution API), and airflow.line is "${line}"`,
      executor,
      `"LocalExecutor", or airflow.line ${lines}`,
    );
  }
}
