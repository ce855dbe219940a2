/**
 * Fargate's valid task sizes (Linux), from the ECS developer guide's "Task CPU and memory" table.
 * Used by the config validator and by FargateService, so an invalid pair is refused in one way.
 */
export const FARGATE_CPU_UNITS = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;
export type FargateCpu = (typeof FARGATE_CPU_UNITS)[number];

const range = (fromMiB: number, toMiB: number, stepMiB: number): number[] => {
  const values: number[] = [];
  for (let v = fromMiB; v <= toMiB; v += stepMiB) values.push(v);
  return values;
};

export const FARGATE_MEMORY_BY_CPU: Readonly<Record<FargateCpu, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

export function isFargateCpu(cpu: number): cpu is FargateCpu {
  return (FARGATE_CPU_UNITS as readonly number[]).includes(cpu);
}

/** Human list of the memory values Fargate accepts with this CPU, e.g. "1024, 2048, 3072 or 4096". */
export function describeValidMemory(cpu: FargateCpu): string {
  const values = FARGATE_MEMORY_BY_CPU[cpu];
  if (values.length <= 8) return `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
  const step = values[1] - values[0];
  return `${values[0]} to ${values.at(-1)} in steps of ${step}`;
}

/** Returns a problem description, or undefined when Fargate accepts the pair. */
export function fargateSizeProblem(cpu: number, memoryMiB: number): string | undefined {
  if (!isFargateCpu(cpu)) return `cpu ${cpu} is not a Fargate size (expected ${FARGATE_CPU_UNITS.join(", ")})`;
  if (FARGATE_MEMORY_BY_CPU[cpu].includes(memoryMiB)) return undefined;
  return `memory ${memoryMiB} is not valid with cpu ${cpu} (expected ${describeValidMemory(cpu)})`;
}
