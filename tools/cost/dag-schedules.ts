/**
 * How many task instances the DAGs start in a week, read from the DAG files themselves
 * (`schedule=` and the `@task` functions of each file in dags/), for pricing the ECS executor's
 * workers: one Fargate task per task instance. Cron expressions are counted minute by minute
 * over one week; a schedule this reader does not understand is an error, not a guess.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface DagSchedule {
  /** The DAG file, relative to dags/. */
  readonly file: string;
  readonly schedule: string;
  readonly runsPerWeek: number;
  /** `@task` functions in the file: each run starts this many task instances. */
  readonly tasksPerRun: number;
}

const PRESETS: Readonly<Record<string, string>> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@weekly": "0 0 * * 0",
};
const MINUTES_PER_WEEK = 7 * 24 * 60;

/** Does `value` match one cron field (`*`, `*\/n`, `a`, `a-b`, `a-b/n`, and lists of them)? */
function fieldMatches(field: string, value: number): boolean {
  return field.split(",").some((part) => {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    const [low, high] = range === "*" ? [0, Number.POSITIVE_INFINITY] : range.split("-").map(Number);
    const top = high ?? (stepText === undefined ? low : Number.POSITIVE_INFINITY);
    if (![low, top, step].every((n) => !Number.isNaN(n)) || step < 1) throw new Error(`unsupported cron field "${field}"`);
    return value >= low && value <= top && (value - low) % step === 0;
  });
}

/** Runs of a cron schedule (or preset) in one week; day-of-month and month fields must be `*`. */
export function runsPerWeek(schedule: string): number {
  const fields = (PRESETS[schedule] ?? schedule).trim().split(/\s+/);
  if (fields.length !== 5)
    throw new Error(`unsupported schedule "${schedule}" (expected a cron expression or ${Object.keys(PRESETS).join(", ")})`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  if (dayOfMonth !== "*" || month !== "*")
    throw new Error(`unsupported schedule "${schedule}": day-of-month and month must be *`);
  let runs = 0;
  for (let m = 0; m < MINUTES_PER_WEEK; m += 1) {
    const day = Math.floor(m / 1440);
    if (fieldMatches(minute, m % 60) && fieldMatches(hour, Math.floor(m / 60) % 24) && fieldMatches(dayOfWeek, day)) runs += 1;
  }
  return runs;
}

/** Every DAG file's schedule; files without `schedule=` (helpers) are left out. */
export function dagSchedules(dagsDir: string): DagSchedule[] {
  const schedules: DagSchedule[] = [];
  for (const file of readdirSync(dagsDir)
    .filter((f) => f.endsWith(".py"))
    .sort()) {
    const source = readFileSync(join(dagsDir, file), "utf8");
    const schedule = /\bschedule\s*=\s*"([^"]+)"/.exec(source)?.[1];
    if (schedule === undefined) continue;
    schedules.push({
      file,
      schedule,
      runsPerWeek: runsPerWeek(schedule),
      tasksPerRun: (source.match(/^\s*@task\b/gm) ?? []).length,
    });
  }
  return schedules;
}

/** Task instances a week: what the ECS executor starts as worker tasks. */
export function taskRunsPerWeek(schedules: readonly DagSchedule[]): number {
  return schedules.reduce((sum, s) => sum + s.runsPerWeek * s.tasksPerRun, 0);
}
