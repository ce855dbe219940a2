/**
 * The Airflow lines an environment can run (`airflow.line` in config/<environment>.json), and
 * everything that differs between them: the one place a version is written. The image is built
 * from docker/airflow/Dockerfile with `AIRFLOW_LINE` and `AIRFLOW_VERSION` as build args; the
 * pinned files of each line live under `requirements/airflow-<line>/`.
 */

/** What one Airflow line needs from the deployment. */
export interface AirflowLineSpec {
  /** apache-airflow version the image installs. */
  readonly version: string;
  /** The UI service's command: `airflow webserver` (2.x) or `airflow api-server` (3.x). */
  readonly uiCommand: "webserver" | "api-server";
  /** Path the load balancer and the container health check request on the UI service, without login. */
  readonly uiHealthPath: string;
  /**
   * Processes besides the UI and the scheduler. 3.x parses DAGs only in a separate dag-processor
   * and runs deferred tasks in a triggerer; this deployment's 2.8 runs neither (no DAG defers).
   */
  readonly extraComponents: readonly ("dag-processor" | "triggerer")[];
}

export const AIRFLOW_LINES = {
  // Seed 000's version; Airflow 2 reached end of life on 2026-04-22.
  "2.8": { version: "2.8.0", uiCommand: "webserver", uiHealthPath: "/health", extraComponents: [] },
  // GET /health answers 404 in 3.x; the monitor endpoint answers 200 without login.
  "3.3": {
    version: "3.3.2",
    uiCommand: "api-server",
    uiHealthPath: "/api/v2/monitor/health",
    extraComponents: ["dag-processor", "triggerer"],
  },
} as const satisfies Record<string, AirflowLineSpec>;

export type AirflowLine = keyof typeof AIRFLOW_LINES;
export const AIRFLOW_LINE_NAMES = Object.keys(AIRFLOW_LINES) as AirflowLine[];

/** The build args the Dockerfile takes for a line. */
export function airflowBuildArgs(line: AirflowLine): Record<string, string> {
  return { AIRFLOW_LINE: line, AIRFLOW_VERSION: AIRFLOW_LINES[line].version };
}
