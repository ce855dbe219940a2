import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { Construct } from "constructs";

/** Size and protection of an instance; the environment config's `data.*Database` block. */
export interface PostgresSettings {
  readonly instanceClass: string;
  /** A major version ("15") lets RDS apply minor upgrades; "15.5" pins one. */
  readonly engineVersion: string;
  readonly allocatedStorageGiB: number;
  readonly storageType: "gp2" | "gp3";
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly finalSnapshot: boolean;
  /** Logs to CloudWatch, Performance Insights and Enhanced Monitoring (needs `monitoringRoleArn`). */
  readonly monitoring: boolean;
}

export interface PostgresDatabaseProps {
  /** RDS instance identifier; also names the subnet and parameter groups. */
  readonly identifier: string;
  readonly databaseName: string;
  readonly username: string;
  /**
   * Master password as a reference to an ephemeral value, e.g.
   * `${ephemeral.aws_secretsmanager_random_password.x.random_password}`. Sent write-only, so it
   * is kept neither in the plan nor in the state.
   */
  readonly passwordWriteOnly: string;
  /** Change it to send a new password. */
  readonly passwordVersion: number;
  /** Private subnets, at least two AZs. */
  readonly subnetIds: string[];
  readonly securityGroupId: string;
  readonly settings: PostgresSettings;
  readonly port: number;
  /**
   * Role RDS assumes to publish Enhanced Monitoring metrics; required when `settings.monitoring`.
   * @default - none
   */
  readonly monitoringRoleArn?: string;
  /** Resource tags beyond the provider's default tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A private, encrypted RDS PostgreSQL instance that only accepts TLS connections. Backups,
 * Multi-AZ and deletion protection follow the environment's settings.
 */
export class PostgresDatabase extends Construct {
  readonly instance: DbInstance;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const { settings } = props;
    if (settings.monitoring && !props.monitoringRoleArn) {
      throw new Error(`${props.identifier}: settings.monitoring needs monitoringRoleArn (the Enhanced Monitoring role)`);
    }
    const tags = props.tags ? { ...props.tags } : undefined;
    const subnetGroup = new DbSubnetGroup(this, "subnets", {
      name: props.identifier,
      subnetIds: props.subnetIds,
      tags,
    });
    const major = settings.engineVersion.split(".")[0];
    const parameters = new DbParameterGroup(this, "parameters", {
      name: `${props.identifier}-postgres${major}`,
      family: `postgres${major}`,
      // PostgreSQL 15 on RDS accepts plain connections by default; clients here all speak TLS.
      parameter: [{ name: "rds.force_ssl", value: "1" }],
      tags,
      lifecycle: { createBeforeDestroy: true },
    });
    this.instance = new DbInstance(this, "instance", {
      identifier: props.identifier,
      engine: "postgres",
      engineVersion: settings.engineVersion,
      instanceClass: settings.instanceClass,
      allocatedStorage: settings.allocatedStorageGiB,
      storageType: settings.storageType,
      // Free with RDS's AWS-managed key; seed 000 turned it off "to save", which saves nothing.
      storageEncrypted: true,
      dbName: props.databaseName,
      username: props.username,
      passwordWo: props.passwordWriteOnly,
      passwordWoVersion: props.passwordVersion,
      port: props.port,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [props.securityGroupId],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      multiAz: settings.multiAz,
      backupRetentionPeriod: settings.backupRetentionDays,
      deletionProtection: settings.deletionProtection,
      skipFinalSnapshot: !settings.finalSnapshot,
      finalSnapshotIdentifier: settings.finalSnapshot ? `${props.identifier}-final` : undefined,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      ...(settings.monitoring
        ? {
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
            // Seven days is the free retention (now CloudWatch Database Insights' standard mode).
            performanceInsightsEnabled: true,
            performanceInsightsRetentionPeriod: 7,
            monitoringInterval: 60,
            monitoringRoleArn: props.monitoringRoleArn,
          }
        : {}),
      // Changes wait for the maintenance window unless this is a throwaway environment.
      applyImmediately: !settings.deletionProtection,
      tags,
    });
  }
}
