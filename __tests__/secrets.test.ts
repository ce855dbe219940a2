import { ENVIRONMENTS } from "../config/schema";
import { synthEnvironment } from "./helpers";
import { findLiteralSecrets } from "./secret-scan";

/**
 * Every synthesized stack of every environment, as [environment/stack, parsed JSON]: the ones
 * global-setup.ts synthesized through bin/app.js, as a user would (no second synthesis here).
 */
function everyStack(): [string, unknown][] {
  return ENVIRONMENTS.flatMap((environment) => {
    const env = synthEnvironment(environment);
    return env.stackIds.map((stack) => [`${environment}/${stack}`, env.stack(stack)] as [string, unknown]);
  });
}

describe("no literal secret in the synthesized output", () => {
  const stacks = everyStack();

  it("covers every stack of every environment", () => {
    expect(stacks.length).toBe(ENVIRONMENTS.length * 5);
  });

  it.each(stacks)("%s holds no password, key or credentialed connection string", (_name, json) => {
    expect(findLiteralSecrets(json)).toEqual([]);
  });

  it("feeds every write-only argument from an ephemeral value, never a literal", () => {
    for (const [, json] of stacks) {
      const text = JSON.stringify(json);
      for (const match of text.matchAll(/"(\w+_wo)":"([^"]*)"/g)) {
        expect(match[2]).toContain("${ephemeral.");
      }
    }
  });

  it("reads the ECR registry credential only as an ephemeral value: the data source would store it in the state", () => {
    const builders = stacks.filter(([, json]) => JSON.stringify(json).includes('"aws_ecr_authorization_token"'));
    // The Airflow image is built and pushed in every environment (config airflow.image.source "build").
    expect(builders.map(([name]) => name)).toEqual(ENVIRONMENTS.map((environment) => `${environment}/airflow`));
    for (const [, json] of builders) {
      const { data, ephemeral } = json as { data?: Record<string, unknown>; ephemeral?: Record<string, unknown> };
      expect(data?.aws_ecr_authorization_token).toBeUndefined();
      expect(ephemeral?.aws_ecr_authorization_token).toBeDefined();
    }
  });
});

describe("the secret scanner", () => {
  it("finds a literal password, a literal secret key and a URL with a literal password", () => {
    const planted = {
      resource: {
        aws_db_instance: { db: { password: "hunter2hunter2" } },
        aws_ssm_parameter: { key: { name: "/x/secret-key", value_wo: "s3cr3tValue99" } },
        aws_ecs_task_definition: {
          t: {
            container_definitions: '[{"environment":[{"name":"DATABASE_URL","value":"postgresql://app:pa55word@db:5432/app"}]}]',
          },
        },
      },
    };
    expect(findLiteralSecrets(planted).map((f) => f.path)).toEqual([
      "resource.aws_db_instance.db.password",
      "resource.aws_ssm_parameter.key.value_wo",
      "resource.aws_ecs_task_definition.t.container_definitions",
    ]);
  });

  it("accepts references, ARNs and connection strings built from references", () => {
    const clean = {
      password_wo: "${ephemeral.aws_secretsmanager_random_password.db.random_password}",
      secret_arn: "arn:aws:ssm:us-east-1:123456789012:parameter/x",
      value_wo:
        "postgresql+psycopg2://${aws_db_instance.db.username}:${ephemeral.x.y.random_password}@${aws_db_instance.db.address}:5432/${aws_db_instance.db.db_name}?sslmode=require",
    };
    expect(findLiteralSecrets(clean)).toEqual([]);
  });
});
