/**
 * The price list (config/prices.<region>.json): validated on load, so a typo in the file is an
 * error that names the field, not a NaN in the report.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const usd = z.strictObject({ usd: z.number().min(0), source: z.string().min(1), note: z.string().min(1).optional() });
const reasons = z.record(z.string().regex(/^[a-z0-9]+_[a-z0-9_]+$/, "not a Terraform resource type"), z.string().min(1));

export const priceListSchema = z.strictObject({
  description: z.string(),
  region: z.string(),
  currency: z.literal("USD"),
  sources: z.record(z.string(), z.string()),
  monthDays: z.number().int().positive(),
  prices: z.strictObject({
    fargate: z.strictObject({
      vcpuHour: usd,
      gbHour: usd,
      spotDiscount: z.strictObject({ fraction: z.number().min(0).max(1), source: z.string().min(1) }),
    }),
    rds: z.strictObject({
      /** engine -> instance class -> hourly price of one Single-AZ instance. */
      instanceHour: z.record(z.string(), z.record(z.string(), usd)),
      multiAzFactor: z.strictObject({ factor: z.number().positive(), source: z.string().min(1) }),
      storageGbMonth: z.record(z.string(), usd),
    }),
    natGateway: z.strictObject({ hour: usd, dataGb: usd }),
    applicationLoadBalancer: z.strictObject({ hour: usd, lcuHour: usd }),
    efs: z.strictObject({ standardGbMonth: usd }),
    s3: z.strictObject({ standardGbMonth: usd }),
    cloudwatchLogs: z.strictObject({ ingestedGb: usd, storedGbMonth: usd }),
    cloudwatchAlarms: z.strictObject({ standardAlarmMetricMonth: usd, highResolutionAlarmMetricMonth: usd }),
    ecr: z.strictObject({ storedGbMonth: usd }),
    ssm: z.strictObject({ advancedParameterMonth: usd }),
    cloudMap: z.strictObject({ privateDnsNamespaceMonth: usd, registeredInstanceMonth: usd }),
  }),
  /** Resource types that cost nothing by themselves, each with the reason. */
  free: reasons,
  /** Resource types billed only per request or per use, which the report does not estimate. */
  perRequest: reasons,
  /** Resource types with a charge the report knowingly leaves out, each with the reason. */
  notModelled: reasons,
  /** Printed under every report. */
  caveats: z.array(z.string()),
});

export type PriceList = z.infer<typeof priceListSchema>;

export function pricesPath(region: string, root = join(__dirname, "..", "..")): string {
  return join(root, "config", `prices.${region}.json`);
}

/** Reads and validates `config/prices.<region>.json`; every problem at once, each with its path. */
export function loadPrices(region: string, path = pricesPath(region)): PriceList {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  const parsed = priceListSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`${path}:\n${problems.join("\n")}`);
  }
  if (parsed.data.region !== region) throw new Error(`${path}: region is ${parsed.data.region} (expected ${region})`);
  const listed = [parsed.data.free, parsed.data.perRequest, parsed.data.notModelled].flatMap((r) => Object.keys(r));
  const twice = listed.filter((t, i) => listed.indexOf(t) !== i);
  if (twice.length > 0) throw new Error(`${path}: listed in more than one of free, perRequest, notModelled: ${twice.join(", ")}`);
  return parsed.data;
}
