import { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { type PolicyStatement, ServiceRole } from "./service-role";

const ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com";
const kebabCase = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The name of the role TaskRoles creates for a purpose, `<namePrefix>-<purpose in kebab case>`:
 * known before the role exists, for policies elsewhere that must name it (and cannot reference it).
 */
export function taskRoleName(namePrefix: string, purpose: string): string {
  return `${namePrefix}-${kebabCase(purpose)}`;
}

export interface TaskRolesProps<Purpose extends string> {
  /** Start of every role's name: `<namePrefix>-<purpose in kebab case>`. */
  readonly namePrefix: string;
  /** The permissions of each role, by purpose, e.g. `{ execution: [...], webTask: [...] }`. */
  readonly policies: Readonly<Record<Purpose, readonly PolicyStatement[]>>;
  /**
   * Borrow this one role for every purpose (AWS Academy's `LabRole`): no IAM resource is created,
   * and the role's documented statements are all the purposes' statements together.
   * @default - one new role per purpose
   */
  readonly existingRoleName?: string;
}

/** The IAM roles of a system's ECS tasks: execution and task roles, created or borrowed. */
export class TaskRoles<Purpose extends string> extends Construct {
  readonly roles: Readonly<Record<Purpose, ServiceRole>>;
  /**
   * Every IAM resource of the roles (none when borrowed). Services depend on them: a task started
   * before its role's inline policy exists fails to pull its image or read its secrets and trips
   * the circuit breaker on the first deploy.
   */
  readonly iamResources: readonly TerraformResource[];
  /** One borrowed role serves every purpose (execution and task roles alike). */
  readonly borrowed: boolean;

  constructor(scope: Construct, id: string, props: TaskRolesProps<Purpose>) {
    super(scope, id);
    const purposes = Object.keys(props.policies) as Purpose[];
    this.borrowed = props.existingRoleName !== undefined;
    const role = (roleId: string, name: string, statements: readonly PolicyStatement[]) =>
      new ServiceRole(this, roleId, {
        name,
        assumedBy: ECS_TASKS_PRINCIPAL,
        statements,
        existingRoleName: props.existingRoleName,
      });
    if (props.existingRoleName) {
      const all = purposes.flatMap((purpose) => props.policies[purpose]);
      const shared = role(
        "existing-role",
        props.existingRoleName,
        all.filter((statement, i) => all.findIndex((other) => other.sid === statement.sid) === i),
      );
      this.roles = Object.fromEntries(purposes.map((purpose) => [purpose, shared])) as Record<Purpose, ServiceRole>;
    } else {
      this.roles = Object.fromEntries(
        purposes.map((purpose) => [
          purpose,
          role(`${kebabCase(purpose)}-role`, taskRoleName(props.namePrefix, purpose), props.policies[purpose]),
        ]),
      ) as Record<Purpose, ServiceRole>;
    }
    this.iamResources = this.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);
  }
}
