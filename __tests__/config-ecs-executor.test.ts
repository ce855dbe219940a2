import { loadConfig } from "../config/load";
import { ENVIRONMENTS, type EnvironmentName } from "../config/schema";
import { configProblemsAfter } from "./helpers";

/** The environment's file with `edit` applied to its `airflow` object, validated; the problem lines ([] when valid). */
const problemsAfter = (environment: EnvironmentName, edit: (airflow: Record<string, unknown>) => void) =>
  configProblemsAfter(environment, (raw) => edit(raw.airflow));

describe("airflow.executor", () => {
  it("defaults to LocalExecutor everywhere, with worker settings that fit the five DAGs", () => {
    for (const environment of ENVIRONMENTS) {
      const config = loadConfig(environment);
      expect(config.airflow.executor).toBe("LocalExecutor");
      expect(config.airflow.ecsExecutor).toEqual({ worker: { cpu: 512, memoryMiB: 1024, capacityProvider: "FARGATE" } });
      expect(config.costAssumptions.ecsWorkerTaskMinutes).toBe(2);
    }
  });

  it("accepts the ECS executor on the Airflow 3 line", () => {
    expect(
      problemsAfter("production", (airflow) => {
        airflow.executor = "AwsEcsExecutor";
        airflow.ecsExecutor = { worker: { cpu: 256, memoryMiB: 512, capacityProvider: "FARGATE_SPOT" } };
      }),
    ).toEqual([]);
  });

  it("refuses the ECS executor on the 2.8 line, saying it needs the Airflow 3 line", () => {
    expect(
      problemsAfter("hackathon", (airflow) => {
        airflow.executor = "AwsEcsExecutor";
      }),
    ).toEqual([
      'airflow.executor: the ECS executor needs the Airflow 3 line (Execution API), and airflow.line is "2.8" (got "AwsEcsExecutor"; expected "LocalExecutor", or airflow.line "3.3")',
    ]);
  });

  it("names the executors it knows", () => {
    expect(
      problemsAfter("production", (airflow) => {
        airflow.executor = "CeleryExecutor";
      }),
    ).toEqual(['airflow.executor: not an allowed value (got "CeleryExecutor"; expected "LocalExecutor", "AwsEcsExecutor")']);
  });

  it("refuses a worker size Fargate does not run and a capacity provider it does not know", () => {
    expect(
      problemsAfter("production", (airflow) => {
        airflow.executor = "AwsEcsExecutor";
        airflow.ecsExecutor = { worker: { cpu: 512, memoryMiB: 512, capacityProvider: "EC2" } };
      }),
    ).toEqual([
      'airflow.ecsExecutor.worker.capacityProvider: not an allowed value (got "EC2"; expected "FARGATE", "FARGATE_SPOT")',
      "airflow.ecsExecutor.worker.memoryMiB: not valid with cpu 512 (got 512; expected 1024, 2048, 3072 or 4096)",
    ]);
  });
});
