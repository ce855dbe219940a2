/** Text views of an estimate: the cost table of one environment, and two environments side by side. */
import type { SystemName } from "../synthesized/synthesized";
import { amount, CATEGORIES, categoryTotals, type Estimate, formula, seedScope, total, type Unestimated } from "./estimate";

export type SystemSelection = SystemName | "all";

export function selectedSystems(selection: SystemSelection): SystemName[] {
  return selection === "all" ? ["airflow", "video-pipeline", "shared"] : [selection];
}

const usd = (n: number): string => `$${n.toFixed(2)}`;
const pad = (text: string, width: number) => text.padEnd(width);
const lpad = (text: string, width: number) => text.padStart(width);

function unestimatedLines(title: string, groups: readonly Unestimated[], systems: readonly SystemName[], all: boolean): string[] {
  const selected = groups.filter((g) => systems.includes(g.system));
  if (selected.length === 0) return [];
  const lines = [title];
  for (const g of selected) {
    const who = all ? ` [${g.system}]` : "";
    lines.push(`  ${g.addresses.length} × ${g.type}${who}: ${g.reason}`);
  }
  return lines;
}

/** The weekly and monthly table by category with every line item's formula, then what is not in it. */
export function renderReport(estimate: Estimate, environment: string, selection: SystemSelection): string {
  const systems = selectedSystems(selection);
  const all = selection === "all";
  const a = estimate.assumptions;
  const p = estimate.prices;
  const out: string[] = [
    `Cost of ${environment}, system ${selection} (${p.region} on-demand, ${p.currency}; prices: config/prices.${p.region}.json)`,
    `Usage assumed per system (config/${environment}.json costAssumptions): ${a.hoursPerWeek} h/week, ` +
      `NAT data ${a.natDataGbPerWeek} GB/week, ALB ${a.albLcu} LCU, logs ${a.cloudwatchLogsIngestedGbPerWeek} GB/week ingested ` +
      `and ${a.cloudwatchLogsStoredGb} GB stored, EFS ${a.efsStoredGb} GB, S3 ${a.s3StoredGb} GB, ECR ${a.ecrStoredGb} GB`,
    `Week = 7 days, month = ${p.monthDays} days; formulas show the week. Autoscaled services count at their minimum capacity.`,
    "Line items are rounded to cents; categories and totals add the rounded items.",
    "",
  ];
  const rows: [string, string, string, string][] = [];
  for (const category of CATEGORIES) {
    const items = estimate.items.filter((i) => i.category === category && systems.includes(i.system));
    const weekly = categoryTotals(estimate, "week", systems)[category];
    const monthly = categoryTotals(estimate, "month", systems)[category];
    rows.push([category, "", usd(weekly), usd(monthly)]);
    for (const item of items) {
      const who = all ? `[${item.system}] ` : "";
      const note = item.note ? `   (${item.note})` : "";
      rows.push([
        `  ${who}${item.label}`,
        `${formula(item, "week", estimate)}${note}`,
        usd(amount(item, "week", estimate)),
        usd(amount(item, "month", estimate)),
      ]);
    }
  }
  rows.push(["TOTAL", "", usd(total(estimate, "week", systems)), usd(total(estimate, "month", systems))]);

  const w0 = Math.max(...rows.map((r) => r[0].length), "category / line item".length);
  const w2 = Math.max(...rows.map((r) => r[2].length), "weekly".length);
  const w3 = Math.max(...rows.map((r) => r[3].length), "monthly".length);
  out.push(`${pad("category / line item", w0)}  ${lpad("weekly", w2)}  ${lpad("monthly", w3)}  formula (per week)`);
  out.push(`${"-".repeat(w0)}  ${"-".repeat(w2)}  ${"-".repeat(w3)}  ${"-".repeat(18)}`);
  for (const [label, text, weekly, monthly] of rows) {
    out.push(`${pad(label, w0)}  ${lpad(weekly, w2)}  ${lpad(monthly, w3)}  ${text}`.trimEnd());
  }

  // Seed 000's table, reproduced: the items priced only at the seed's own prices, and the rest.
  const scope = seedScope(estimate, "week", systems);
  if (scope.beyond.length > 0) {
    out.push(
      "",
      `At seed 000's prices only (the items its Cost Breakdown has): ${usd(scope.total)} a week. Beyond the seed's table, ` +
        `priced from AWS's price pages: ${scope.beyond.map((i) => `${i.label} ${usd(amount(i, "week", estimate))}`).join("; ")}.`,
    );
  }

  const unpriced = estimate.unpriced.filter((g) => systems.includes(g.system));
  out.push(
    "",
    ...unestimatedLines("UNPRICED (nobody has priced these yet: add them to the price list):", estimate.unpriced, systems, all),
    ...(unpriced.length === 0 ? ["Unpriced: none"] : []),
    ...unestimatedLines("Billed per request or use, not estimated:", estimate.perRequest, systems, all),
    ...unestimatedLines("Charged but not modelled:", estimate.notModelled, systems, all),
  );
  const free = estimate.free.filter((g) => systems.includes(g.system));
  const freeCount = free.reduce((n, g) => n + g.addresses.length, 0);
  const freeTypes = [...new Set(free.map((g) => g.type))];
  out.push(`Free: ${freeCount} resources of ${freeTypes.length} types (${freeTypes.join(", ")})`);
  out.push("Caveats:", ...p.caveats.map((c) => `  - ${c}`));
  return `${out.join("\n")}\n`;
}

/** Per category, weekly and monthly: this environment, the other, and the difference. */
export function renderComparison(
  base: { environment: string; estimate: Estimate },
  other: { environment: string; estimate: Estimate },
  selection: SystemSelection,
): string {
  const systems = selectedSystems(selection);
  const signed = (n: number) => `${n < 0 ? "-" : "+"}$${Math.abs(n).toFixed(2)}`;
  const out = [`Cost of ${other.environment} against ${base.environment}, system ${selection}`, ""];
  for (const period of ["week", "month"] as const) {
    const a = categoryTotals(base.estimate, period, systems);
    const b = categoryTotals(other.estimate, period, systems);
    const rows: string[][] = CATEGORIES.map((c) => [c, usd(a[c]), usd(b[c]), signed(Math.round((b[c] - a[c]) * 100) / 100)]);
    const ta = total(base.estimate, period, systems);
    const tb = total(other.estimate, period, systems);
    rows.push(["TOTAL", usd(ta), usd(tb), signed(Math.round((tb - ta) * 100) / 100)]);
    const header = [`per ${period}`, base.environment, other.environment, "difference"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((cell, i) => (i === 0 ? pad(cell, widths[i]) : lpad(cell, widths[i]))).join("  ");
    out.push(line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), "");
  }
  return out.join("\n");
}
