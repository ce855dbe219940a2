import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, parseConfig } from "../config/load";
import { type Config, ENVIRONMENTS } from "../config/schema";
import { configProblemsAfter } from "./helpers";

/** The hackathon file with `edit` applied, validated; returns the problem lines ([] when valid). */
const problemsAfter = (edit: (raw: Record<string, any>) => void) => configProblemsAfter("hackathon", edit);

describe("environment configuration", () => {
  it.each(ENVIRONMENTS)("loads the committed %s file", (environment) => {
    const config: Config = loadConfig(environment);
    expect(config.environment).toBe(environment);
  });

  it("names the same environments as the make and shell lists that synthesize them all", () => {
    const read = (path: string) => readFileSync(join(__dirname, "..", path), "utf8");
    const lists = {
      "mk/typescript.mk": /^ENVIRONMENTS := (.+)$/m.exec(read("mk/typescript.mk"))?.[1],
      "tools/cdktn/check.sh": /\$\{ENVIRONMENTS:-(.+)\}/.exec(read("tools/cdktn/check.sh"))?.[1],
    };
    for (const list of Object.values(lists)) expect(list?.split(" ")).toEqual([...ENVIRONMENTS]);
  });

  it("gives hackathon the seeds' network: us-east-1, their CIDRs and one shared NAT gateway", () => {
    const { region, network } = loadConfig("hackathon");
    expect(region).toBe("us-east-1");
    expect(network).toMatchObject({
      vpcCidr: "10.0.0.0/16",
      publicSubnetCidrs: ["10.0.1.0/24", "10.0.2.0/24"],
      privateSubnetCidrs: ["10.0.10.0/24", "10.0.11.0/24"],
      natGateways: "single",
    });
  });

  it("gives learner-lab seed 002's constraints: no NAT, public task subnets, LabRole", () => {
    const config = loadConfig("learner-lab");
    expect(config.network.natGateways).toBe("none");
    expect(config.airflow.taskSubnets).toBe("public");
    expect(config.videoPipeline.taskSubnets).toBe("public");
    expect(config.iam).toEqual({ mode: "existing-role", roleName: "LabRole" });
  });

  it("gives production a NAT per AZ, private tasks and protected Multi-AZ databases", () => {
    const config = loadConfig("production");
    expect(config.network.natGateways).toBe("one-per-az");
    expect([config.airflow.taskSubnets, config.videoPipeline.taskSubnets]).toEqual(["private", "private"]);
    for (const db of [config.data.airflowDatabase, config.data.videoDatabase]) {
      expect(db).toMatchObject({ multiAz: true, backupRetentionDays: 7, deletionProtection: true, finalSnapshot: true });
    }
  });

  it("accepts the committed file unchanged", () => {
    expect(problemsAfter(() => {})).toEqual([]);
  });

  it("rejects an invalid CIDR, naming the field, the value and what is allowed", () => {
    expect(problemsAfter((c) => (c.network.vpcCidr = "10.0.0.0/33"))).toEqual([
      'network.vpcCidr: not an IPv4 CIDR block (got "10.0.0.0/33"; expected an IPv4 network such as 10.0.0.0/16)',
    ]);
  });

  it("rejects a subnet outside the VPC", () => {
    expect(problemsAfter((c) => (c.network.privateSubnetCidrs[1] = "10.1.11.0/24"))).toEqual([
      'network.privateSubnetCidrs[1]: outside the VPC (got "10.1.11.0/24"; expected a block inside 10.0.0.0/16)',
    ]);
  });

  it("rejects overlapping subnets, naming the one overlapped", () => {
    expect(problemsAfter((c) => (c.network.privateSubnetCidrs[0] = "10.0.0.0/22"))).toEqual([
      'network.privateSubnetCidrs[0]: overlaps network.publicSubnetCidrs[0] (got "10.0.0.0/22"; expected a block disjoint from 10.0.1.0/24)',
    ]);
  });

  it("rejects a subnet whose host bits are set", () => {
    expect(problemsAfter((c) => (c.network.publicSubnetCidrs[0] = "10.0.1.7/24"))).toEqual([
      'network.publicSubnetCidrs[0]: host bits are set (the network is 10.0.1.0/24) (got "10.0.1.7/24"; expected an IPv4 network such as 10.0.1.0/24)',
    ]);
  });

  it("rejects fewer than two availability zones", () => {
    const problems = problemsAfter((c) => {
      c.network.availabilityZones = ["us-east-1a"];
      c.network.publicSubnetCidrs = ["10.0.1.0/24"];
      c.network.privateSubnetCidrs = ["10.0.10.0/24"];
    });
    expect(problems).toEqual([
      'network.availabilityZones: fewer than two availability zones (got ["us-east-1a"]; expected at least 2)',
    ]);
  });

  it("rejects an unknown key, listing the keys allowed there", () => {
    const [problem] = problemsAfter((c) => (c.network.natGateway = "single"));
    expect(problem).toMatch(/^network\.natGateway: unknown key \(got "natGateway"; expected one of vpcCidr, .*natGateways.*\)$/);
  });

  it("rejects wrong types and bad enum values", () => {
    expect(
      problemsAfter((c) => {
        c.airflow.webserver.cpu = "512";
        c.network.natGateways = "two";
        delete c.region;
      }),
    ).toEqual([
      "region: missing (got nothing; expected string)",
      'network.natGateways: not an allowed value (got "two"; expected "none", "single", "one-per-az")',
      'airflow.webserver.cpu: wrong type (got "512"; expected 256, 512, 1024, 2048, 4096, 8192, 16384)',
    ]);
  });

  it("rejects a CPU/memory pair Fargate does not offer, listing the valid memory", () => {
    expect(problemsAfter((c) => (c.airflow.webserver.memoryMiB = 3000))).toEqual([
      "airflow.webserver.memoryMiB: not valid with cpu 512 (got 3000; expected 1024, 2048, 3072 or 4096)",
    ]);
  });

  it("rejects a queue visibility timeout shorter than the worker's longest job", () => {
    expect(problemsAfter((c) => (c.data.videoQueue.visibilityTimeoutSeconds = 600))).toEqual([
      "data.videoQueue.visibilityTimeoutSeconds: shorter than the worker's longest job: a message would reappear while its video is still processing (got 600; expected at least videoPipeline.worker.jobTimeoutSeconds (1200))",
    ]);
  });

  it("rejects private task subnets when there is no NAT gateway", () => {
    expect(problemsAfter((c) => (c.network.natGateways = "none"))).toEqual([
      'airflow.taskSubnets: private subnets have no route to ECR or AWS APIs without a NAT gateway (got "private"; expected network.natGateways "single" or "one-per-az", or taskSubnets "public")',
    ]);
  });

  it("rejects database monitoring where no IAM role may be created", () => {
    const raw = JSON.parse(readFileSync(join(__dirname, "..", "config", "learner-lab.json"), "utf8"));
    raw.data.videoDatabase.monitoring = true;
    expect(() => parseConfig(JSON.stringify(raw), "config/learner-lab.json", "learner-lab")).toThrow(
      'data.videoDatabase.monitoring: Enhanced Monitoring needs a role this project creates, and iam.mode forbids creating one (got true; expected false, or iam.mode "create")',
    );
  });

  it("rejects an image build context or Dockerfile that does not exist", () => {
    expect(
      problemsAfter((c) => {
        c.airflow.image.dockerfile = "docker/airflow/Dockerfil";
        c.videoPipeline.image = { source: "build", context: "../no-such-app", dockerfile: "../no-such-app/Dockerfile" };
      }),
    ).toEqual([
      'airflow.image.dockerfile: no such file (got "docker/airflow/Dockerfil"; expected a Dockerfile, relative to the repository root)',
      'videoPipeline.image.context: no such folder (got "../no-such-app"; expected a folder, relative to the repository root)',
      'videoPipeline.image.dockerfile: no such file (got "../no-such-app/Dockerfile"; expected a Dockerfile, relative to the repository root)',
    ]);
  });

  it("rejects an unknown image source, listing the known ones", () => {
    expect(problemsAfter((c) => (c.videoPipeline.image = { source: "git" }))).toEqual([
      'videoPipeline.image.source: not an allowed value (got "git"; expected "build", "ecr", "uri")',
    ]);
  });

  it("reports every mistake at once", () => {
    const problems = problemsAfter((c) => {
      c.netwrk = {};
      c.network.privateSubnetCidrs[1] = "192.168.0.0/24";
      c.airflow.scheduler.memoryMiB = 512;
      c.data.videoQueue.maxReceiveCount = "3";
    });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "airflow.scheduler.memoryMiB",
      "data.videoQueue.maxReceiveCount",
      "network.privateSubnetCidrs[1]",
      "netwrk",
    ]);
  });

  it("rejects a file whose environment field disagrees with its name", () => {
    expect(problemsAfter((c) => (c.environment = "production"))).toEqual([
      'environment: does not match the file name (got "production"; expected "hackathon")',
    ]);
  });

  it("rejects malformed JSON with the line and column", () => {
    expect(() => parseConfig('{\n  "region": "us-east-1",\n}\n', "config/hackathon.json", "hackathon")).toThrow(
      /\(root\): malformed JSON at line 3, column 1 \(got "}\\n"; expected a JSON object/,
    );
  });

  it("rejects an unknown environment name", () => {
    expect(() => loadConfig("staging")).toThrow(
      'DEPLOY_ENV: unknown environment (got "staging"; expected hackathon, learner-lab, production)',
    );
  });
});
