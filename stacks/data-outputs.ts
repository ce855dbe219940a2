/**
 * What the data stack gives the compute stacks. Values are Terraform references (cdktf turns
 * them into cross-stack outputs); the compute stacks never look anything up by name.
 */

export interface DatabaseOutputs {
  /** Host name of the instance. */
  readonly address: string;
  readonly port: number;
  readonly databaseName: string;
  readonly username: string;
  /** Instance identifier, for CloudWatch dimensions. */
  readonly identifier: string;
}

/** Where a system's load balancer writes its access logs, when the environment keeps them. */
export interface LoadBalancerLogsOutputs {
  readonly bucket: string;
  /** Key prefix for this system's load balancer. */
  readonly prefix: string;
}

/** A secret an ECS task receives through `secrets` (valueFrom = SSM parameter ARN). */
export interface SecretParameter {
  /** Parameter name, e.g. `/alerta-utec-airflow/db/sql-alchemy-conn`. */
  readonly name: string;
  readonly arn: string;
}

export interface AirflowDataOutputs {
  readonly database: DatabaseOutputs;
  readonly efs: {
    readonly fileSystemId: string;
    readonly fileSystemArn: string;
    readonly dagsAccessPointId: string;
    readonly dagsAccessPointArn: string;
    readonly logsAccessPointId: string;
    readonly logsAccessPointArn: string;
  };
  /** Logs and backups bucket (seed 000 section 7). */
  readonly logsBucket: { readonly name: string; readonly arn: string };
  /** @default - the load balancer keeps no access logs */
  readonly loadBalancerLogs?: LoadBalancerLogsOutputs;
  readonly incidentsTable: {
    readonly name: string;
    readonly arn: string;
    /** Sparse index of incidents waiting for classification (docs/CONTRACTS.md). */
    readonly classificationIndexName: string;
    /** Sparse index of classified incidents waiting for notification. */
    readonly notificationIndexName: string;
  };
  /** One SNS topic per priority. */
  readonly topicArns: { readonly high: string; readonly medium: string; readonly low: string };
  readonly reports: {
    readonly senderAddress: string;
    readonly recipientAddress: string;
    /** SES identity ARN, for ses:SendEmail's resource. */
    readonly senderIdentityArn: string;
    /** The recipient's SES identity: in the SES sandbox, sending is authorized against it too. */
    readonly recipientIdentityArn: string;
  };
  /** SecureString parameters injected as ECS secrets. */
  readonly secrets: {
    /** Full SQLAlchemy URL -> AIRFLOW__DATABASE__SQL_ALCHEMY_CONN. */
    readonly sqlAlchemyConn: SecretParameter;
    /**
     * -> AIRFLOW__WEBSERVER__SECRET_KEY on 2.8, AIRFLOW__API__SECRET_KEY on 3.3: the same secret
     * under its 3.x name, so a line change keeps it.
     */
    readonly webserverSecretKey: SecretParameter;
    /** -> AIRFLOW_ADMIN_PASSWORD (the UI service only). */
    readonly adminPassword: SecretParameter;
    /** -> AIRFLOW__API_AUTH__JWT_SECRET. @default - none: only the 3.3 line has one */
    readonly jwtSecret?: SecretParameter;
    /** -> AIRFLOW__CORE__FERNET_KEY. @default - none: only the 3.3 line has one */
    readonly fernetKey?: SecretParameter;
  };
}

export interface VideoDataOutputs {
  readonly database: DatabaseOutputs;
  readonly bucket: { readonly name: string; readonly arn: string };
  readonly queue: {
    readonly name: string;
    readonly url: string;
    readonly arn: string;
    /** The queue's visibility timeout; the worker's SQS_VISIBILITY_TIMEOUT is this same number. */
    readonly visibilityTimeoutSeconds: number;
  };
  readonly deadLetterQueue: { readonly name: string; readonly arn: string };
  /** @default - the load balancer keeps no access logs */
  readonly loadBalancerLogs?: LoadBalancerLogsOutputs;
  readonly secrets: {
    /** -> DATABASE_URL. */
    readonly databaseUrl: SecretParameter;
    /** -> SECRET_KEY. */
    readonly secretKey: SecretParameter;
  };
}
