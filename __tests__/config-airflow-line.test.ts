import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AIRFLOW_LINE_NAMES, AIRFLOW_LINES, airflowBuildArgs } from "../config/airflow-lines";
import { ConfigError, loadConfig, loadConfigOnLine, parseConfig } from "../config/load";
import type { EnvironmentName } from "../config/schema";

const SIZE = { cpu: 256, memoryMiB: 1024, capacityProvider: "FARGATE" };

/** The environment's file with `edit` applied, validated; the problem lines ([] when valid). */
function problemsAfter(environment: EnvironmentName, edit: (airflow: Record<string, unknown>) => void): string[] {
  const raw = JSON.parse(readFileSync(join(__dirname, "..", "config", `${environment}.json`), "utf8"));
  edit(raw.airflow);
  try {
    parseConfig(JSON.stringify(raw), `config/${environment}.json`, environment);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message
      .split("\n")
      .slice(1)
      .map((line) => line.trim());
  }
}

describe("airflow.line", () => {
  it("keeps hackathon and learner-lab on seed 000's 2.8.0 and moves production to 3.3.2", () => {
    expect(loadConfig("hackathon").airflow.line).toBe("2.8");
    expect(loadConfig("learner-lab").airflow.line).toBe("2.8");
    expect(loadConfig("production").airflow.line).toBe("3.3");
    expect(airflowBuildArgs("2.8")).toEqual({ AIRFLOW_LINE: "2.8", AIRFLOW_VERSION: "2.8.0" });
    expect(airflowBuildArgs("3.3")).toEqual({ AIRFLOW_LINE: "3.3", AIRFLOW_VERSION: "3.3.2" });
  });

  it("rejects a line that does not exist, naming the allowed ones", () => {
    expect(
      problemsAfter("hackathon", (airflow) => {
        airflow.line = "3.0";
      }),
    ).toEqual(['airflow.line: not an allowed value (got "3.0"; expected "2.8", "3.3")']);
    expect(AIRFLOW_LINE_NAMES).toEqual(["2.8", "3.3"]);
  });

  it("is required, and the error names the lines", () => {
    expect(
      problemsAfter("hackathon", (airflow) => {
        delete airflow.line;
      }),
    ).toEqual(['airflow.line: not an allowed value (got nothing; expected "2.8", "3.3")']);
  });

  it("asks the 3.3 line for the sizes of its dag-processor and triggerer", () => {
    expect(
      problemsAfter("hackathon", (airflow) => {
        airflow.line = "3.3";
      }),
    ).toEqual([
      "airflow.dagProcessor: missing: the 3.3 line runs a dag-processor (got nothing; expected { cpu, memoryMiB, capacityProvider })",
      "airflow.triggerer: missing: the 3.3 line runs a triggerer (got nothing; expected { cpu, memoryMiB, capacityProvider })",
    ]);
    expect(
      problemsAfter("hackathon", (airflow) => {
        Object.assign(airflow, { line: "3.3", dagProcessor: SIZE, triggerer: SIZE });
      }),
    ).toEqual([]);
  });

  it("refuses 3.x-only sizes on the 2.8 line, which runs neither process", () => {
    expect(
      problemsAfter("hackathon", (airflow) => {
        Object.assign(airflow, { dagProcessor: SIZE, triggerer: SIZE });
      }),
    ).toEqual([
      `airflow.dagProcessor: the 2.8 line runs no dag-processor (got ${JSON.stringify(SIZE)}; expected no airflow.dagProcessor, or airflow.line "3.3")`,
      `airflow.triggerer: the 2.8 line runs no triggerer (got ${JSON.stringify(SIZE)}; expected no airflow.triggerer, or airflow.line "3.3")`,
    ]);
  });

  it("checks the 3.x processes' Fargate sizes like the others", () => {
    expect(
      problemsAfter("production", (airflow) => {
        airflow.triggerer = { ...SIZE, memoryMiB: 3000 };
      }),
    ).toEqual(["airflow.triggerer.memoryMiB: not valid with cpu 256 (got 3000; expected 512, 1024 or 2048)"]);
  });
});

describe("loadConfigOnLine (make cost COMPARE=<environment>@<line>)", () => {
  it("prices production on 2.8: the line changes and the 3.x-only sizes go", () => {
    const config = loadConfigOnLine("production", "2.8");
    expect(config.airflow.line).toBe("2.8");
    expect(config.airflow).not.toHaveProperty("dagProcessor");
    expect(config.airflow).not.toHaveProperty("triggerer");
    // Everything else is production's own.
    const { dagProcessor, triggerer, ...rest } = loadConfig("production").airflow;
    expect(dagProcessor).toBeDefined();
    expect(triggerer).toBeDefined();
    expect(config).toEqual({ ...loadConfig("production"), airflow: { ...rest, line: "2.8" } });
  });

  it("reports an unknown line, and a 3.3 line without sizes, as config errors", () => {
    expect(() => loadConfigOnLine("production", "4.0")).toThrow(
      /airflow\.line: not an allowed value \(got "4\.0"; expected "2\.8", "3\.3"\)/,
    );
    expect(() => loadConfigOnLine("hackathon", "3.3")).toThrow(/with airflow\.line "3\.3":\n {2}airflow\.dagProcessor: missing/);
  });

  it("knows every line the version map names", () => {
    for (const line of AIRFLOW_LINE_NAMES) expect(AIRFLOW_LINES[line].version.startsWith(`${line}.`)).toBe(true);
  });
});

describe("the version map against the image's files", () => {
  const root = join(__dirname, "..");

  it("is what the Dockerfile builds by default: the 2.8 line", () => {
    const dockerfile = readFileSync(join(root, "docker", "airflow", "Dockerfile"), "utf8");
    expect(/^ARG AIRFLOW_VERSION=(\S+)$/m.exec(dockerfile)?.[1]).toBe(AIRFLOW_LINES["2.8"].version);
  });

  it("pins each line's apache-airflow in requirements/airflow-<line>/constraints.txt at the map's version", () => {
    const folders = readdirSync(join(root, "requirements")).filter((name) =>
      existsSync(join(root, "requirements", name, "constraints.txt")),
    );
    // Every line has its pinned folder and no folder is left without a line.
    expect(folders.sort()).toEqual(AIRFLOW_LINE_NAMES.map((line) => `airflow-${line}`).sort());
    for (const line of AIRFLOW_LINE_NAMES) {
      const constraints = readFileSync(join(root, "requirements", `airflow-${line}`, "constraints.txt"), "utf8");
      expect(/^apache-airflow==(\S+)$/m.exec(constraints)?.[1]).toBe(AIRFLOW_LINES[line].version);
    }
  });
});
