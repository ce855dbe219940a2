/**
 * Who may talk to whom, for both systems: the single table the network stack turns into security
 * groups and rules, and that docs/security-groups.md shows. Nothing else in the VPC is open, egress included.
 */
import { INTERNET, type SecurityRule } from "../modules/security-group-matrix";
import { PORTS } from "./ports";

export const SECURITY_GROUPS = {
  "airflow-alb": "Airflow load balancer: HTTP(S) from the internet, to the webserver",
  "airflow-tasks": "Airflow webserver and scheduler tasks",
  "airflow-db": "Airflow metadata database (PostgreSQL)",
  "airflow-workers": "Airflow ECS executor workers, one Fargate task per task instance (airflow.executor AwsEcsExecutor)",
  efs: "EFS mount targets of the Airflow dags and logs file system",
  "video-alb": "Video pipeline load balancer: HTTP(S) from the internet, to the web service",
  "video-tasks": "Video pipeline web and worker tasks",
  "video-db": "Video pipeline database (PostgreSQL)",
} as const;
export type SecurityGroupName = keyof typeof SECURITY_GROUPS;

export interface MatrixOptions {
  /** The Airflow load balancer has an HTTPS listener. */
  readonly airflowHttps: boolean;
  /** The video load balancer has an HTTPS listener. */
  readonly videoHttps: boolean;
  /**
   * Airflow runs an api-server whose Execution API the task processes call (the 3.x line).
   * @default false
   */
  readonly airflowExecutionApi?: boolean;
  /**
   * Airflow runs its tasks as ECS executor workers (airflow.executor AwsEcsExecutor, 3.x line).
   * @default false
   */
  readonly airflowEcsWorkers?: boolean;
}

export function securityRules(options: MatrixOptions): SecurityRule[] {
  const rules: SecurityRule[] = [
    { from: INTERNET, to: "airflow-alb", port: PORTS.http, description: "HTTP from anywhere" },
    {
      from: "airflow-alb",
      to: "airflow-tasks",
      port: PORTS.airflowWebserver,
      description: "Load balancer to the Airflow webserver",
    },
    { from: "airflow-tasks", to: "airflow-db", port: PORTS.postgres, description: "Airflow to its metadata database" },
    { from: "airflow-tasks", to: "efs", port: PORTS.nfs, description: "Airflow to the dags and logs file system" },
    { from: "airflow-tasks", to: INTERNET, port: PORTS.https, description: "AWS APIs and image pulls over HTTPS" },
    { from: INTERNET, to: "video-alb", port: PORTS.http, description: "HTTP from anywhere" },
    { from: "video-alb", to: "video-tasks", port: PORTS.videoWeb, description: "Load balancer to the video web service" },
    { from: "video-tasks", to: "video-db", port: PORTS.postgres, description: "Video services to their database" },
    { from: "video-tasks", to: INTERNET, port: PORTS.https, description: "S3, SQS, AWS APIs and image pulls over HTTPS" },
  ];
  if (options.airflowHttps) {
    rules.push({ from: INTERNET, to: "airflow-alb", port: PORTS.https, description: "HTTPS from anywhere" });
  }
  if (options.airflowExecutionApi) {
    // Inside the group, not through the internet-facing ALB: tasks call the api-server by its
    // Cloud Map name. One group holds every Airflow task, so this opens 8080 between them all;
    // only the api-server listens on it.
    rules.push({
      from: "airflow-tasks",
      to: "airflow-tasks",
      port: PORTS.airflowWebserver,
      description: "Airflow task processes to the api-server's Execution API",
    });
  }
  if (options.airflowEcsWorkers) {
    // A 3.x task process reaches only the Execution API: no PostgreSQL rule (its database access
    // is blocked, airflow.sdk.execution_time.supervisor) and no EFS (the DAGs are in the image).
    rules.push(
      {
        from: "airflow-workers",
        to: "airflow-tasks",
        port: PORTS.airflowWebserver,
        description: "ECS executor workers to the api-server's Execution API",
      },
      {
        from: "airflow-workers",
        to: INTERNET,
        port: PORTS.https,
        description: "Workers to AWS APIs (DynamoDB, SNS, SES, S3, CloudWatch) and image pulls over HTTPS",
      },
    );
  }
  if (options.videoHttps) {
    rules.push({ from: INTERNET, to: "video-alb", port: PORTS.https, description: "HTTPS from anywhere" });
  }
  return rules;
}
